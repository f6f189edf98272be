// Store-and-forward queue of batches in flash (docs/design.md guarantees 1 and 2). A batch is pushed (written) before
// it is sent and stays until ack() after its PUBACK; it survives reboots and power cuts at any instant.
//
// On flash: page files "mq<n>" (n counts up, never reused), pre-allocated at pageBytes with
// Storage.write(name, PAGE_TAG, 0, size), records appended at offsets. Flash only clears bits and Storage.write
// refuses to program bytes that are not 0xFF, so a record is written once, in one write, and later changed only by
// clearing its ack word. Record layout, little-endian, each on a 4-byte boundary (a 32-bit flash word of
// STM32F4/nRF52 is then programmed once, the ack word going from all-ones to all-zeros once):
//   +0  ack word   FF FF FF FF until acknowledged, 00 00 00 00 after (not part of the record write)
//   +4  u16 length of the text, u16 its complement (a length torn by a power cut fails the pair test)
//   +8  u32 boot, +12 u32 first seq, +16 u32 last seq (a merged batch covers first..last)
//   +20 u32 CRC-32 of bytes +4..+20 and the text (a record torn anywhere fails it and is skipped, never read)
//   +24 text (the serialised batch, a binary string), then 0xFF padding to the next 4-byte boundary
// A page file whose records are all acknowledged is erased (Storage trash, reclaimed by the compaction Storage runs
// when a new file finds no room): flash wear grows with the bytes queued, in whole pages.
//
// In RAM: one Uint32Array of 5 words per unacknowledged record in key order (boot, first seq, then the wider range
// first): boot, first seq, last seq, page number, offset * 65536 + text length. 20 bytes a record, no objects.
//
// Full (live bytes past UTILISATION_PCT of the page files): the oldest pairs of batches that continue each other
// are merged (merge.ts) into one record, finest first: level 2 merges only unmerged pairs, then level 4, and so on,
// so a long outage coarsens the whole backlog evenly; one event reports each round. A merged batch keeps the key
// of its first member and records the last one (b, s..e). Pages are reclaimed by copying the live records of the
// emptiest page file to the append page. A merged record or a copy replaces what it covers in the index (insert),
// without writing to the old records: their page file is erased once nothing in it is live, and a boot scan that
// finds both (power cut in between) keeps only the covering one, so each minute stays covered once. When nothing
// can be merged (e.g. every batch from another boot) the oldest batches are acknowledged (dropped), reported as
// "queue.dropped".
import { BatchPayload } from "../../protocol/messages";
import { mergeBatches } from "./merge";
import { QueueItem, QueueOptions, QueueStats, QueueStore } from "./types";

/** Tag at offset 0 of every page file (format 1); the first record is at offset 4. */
const PAGE_TAG = "MQ1\x00";
const HEAD = 24; // record header bytes
const FILE_HEADER = 32; // Storage's own header per file
/**
 * Live bytes allowed, as a share of the page files, before merging starts. Page files hold dead (acknowledged)
 * records too; collecting a page copies its live ones, so the fuller the pages the more flash is written per
 * batch while an outage lasts (measured on the Pico: test/firmware/queue-wear.test.ts).
 */
const UTILISATION_PCT = 60;

/** The text of a batch with "h":1 (historical) added, unless it has one. */
export function markHistorical(text: string): string {
  return text.indexOf('"h":') >= 0 || text.charAt(0) !== "{" ? text : '{"h":1,' + text.substr(1);
}

export interface FlashQueue {
  /** Write a batch (boot b, seq s, its JSON text, a binary string) to flash. False when it could not be stored. */
  push(b: number, s: number, text: string): boolean;
  /** The batch pushed last in this boot while it is unacknowledged: send it at once, as live data. */
  live(): QueueItem | undefined;
  /**
   * Up to n oldest unacknowledged batches, oldest first; all but the live one are marked historical.
   * Sending policy: the live batch goes out when pushed; backlog fills the rest of the in-flight window, oldest
   * first (the caller skips what it has in flight), so backlog drains while live batches keep flowing.
   */
  next(n: number): QueueItem[];
  /** Unacknowledged batches of boot b that cover a seq in [from, to], counted from RAM (nothing read from flash). */
  count(b: number, from: number, to: number): number;
  /** The gateway has the batch (boot b, seqs s..e; e = s unless merged): mark it on flash and forget it. */
  ack(b: number, s: number, e: number): boolean;
  stats(): QueueStats;
}

