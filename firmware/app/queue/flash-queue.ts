// Store-and-forward queue of batches in flash (DESIGN.md guarantees 1 and 2). A batch is pushed (written) before
// it is sent and stays until ack() after its PUBACK; it survives reboots and power cuts at any instant.
//
// On flash: page files "mq<n>" (n counts up) pre-allocated at pageBytes with Storage.write(name, tag, 0, size),
// records appended at offsets (record.ts). Nothing is ever rewritten: an ack clears the record's ack word; a page
// file whose records are all acknowledged is erased (it becomes Storage trash; compact() reclaims it). Flash wear
// therefore grows with the bytes queued, spread by Storage over its whole area; the queue asks for compact()
// itself before trash would block a new page.
// In RAM: the index of unacknowledged records (record-index.ts) and a few numbers per page file.
// Full (page or record limit reached): room.ts merges the oldest batches into coarser ones and moves the live
// records out of the emptiest page so it can be erased. A merged batch keeps the key of its first member and
// records the last one (key b, s..e); the boot scan drops whatever a merge or a copy superseded, so a power cut
// between writing the new record and acknowledging the old ones leaves each minute covered once.
import { ACK_WORD, PAGE_TAG, RECORD_HEADER_BYTES, RecordInfo, SLOT_BROKEN, SLOT_OK, SLOT_TORN, encodeRecord, readRecord, recordBytes } from "./record";
import { RecordIndex } from "./record-index";
import { makeRoom } from "./room";
import { QueueItem, QueueOptions, QueueStats, QueueStore } from "./types";

/**
 * Live bytes allowed, as a share of the page files, before merging starts. Page files hold dead (acknowledged)
 * records too; collecting a page copies its live ones, so the fuller the pages the more flash is written per
 * batch while an outage lasts (measured on the Pico: test/firmware/queue-wear.test.ts).
 */
const UTILISATION_PCT = 60;
const FIRST = 4; // first record offset (after PAGE_TAG)
const FILE_HEADER = 32; // Storage's own header per file

/** The text of a batch with "h":1 (historical) added, unless it has one. */
export function markHistorical(text: string): string {
  return text.indexOf('"h":') >= 0 || text.charAt(0) !== "{" ? text : '{"h":1,' + text.substr(1);
}

export class FlashQueue {
  // Fields and helpers without `private` are shared with room.ts (making room when full), not an API.
  x: RecordIndex;
  /** Per page slot: page number (0 = free slot) and bytes of live (unacknowledged) records. */
  pn: Uint32Array;
  pl: Uint16Array;
  /** Append page: slot (-1: none), write offset, file size. */
  ap = -1;
  aw = 0;
  as = 0;
  private nextN = 1;
  P: number;
  mp = 2;
  mr = 0;
  /** newPage() refuses to go beyond this many page files: mp for pushes, more while making room (room.ts). */
  hard = 2;
  /** Key of the last batch pushed this boot (the live one); lb = -1 when none. */
  lb = -1;
  ls = 0;
  c: QueueStats;

  constructor(
    public st: QueueStore,
    public o: QueueOptions,
  ) {
    this.P = o.pageBytes || 2048;
    this.x = new RecordIndex(16);
    this.pn = new Uint32Array(0);
    this.pl = new Uint16Array(0);
    this.c = { records: 0, bytes: 0, pages: 0, maxPages: 0, pageBytes: this.P, pagesCreated: 0, compactions: 0, torn: 0, merged: 0, mergeRounds: 0, dropped: 0, rejected: 0 };
  }

