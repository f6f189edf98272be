// The mgc/v2 batch payload: the batches of one node as columns of small integers, optionally DEFLATE-compressed
// (RFC 1951, raw). Each channel's values are written one after another over every row of the message, each as a
// zigzag varint of its difference from the channel's previous value (the previous row, or the reference batch's last
// row), so a slowly moving value costs one byte or less after DEFLATE. Values are the node's scaled integers
// (firmware/protocol/channels.ts: integer = round(value x 10^scale)), never floats: the round trip is exact.
//
//   byte 0     flags: 1 = the rest is raw DEFLATE
//   varint     what follows: 1 = a reference batch (boot, seq), 2 = the channel table
//   [ref]      varint boot, varint seq of the reference batch: a batch of the same node that went before this
//              message, with the same channel table; its last row (values and qualities) and its end time are
//              what this message's first row and first header are written against (the "state"; see
//              docs/central.md "The mgc/v2 batch format" for when a gateway may name one and how central finds it)
//   [table]    varint n, then n channel ids (the first, then zigzag differences) and n scales (zigzag)
//   varint     number of batches, then per batch a header: varint flags (1 boot and seq written, else the previous
//              batch's boot and its last seq + 1; 2 start written (zigzag ms from the previous batch's end; Unix ms
//              for the first batch of a message without reference), else
//              the previous end; 4 interval written (varint ms), else the previous; 8 rows written, else 1;
//              16 historical; 32 merged: varint m and varint e - s), then what the flags say
//   values     channel by channel, row by row: varint 0 = null, else zigzag(value - previous non-null value) + 1,
//              where before the message's first value comes the reference's last value (0 when it is null, and
//              without reference)
//   qualities  varint count of changes, then per change varint distance (in row-major cells) from the last change,
//              and the letter's byte; a cell's quality is otherwise its channel's quality in the row before ("o"
//              before the first row of a message without reference)
import { deflateRawSync, inflateRawSync } from "node:zlib";
import type { BatchItem } from "./uplink-wire";

export interface ChannelTable {
  c: number[];
  x: number[];
}

/** What a message written against a reference needs of that batch: its last row and when it ended. */
export interface RefState {
  boot: number;
  /** The reference batch's seq (its key with boot). */
  seq: number;
  /** Its last seq: e for a merged summary, else seq. */
  last_seq: number;
  /** End of the reference batch: t + rows x interval, ms. */
  end_ms: number;
  interval_ms: number;
  row: (number | null)[];
  q: string;
  table: ChannelTable;
}

export interface RefKey {
  boot: number;
  seq: number;
}

const FLAG_DEFLATE = 1;
const HAS_REF = 1;
const HAS_TABLE = 2;
const B_KEY = 1;
const B_START = 2;
const B_INTERVAL = 4;
const B_ROWS = 8;
const B_HIST = 16;
const B_MERGED = 32;

class Writer {
  private buf = Buffer.alloc(256);
  len = 0;
  byte(b: number): void {
    if (this.len === this.buf.length) {
      const n = Buffer.alloc(this.buf.length * 2);
      this.buf.copy(n);
      this.buf = n;
    }
    this.buf[this.len++] = b;
  }
  /** Unsigned LEB128 up to 2^53 (arithmetic, not 32-bit shifts). */
  uint(v: number): void {
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`not an unsigned safe integer: ${v}`);
    while (v >= 128) {
      this.byte((v % 128) + 128);
      v = Math.floor(v / 128);
    }
    this.byte(v);
  }
  int(v: number): void {
    this.uint(zigzag(v));
  }
  done(): Buffer {
    return this.buf.subarray(0, this.len);
  }
}

class Reader {
  pos = 0;
  constructor(private readonly buf: Buffer) {}
  byte(): number {
    if (this.pos >= this.buf.length) throw new RangeError("payload ends early");
    return this.buf[this.pos++];
  }
  uint(): number {
    let v = 0;
    let mul = 1;
    for (;;) {
      const b = this.byte();
      v += (b & 127) * mul;
      if (b < 128) break;
      mul *= 128;
      if (mul > 2 ** 56) throw new RangeError("varint too long");
    }
    return v;
  }
  int(): number {
    return unzigzag(this.uint());
  }
  get left(): number {
    return this.buf.length - this.pos;
  }
}

function zigzag(v: number): number {
  return v >= 0 ? 2 * v : -2 * v - 1;
}
function unzigzag(u: number): number {
  return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
}

/** The batch's end: start + rows x interval, ms (ms keep fractional-second starts exact). */
function endMs(b: BatchItem): number {
  return Math.round(b.t * 1000) + b.r.length * Math.round(b.i * 1000);
}

export interface EncodeOptions {
  /** The reference this message is written against (it carries no table then). */
  ref?: RefState;
  /** DEFLATE the body when that makes it smaller (default true). */
  deflate?: boolean;
}

