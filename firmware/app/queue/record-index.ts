// The RAM index of unacknowledged records, in key order (boot, first seq, then the widest range first), kept in
// typed arrays: 15 bytes a record instead of an object each (espruino.md: typed arrays are far denser).
export class RecordIndex {
  /** Boot, first seq, last seq. */
  kb: Uint32Array;
  ks: Uint32Array;
  ke: Uint32Array;
  /** Page slot, offset in the page, text length. */
  kp: Uint8Array;
  ko: Uint16Array;
  kl: Uint16Array;
  n = 0;

  constructor(capacity: number) {
    this.kb = new Uint32Array(capacity);
    this.ks = new Uint32Array(capacity);
    this.ke = new Uint32Array(capacity);
    this.kp = new Uint8Array(capacity);
    this.ko = new Uint16Array(capacity);
    this.kl = new Uint16Array(capacity);
  }

  /** <0, 0, >0 as entry i sorts before, with, after key (b, s, e). */
  cmp(i: number, b: number, s: number, e: number): number {
    return this.kb[i] - b || this.ks[i] - s || e - this.ke[i];
  }

  find(b: number, s: number, e: number): number {
    for (let i = 0; i < this.n; i++) if (this.kb[i] === b && this.ks[i] === s && this.ke[i] === e) return i;
    return -1;
  }

  /** Insert in key order (after equal keys); returns the position. */
  insert(b: number, s: number, e: number, p: number, o: number, l: number): number {
    if (this.n === this.kb.length) this.grow();
    let i = this.n;
    while (i > 0 && this.cmp(i - 1, b, s, e) > 0) {
      this.copy(i - 1, i);
      i--;
    }
    this.kb[i] = b;
    this.ks[i] = s;
    this.ke[i] = e;
    this.kp[i] = p;
    this.ko[i] = o;
    this.kl[i] = l;
    this.n++;
    return i;
  }

  removeAt(i: number): void {
    for (let j = i + 1; j < this.n; j++) this.copy(j, j - 1);
    this.n--;
  }

  /** Remove every entry for which drop(i) is true, keeping the order. */
  removeWhere(drop: (i: number) => boolean): void {
    let w = 0;
    for (let i = 0; i < this.n; i++) {
      if (drop(i)) continue;
      if (w !== i) this.copy(i, w);
      w++;
    }
    this.n = w;
  }

  private copy(from: number, to: number): void {
    this.kb[to] = this.kb[from];
    this.ks[to] = this.ks[from];
    this.ke[to] = this.ke[from];
    this.kp[to] = this.kp[from];
    this.ko[to] = this.ko[from];
    this.kl[to] = this.kl[from];
  }

  private grow(): void {
    const c = this.kb.length * 2 || 8;
    const old = this;
    const g = new RecordIndex(c);
    g.kb.set(old.kb);
    g.ks.set(old.ks);
    g.ke.set(old.ke);
    g.kp.set(old.kp);
    g.ko.set(old.ko);
    g.kl.set(old.kl);
    this.kb = g.kb;
    this.ks = g.ks;
    this.ke = g.ke;
    this.kp = g.kp;
    this.ko = g.ko;
    this.kl = g.kl;
  }
}