  /** Boot scan: rebuild the index from the page files, skip torn records, size the queue from Storage's space. */
  recover(): FlashQueue {
    const st = this.st;
    const nums = st.list(/^mq[0-9]+$/).map((s) => parseInt(s.substr(2), 10));
    nums.sort((a, b) => a - b);
    const S = this.o.maxPages || 0;
    const stats = st.getStats();
    const cost = FILE_HEADER + this.P;
    const fit = Math.floor((stats.freeBytes + stats.trashBytes + nums.length * cost - (this.o.reserveBytes === undefined ? 4096 : this.o.reserveBytes)) / cost) - 2; // two pages of room for merging (room.ts)
    // by default 60% of what fits: the rest is slack between Storage compactions, which is what wears the flash
    // while an outage keeps the queue full (queue-wear.test.ts); slots are bytes in the index, hence 250
    this.mp = Math.min(250, Math.max(3, S ? Math.min(S, fit) : Math.floor(fit * 0.6)));
    this.pn = new Uint32Array(Math.max(this.mp + 3, nums.length + 2));
    this.pl = new Uint16Array(this.pn.length);
    this.mr = this.o.maxRecords || Math.floor(((this.mp + 1) * this.P) / 128);
    const info: RecordInfo = { next: 0, len: 0, b: 0, s: 0, e: 0, acked: 0 };
    const x = this.x;
    for (let k = 0; k < nums.length; k++) {
      const name = "mq" + nums[k];
      this.nextN = nums[k] + 1;
      const d = st.read(name);
      if (!d || d.substr(0, 4) !== PAGE_TAG) {
        st.erase(name); // torn while being created: it holds no record
        continue;
      }
      this.pn[k] = nums[k];
      this.ap = k;
      this.as = d.length;
      let at = FIRST;
      for (;;) {
        const r = readRecord(d, at, this.o.crc, info);
        if (r === SLOT_OK && !info.acked) x.insert(info.b, info.s, info.e, k, at, info.len);
        if (r === SLOT_TORN) this.c.torn++;
        if (r === SLOT_BROKEN) {
          this.c.torn++;
          at = d.length; // nothing after a torn length can be located: the page takes no more records
        }
        if (r !== SLOT_OK && r !== SLOT_TORN) break;
        at = info.next;
      }
      this.aw = at;
    }
    // A merged batch (b, s..e) supersedes the batches it covers, which remain when the power failed before
    // their page was erased; an identical copy likewise.
    let cb = -1;
    let cs = 0;
    let ce = 0;
    x.removeWhere((i) => {
      if (x.kb[i] === cb && x.ks[i] >= cs && x.ke[i] <= ce) return true;
      cb = x.kb[i];
      cs = x.ks[i];
      ce = x.ke[i];
      return false;
    });
    for (let i = 0; i < x.n; i++) this.pl[x.kp[i]] += recordBytes(x.kl[i]);
    for (let k = 0; k < this.pn.length; k++) if (this.pn[k] && !this.pl[k] && k !== this.ap) this.dropPage(k);
    if (this.ap >= 0 && !this.pn[this.ap]) this.ap = -1;
    return this;
  }

  /** Write a batch (boot b, seq s, its JSON text, a binary string) to flash. False when it could not be stored. */
  push(b: number, s: number, text: string): boolean {
    if (recordBytes(text.length) > this.P - FIRST) {
      this.c.rejected++;
      return false;
    }
    if (this.full(text.length)) makeRoom(this, text.length);
    this.hard = this.mp;
    if (!this.append(b, s, s, text)) {
      this.c.rejected++;
      return false;
    }
    this.lb = b;
    this.ls = s;
    return true;
  }

  /** The batch pushed last in this boot while it is unacknowledged: send it at once, as live data. */
  live(): QueueItem | undefined {
    const x = this.x;
    for (let i = x.n - 1; i >= 0 && this.lb >= 0; i--) if (this.isLive(i)) return this.item(i, 0);
    return undefined;
  }

  /**
   * Up to n oldest unacknowledged batches, oldest first; all but the live one are marked historical.
   * Sending policy: the live batch goes out when pushed; backlog fills the rest of the in-flight window, oldest
   * first (the caller skips what it has in flight), so backlog drains while live batches keep flowing.
   */
  next(n: number): QueueItem[] {
    const out: QueueItem[] = [];
    const x = this.x;
    for (let i = 0; i < x.n && out.length < n; i++) out.push(this.item(i, this.isLive(i) ? 0 : 1));
    return out;
  }

  /** Unacknowledged batches of boot b that cover a seq in [from, to], counted from the index (nothing read from flash). */
  count(b: number, from: number, to: number): number {
    const x = this.x;
    let n = 0;
    for (let i = 0; i < x.n; i++) if (x.kb[i] === b && x.ke[i] >= from && x.ks[i] <= to) n++;
    return n;
  }

  /** The gateway has the batch (boot b, seqs s..e; e defaults to s): mark it on flash and forget it. */
  ack(b: number, s: number, e?: number): boolean {
    const i = this.x.find(b, s, e === undefined ? s : e);
    return i >= 0 && this.ackAt(i);
  }