/** The payload for batches that all follow `table`. Throws on values that are not safe integers. */
export function encodeColumns(table: ChannelTable, items: BatchItem[], o: EncodeOptions = {}): Buffer {
  const ref = o.ref;
  const n = table.c.length;
  const w = new Writer();
  w.uint((ref ? HAS_REF : 0) | (ref ? 0 : HAS_TABLE));
  if (ref) {
    w.uint(ref.boot);
    w.uint(ref.seq);
  } else {
    w.uint(n);
    table.c.forEach((id, j) => (j === 0 ? w.uint(id) : w.int(id - table.c[j - 1])));
    for (const s of table.x) w.int(s);
  }
  w.uint(items.length);
  let prev: { boot: number; seq: number; end: number; i: number } | undefined = ref && { boot: ref.boot, seq: ref.last_seq, end: ref.end_ms, i: ref.interval_ms };
  for (const b of items) {
    const t = Math.round(b.t * 1000);
    const i = Math.round(b.i * 1000);
    if (t / 1000 !== b.t || i / 1000 !== b.i) throw new RangeError(`batch ${b.b}/${b.s}: start or interval finer than 1 ms`);
    let f = 0;
    if (!prev || prev.boot !== b.b || prev.seq + 1 !== b.s) f |= B_KEY;
    if (!prev || prev.end !== t) f |= B_START;
    if (!prev || prev.i !== i) f |= B_INTERVAL;
    if (b.r.length !== 1) f |= B_ROWS;
    if (b.h === 1) f |= B_HIST;
    if (b.m !== undefined) f |= B_MERGED;
    w.uint(f);
    if (f & B_KEY) {
      w.uint(b.b);
      w.uint(b.s);
    }
    if (f & B_START) w.int(prev ? t - prev.end : t);
    if (f & B_INTERVAL) w.uint(i);
    if (f & B_ROWS) w.uint(b.r.length);
    if (f & B_MERGED) {
      w.uint(b.m!);
      w.uint((b.e ?? b.s) - b.s);
    }
    prev = { boot: b.b, seq: b.e ?? b.s, end: t + b.r.length * i, i };
  }
  // values, channel by channel
  for (let j = 0; j < n; j++) {
    let last = ref ? lastNonNull(ref.row[j]) : 0;
    for (const b of items)
      for (const row of b.r) {
        const v = row[j];
        if (v === null) {
          w.uint(0);
          continue;
        }
        if (!Number.isSafeInteger(v)) throw new RangeError(`batch ${b.b}/${b.s}: value ${v} is not a scaled integer`);
        w.uint(zigzag(v - last) + 1);
        last = v;
      }
  }
  // qualities: changes against the channel's quality in the row before
  let q = ref ? ref.q : "o".repeat(n);
  const changes: [number, number][] = [];
  let cell = 0;
  for (const b of items)
    for (let k = 0; k < b.r.length; k++) {
      const row = b.q ? b.q[k] : "o".repeat(n);
      if (row !== q) for (let j = 0; j < n; j++) if (row[j] !== q[j]) changes.push([cell + j, row.charCodeAt(j)]);
      q = row;
      cell += n;
    }
  w.uint(changes.length);
  let at = 0;
  for (const [c, letter] of changes) {
    w.uint(c - at);
    w.byte(letter);
    at = c;
  }
  const body = w.done();
  if (o.deflate !== false) {
    const z = deflateRawSync(body, { level: 9 });
    if (z.length < body.length) return Buffer.concat([Buffer.from([FLAG_DEFLATE]), z]);
  }
  return Buffer.concat([Buffer.from([0]), body]);
}

function lastNonNull(v: number | null | undefined): number {
  return v === null || v === undefined ? 0 : v;
}

/** A payload opened (inflated) and its head read: which reference it needs, if any, and the table it carries. */
export interface OpenedColumns {
  ref?: RefKey;
  table?: ChannelTable;
  reader: Reader;
}

/** Inflate and read the head; throws a RangeError with the reason on a malformed payload. */
export function openColumns(payload: Buffer, maxInflated = 16 * 1024 * 1024): OpenedColumns {
  if (payload.length < 2) throw new RangeError("payload too short");
  const flags = payload[0];
  if (flags & ~FLAG_DEFLATE) throw new RangeError(`unknown payload flags ${flags}`);
  const body = flags & FLAG_DEFLATE ? inflateRawSync(payload.subarray(1), { maxOutputLength: maxInflated }) : payload.subarray(1);
  const r = new Reader(body);
  const what = r.uint();
  if (what & ~(HAS_REF | HAS_TABLE) || (what & HAS_REF ? 1 : 0) + (what & HAS_TABLE ? 1 : 0) !== 1) throw new RangeError(`a message needs a reference or a table, not both (${what})`);
  const out: OpenedColumns = { reader: r };
  if (what & HAS_REF) out.ref = { boot: r.uint(), seq: r.uint() };
  else {
    const n = r.uint();
    if (n > r.left) throw new RangeError(`table of ${n} channels in ${r.left} bytes`);
    const c: number[] = [];
    for (let j = 0; j < n; j++) c.push(j === 0 ? r.uint() : c[j - 1] + r.int());
    const x: number[] = [];
    for (let j = 0; j < n; j++) x.push(r.int());
    out.table = { c, x };
  }
  return out;
}