/** Open the queue on a Storage (require("Storage") on a board): boot scan, then the queue. */
export function openQueue(st: QueueStore, o: QueueOptions): FlashQueue {
  const P = o.pageBytes || 2048;
  const crc = o.crc;
  // one record header, as bytes and as words (both boards and Node are little-endian)
  const hb = new Uint8Array(HEAD);
  const hw = new Uint32Array(hb.buffer);
  // the index: 5 words a record (boot, first seq, last seq, page number, offset * 65536 + text length); code
  // below addresses a record by its first word's position r, a multiple of 5
  let X = new Uint32Array(80);
  let end = 0; // words in use in X
  let live = 0; // bytes the unacknowledged records take in their pages
  const pages: number[] = []; // numbers of the page files on flash
  // append page number (0: none; the highest on flash, so the next page file is ap + 1) and its write offset
  // (P when it takes no more records, or there is none)
  let ap = 0;
  let aw = P;
  let lb = -1; // key of the last batch pushed this boot (the live one)
  let ls = 0;
  let created = 0; // page files created since boot (flash wear comes from these)
  let torn = 0;

  // Size: the page files that fit in Storage beside 4 KB for other files and compaction, less two pages of room
  // for merging and copying; by default 60% of that: the rest is slack between Storage compactions, which is what
  // wears the flash while an outage keeps the queue full (queue-wear.test.ts). At most 250 page files.
  const names = st.list(/^mq\d+$/);
  const space = st.getStats();
  const fit = ((space.freeBytes + space.trashBytes - 4096) / (FILE_HEADER + P) + names.length - 2) | 0;
  const mp = Math.min(250, Math.max(3, o.maxPages ? Math.min(o.maxPages, fit) : (fit * 0.6) | 0));
  const limit = ((mp * P * UTILISATION_PCT) / 100) | 0;
  let hard = mp; // a new page file is refused beyond this many: mp for pushes, more while making room

  /** True for the record at r when it is the live batch (pushed last this boot). */
  function isLive(r: number): boolean {
    return X[r] === lb && X[r + 1] === ls && X[r + 2] === ls;
  }

  /**
   * Add a record to the index in key order (boot, first seq, the wider range first). A record covered by the one
   * before it (a merged batch, or a copy of the same batch) is left out; the ones it covers (the members it merged,
   * the original it copies) leave the index: their page is erased once nothing else in it is live, and a boot scan
   * that finds both keeps only the covering one.
   */
  function insert(b: number, s: number, e: number, p: number, loc: number): void {
    let r = end;
    while (r && (X[r - 5] - b || X[r - 4] - s || e - X[r - 3]) >= 0) r -= 5;
    if (r && X[r - 5] === b && X[r - 3] >= e) return;
    if ((end += 5) > X.length) {
      const g = new Uint32Array(X.length * 2);
      g.set(X);
      X = g;
    }
    X.set(X.subarray(r, end - 5), r + 5);
    X.set([b, s, e, p, loc], r);
    live += HEAD + (((loc & 65535) + 3) & -4);
    while (r + 5 < end && X[r + 5] === b && X[r + 7] <= e) remove(r + 5);
  }

  /** Drop the record at r from the index, and its page file once nothing in it is live (never the append page). */
  function remove(r: number): void {
    const p = X[r + 3];
    live -= HEAD + (((X[r + 4] & 65535) + 3) & -4);
    X.set(X.subarray(r + 5, end), r);
    end -= 5;
    dropIfEmpty(p);
  }

  function dropIfEmpty(p: number): void {
    for (let r = 3; r < end; r += 5) if (X[r] === p) return;
    if (p === ap) return;
    try {
      st.erase("mq" + p);
    } catch {
      // still on flash: the boot scan finds it without live records and erases it then
    }
    pages.splice(pages.indexOf(p), 1);
  }

  /** Storage.write to page file p; false when the flash refuses (Storage returns false or throws). */
  function put(p: number, data: string, at: number, size?: number): boolean {
    try {
      return st.write("mq" + p, data, at, size);
    } catch {
      return false;
    }
  }

  /** The record at r read from flash (h: marked historical). */
  function item(r: number, h: number): QueueItem {
    const t = st.read("mq" + X[r + 3], (X[r + 4] >>> 16) + HEAD, X[r + 4] & 65535) || "";
    return { b: X[r], s: X[r + 1], e: X[r + 2], t: h ? markHistorical(t) : t, h: h };
  }

  /** Write a record at the end of the append page (opening a new page file when it does not fit); index it. */
  function append(b: number, s: number, e: number, t: string): boolean {
    const len = t.length;
    const size = HEAD + ((len + 3) & -4);
    if (aw + size > P) {
      if (pages.length >= hard) return false;
      // (Storage compacts by itself when trash leaves no room for the file)
      if (put(ap + 1, PAGE_TAG, 0, P)) {
        pages.push(++ap);
        aw = 4;
        created++;
        if (ap > 1) dropIfEmpty(ap - 1); // the previous append page
      }
    }
    hw.set([len + (len ^ 65535) * 65536, b, s, e], 1);
    let rec = "";
    for (let k = 4; k < HEAD; k++) {
      if (k === 20) hw[5] = crc(rec + t);
      rec += String.fromCharCode(hb[k]);
    }
    if (aw + size <= P && put(ap, rec + t, aw + 4)) {
      insert(b, s, e, ap, aw * 65536 + len);
      aw += size;
      return true;
    }
    aw = P; // the flash refused: whatever part was written stays, later records go to a new page
    return false;
  }

  /** The gateway has the batch (boot b, seqs s..e): mark it on flash and forget it. */
  function ack(b: number, s: number, e: number): boolean {
    for (let r = 0; r < end; r += 5) {
      if (X[r] !== b || X[r + 1] !== s || X[r + 2] !== e) continue;
      // not marked: it is sent again and the gateway drops the duplicate by key
      if (!put(X[r + 3], "\x00\x00\x00\x00", X[r + 4] >>> 16)) return false;
      remove(r);
      return true;
    }
    return false;
  }

  /**
   * Make room for a record of `size` bytes (see the file comment). Past the limit, batches are merged until the
   * live bytes are down to three quarters of it, so merging comes in rounds rather than at every push; before each
   * round the emptiest page is collected so that merged records find room. Merged records may take one page file
   * beyond mp, a copy one more; the size computed at boot leaves room for both.
   */
  function makeRoom(size: number): void {
    let merging = live + size > limit;
    // keys of the oldest and newest batch taken in a round (set before an event reports them)
    let first!: number[];
    let last!: number[];
    for (let k = 0; k < 4 * mp + 8 && (merging || (pages.length >= mp && aw + size > P)); k++) {
      if (pages.length >= mp) {
        // collect: copy the live records of the page file with the fewest live bytes to the append page (each copy
        // replaces its original in the index, and the page goes with the last one). They fit in one new page file.
        let least = 1e9;
        let src = 0;
        for (let j = 0; j < pages.length; j++) {
          let sum = 0;
          for (let r = 3; r < end; r += 5) if (X[r] === pages[j]) sum += X[r + 1] & 65535;
          if (pages[j] !== ap && sum < least) {
            least = sum;
            src = pages[j];
          }
        }
        hard = pages.length + 1;
        for (let r = 0; r < end; r += 5) {
          if (X[r + 3] !== src) continue;
          if (!append(X[r], X[r + 1], X[r + 2], item(r, 0).t)) break;
        }
      }
      if (!merging) continue;
      hard = mp + 1;
      const live0 = live;
      const end0 = end; // batches taken in: the records that left the index, plus those written in their place
      const goal = limit - size - (limit >> 2);
      let written = 0;
      let mmax = 1;
      let room = true;
      // A merge factor is at least the seqs a record covers (one per original batch), so pairs above the level are
      // skipped without reading them. Levels go up while something was held back only by the level.
      let held = true;
      for (let level = 2; room && live > goal && held; level *= 2) {
        held = false;
        for (let r = 0; r + 5 < end && live > goal; r += 5) {
          const b = X[r];
          const s = X[r + 1];
          const e1 = X[r + 7];
          const over = e1 - s + 1 > level && 2 * (X[r + 2] - s + 1) > level;
          held = held || over;
          if (isLive(r) || X[r + 5] !== b || over) continue;
          // the pair (a live batch is never merged, nor one from another channel table: `aggs` would not fit it),
          // else the first batch alone (halving its rows); its last seq tells which
          const a: BatchPayload = JSON.parse(item(r, 0).t);
          const m = a.ch === o.ch ? mergeBatches(a, isLive(r + 5) ? undefined : JSON.parse(item(r + 5, 0).t), o.aggs) || mergeBatches(a, undefined, o.aggs) : undefined;
          if (!m || m.m! > level) {
            held = held || !!m;
            continue;
          }
          // the merged batch takes the place of its members in the index (insert)
          const e = m.e!;
          if (!(room = append(b, s, e, JSON.stringify(m)))) break;
          if (!written++) first = [b, s];
          if (m.m! > mmax) mmax = m.m!;
          last = [b, e];
        }
      }
      if (room && !written) {
        // last resort, nothing could be merged: the oldest batches are acknowledged (dropped), reported the same way
        while (end > 5 && live + size > limit) {
          if (end === end0) first = [X[0], X[1]];
          last = [X[0], X[2]];
          if (!ack(X[0], X[1], X[2])) break;
        }
      }
      const taken = (end0 - end) / 5 + written;
      if (taken && o.onEvent) o.onEvent({ e: written ? "queue.merged" : "queue.dropped", d: { n: taken, o: written, f: first, l: last, m: mmax, fr: written && live0 - live } });
      // without room, collect first and merge on; after merging, the next round drops if still nothing more merges
      if (room) merging = !!written && live + size > limit;
    }
  }

  // Boot scan: index the unacknowledged records of every page file, skip torn ones; the page file with the highest
  // number takes further records. (A page file torn while being created has no record: it is erased below, or
  // takes records if it is the newest.)
  for (let j = 0; j < names.length; j++) {
    const p = +names[j].substr(2);
    const d = st.read(names[j]) || "";
    pages.push(p);
    let at = 4;
    while (at + HEAD <= d.length) {
      for (let k = 0; k < HEAD; k++) hb[k] = d.charCodeAt(at + k);
      const len = hw[1] & 65535;
      const size = HEAD + ((len + 3) & -4);
      if (((hw[1] >>> 16) ^ len) !== 65535 || at + size > d.length) {
        // never written (all ones): the page's data ends here; else a torn length, and nothing after it can be
        // located: the page takes no more records
        if (~hw[1]) {
          torn++;
          at = d.length;
        }
        break;
      }
      // a torn ack word counts as acknowledged (the PUBACK had come)
      if (crc(d.substr(at + 4, 16) + d.substr(at + HEAD, len)) >>> 0 !== hw[5]) torn++;
      else if (!~hw[0]) insert(hw[2], hw[3], hw[4], p, at * 65536 + len);
      at += size;
    }
    if (p > ap) {
      ap = p;
      aw = d.length === P ? at : P; // a page file of another size (pageBytes changed) takes no more records
    }
  }
  for (let j = pages.length; j--; ) dropIfEmpty(pages[j]);

  return {
    push: function (b: number, s: number, text: string): boolean {
      const size = HEAD + ((text.length + 3) & -4);
      if (size <= P - 4) {
        makeRoom(size);
        hard = mp;
        if (append(b, s, s, text)) {
          lb = b;
          ls = s;
          return true;
        }
      }
      return false;
    },
    live: function (): QueueItem | undefined {
      for (let r = end; (r -= 5) >= 0; ) if (isLive(r)) return item(r, 0);
      return undefined;
    },
    next: function (max: number): QueueItem[] {
      const out: QueueItem[] = [];
      for (let r = 0; r < end && out.length < max; r += 5) out.push(item(r, isLive(r) ? 0 : 1));
      return out;
    },
    count: function (b: number, from: number, to: number): number {
      let c = 0;
      for (let r = 0; r < end; r += 5) if (X[r] === b && X[r + 2] >= from && X[r + 1] <= to) c++;
      return c;
    },
    ack: ack,
    stats: function (): QueueStats {
      return { records: end / 5, bytes: live, pages: pages.length, maxPages: mp, pageBytes: P, pagesCreated: created, torn: torn };
    },
  };
}