  /** Mark index entry i acknowledged on flash and drop it (and its page once nothing in it is live). */
  ackAt(i: number): boolean {
    const x = this.x;
    const p = x.kp[i];
    try {
      if (!this.st.write("mq" + this.pn[p], ACK_WORD, x.ko[i])) return false;
    } catch {
      return false; // not marked: it is sent again and the gateway drops the duplicate by key
    }
    this.pl[p] -= recordBytes(x.kl[i]);
    x.removeAt(i);
    if (!this.pl[p] && p !== this.ap) this.dropPage(p);
    return true;
  }

  /** Bytes of unacknowledged records, all or those of page slot k. */
  liveBytes(k?: number): number {
    if (k !== undefined) return this.pl[k];
    let n = 0;
    for (let j = 0; j < this.pl.length; j++) n += this.pl[j];
    return n;
  }

  /** True for index entry i when it is the live batch (pushed last this boot). */
  isLive(i: number): boolean {
    const x = this.x;
    return x.kb[i] === this.lb && x.ks[i] === this.ls && x.ke[i] === this.ls;
  }

  stats(): QueueStats {
    // the counters, with the sizes as they are now
    const out = {} as QueueStats;
    const c = this.c as unknown as { [k: string]: number };
    for (const k in c) (out as unknown as { [k: string]: number })[k] = c[k];
    out.records = this.x.n;
    out.bytes = this.liveBytes();
    out.pages = this.pages();
    out.maxPages = this.mp;
    return out;
  }

  item(i: number, h: number): QueueItem {
    const x = this.x;
    const t = this.st.read("mq" + this.pn[x.kp[i]], x.ko[i] + RECORD_HEADER_BYTES, x.kl[i]) || "";
    return { b: x.kb[i], s: x.ks[i], e: x.ke[i], t: h ? markHistorical(t) : t, h: h };
  }

  pages(): number {
    let n = 0;
    for (let k = 0; k < this.pn.length; k++) if (this.pn[k]) n++;
    return n;
  }

  fits(len: number): boolean {
    return this.ap >= 0 && this.aw + recordBytes(len) <= this.as;
  }

  /** Live bytes the queue holds before it merges (see room.ts). */
  limit(): number {
    return Math.floor((this.mp * this.P * UTILISATION_PCT) / 100);
  }

  /** Room must be made first: the live bytes would pass all pages but two, or the index or the pages are full. */
  full(len: number): boolean {
    return this.liveBytes() + recordBytes(len) > this.limit() || this.x.n >= this.mr || (!this.fits(len) && this.pages() >= this.mp);
  }

  /** Write a record at the end of the append page (a new page when it does not fit); index it. */
  append(b: number, s: number, e: number, text: string): boolean {
    if (!this.fits(text.length) && !this.newPage()) return false;
    const p = this.ap;
    let ok = false;
    try {
      ok = this.st.write("mq" + this.pn[p], encodeRecord(b, s, e, text, this.o.crc), this.aw + 4);
    } catch {
      ok = false;
    }
    if (!ok) {
      this.aw = this.as; // whatever part was written stays: later records go to a new page
      return false;
    }
    this.x.insert(b, s, e, p, this.aw, text.length);
    this.pl[p] += recordBytes(text.length);
    this.aw += recordBytes(text.length);
    return true;
  }

  private newPage(): boolean {
    if (this.pages() >= Math.max(this.hard, this.mp)) return false;
    let k = 0;
    while (k < this.pn.length && this.pn[k]) k++;
    if (k === this.pn.length) return false;
    const name = "mq" + this.nextN++;
    const st = this.st;
    const s = st.getStats();
    if (s.freeBytes < FILE_HEADER + this.P && s.trashBytes > 0) {
      st.compact();
      this.c.compactions++;
    }
    try {
      if (!st.write(name, PAGE_TAG, 0, this.P)) return false;
    } catch {
      return false;
    }
    const old = this.ap;
    this.pn[k] = this.nextN - 1;
    this.pl[k] = 0;
    this.ap = k;
    this.aw = FIRST;
    this.as = this.P;
    this.c.pagesCreated++;
    if (old >= 0 && this.pn[old] && !this.pl[old]) this.dropPage(old);
    return true;
  }

  dropPage(k: number): void {
    try {
      this.st.erase("mq" + this.pn[k]);
    } catch {
      // still on flash: the boot scan finds it without live records and erases it then
    }
    this.pn[k] = 0;
    this.pl[k] = 0;
  }
}

/** Open the queue on a Storage (require("Storage") on a board) and run the boot scan. */
export function openQueue(store: QueueStore, options: QueueOptions): FlashQueue {
  return new FlashQueue(store, options).recover();
}