/** The batches of an opened payload; `ref` is the state of the reference it names (required when it names one). */
export function decodeColumns(o: OpenedColumns, ref?: RefState): { table: ChannelTable; items: BatchItem[] } {
  if (o.ref && (!ref || ref.boot !== o.ref.boot || ref.seq !== o.ref.seq)) throw new RangeError(`the state of reference ${o.ref.boot}/${o.ref.seq} is needed`);
  const table = o.table ?? ref!.table;
  const n = table.c.length;
  const r = o.reader;
  const count = r.uint();
  if (count > r.left) throw new RangeError(`${count} batches in ${r.left} bytes`);
  const items: BatchItem[] = [];
  let prev: { boot: number; seq: number; end: number; i: number } | undefined = o.ref && { boot: ref!.boot, seq: ref!.last_seq, end: ref!.end_ms, i: ref!.interval_ms };
  let cells = 0;
  for (let k = 0; k < count; k++) {
    const f = r.uint();
    if (!prev && (f & (B_KEY | B_START | B_INTERVAL)) !== (B_KEY | B_START | B_INTERVAL)) throw new RangeError("the first batch without reference must carry its key, start and interval");
    const b0 = f & B_KEY ? r.uint() : prev!.boot;
    const s = f & B_KEY ? r.uint() : prev!.seq + 1;
    const t = f & B_START ? (prev ? prev.end : 0) + r.int() : prev!.end;
    const i = f & B_INTERVAL ? r.uint() : prev!.i;
    const rows = f & B_ROWS ? r.uint() : 1;
    if (i <= 0 || rows > r.left + 1) throw new RangeError(`batch ${b0}/${s}: interval ${i} ms, ${rows} rows`);
    const b: BatchItem = { b: b0, s, t: t / 1000, i: i / 1000, r: [] };
    if (f & B_HIST) b.h = 1;
    if (f & B_MERGED) {
      b.m = r.uint();
      b.e = s + r.uint();
    }
    cells += rows * n;
    // every value takes at least a byte: a header cannot make the decoder build rows its payload does not hold
    if (cells > r.left) throw new RangeError(`${cells} values in ${r.left} bytes`);
    for (let k2 = 0; k2 < rows; k2++) b.r.push(new Array<number | null>(n));
    items.push(b);
    prev = { boot: b0, seq: b.e ?? s, end: t + rows * i, i };
  }
  for (let j = 0; j < n; j++) {
    let last = ref && o.ref ? lastNonNull(ref.row[j]) : 0;
    for (const b of items)
      for (const row of b.r) {
        const u = r.uint();
        if (u === 0) row[j] = null;
        else row[j] = last = last + unzigzag(u - 1);
      }
  }
  const q = (o.ref ? ref!.q : "o".repeat(n)).split("");
  const changes = r.uint();
  if (changes > cells) throw new RangeError(`${changes} quality changes for ${cells} values`);
  const at: [number, string][] = [];
  let cell = 0;
  for (let k = 0; k < changes; k++) {
    cell += r.uint();
    if (cell >= cells) throw new RangeError("quality change past the last value");
    at.push([cell, String.fromCharCode(r.byte())]);
  }
  if (r.left !== 0) throw new RangeError(`${r.left} bytes after the end`);
  let next = 0;
  cell = 0;
  for (const b of items) {
    const qs: string[] = [];
    for (let k = 0; k < b.r.length; k++) {
      while (next < at.length && at[next][0] < cell + n) {
        q[at[next][0] - cell] = at[next][1];
        next++;
      }
      qs.push(q.join(""));
      cell += n;
    }
    b.q = qs;
  }
  // absent when every quality of a batch is "o", as in v1
  for (const b of items) if (!b.q!.some((row) => /[^o]/.test(row))) delete b.q;
  return { table, items };
}

/**
 * The state a later message may be written against: the last batch of `items`, a function of that batch alone (its
 * last row as it is, nulls included), so every message that carries it, and central whatever form it came in, agree.
 */
export function stateOf(table: ChannelTable, b: BatchItem): RefState {
  return {
    boot: b.b,
    seq: b.s,
    last_seq: b.e ?? b.s,
    end_ms: endMs(b),
    interval_ms: Math.round(b.i * 1000),
    row: b.r[b.r.length - 1].slice(),
    q: b.q ? b.q[b.r.length - 1] : "o".repeat(table.c.length),
    table,
  };
}
