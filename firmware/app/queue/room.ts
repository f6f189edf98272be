// Making room in a full queue (DESIGN.md guarantee 2: outages degrade resolution, never continuity).
//  1. Merge: once the unacknowledged bytes pass the limit (FlashQueue.limit, 60% of the page files), the oldest
//     pairs of batches that continue each other are merged (merge.ts) down to three quarters of it, finest
//     first: level 2 merges only unmerged pairs, then level 4, and so on, so a long outage coarsens the whole
//     backlog evenly instead of crushing the oldest hour. The merged batch is written first, then both members
//     are acknowledged in place. One event reports each round.
//  2. Collect: the page file with the fewest live bytes has its live records copied to the append page, then it
//     is erased. With at most 60% of the pages live it holds well under a page, so each step frees space.
//  3. Last resort, when nothing can be merged (e.g. every batch from another boot): the oldest batches are
//     dropped, reported as "queue.dropped".
import { BatchPayload } from "../../protocol/messages";
import type { FlashQueue } from "./flash-queue";
import { mergeBatches } from "./merge";
import { recordBytes } from "./record";
import { QueueEvent } from "./types";

function parse(q: FlashQueue, i: number): BatchPayload | undefined {
  let v: BatchPayload | undefined;
  try {
    v = JSON.parse(q.item(i, 0).t);
  } catch {
    return undefined;
  }
  const ch = q.o.ch;
  return v && v.r && v.q && (ch === undefined || v.ch === undefined || v.ch === ch) ? v : undefined;
}

function report(q: FlashQueue, e: string, n: number, o: number, f: number[], l: number[], m: number, fr: number): void {
  const ev: QueueEvent = { e: e, d: { n: n, o: o, f: f, l: l, m: m, fr: fr } };
  if (q.o.onEvent) q.o.onEvent(ev);
}

const DONE = 0;
const NO_ROOM = 1;
const NO_PAIRS = 2;

/** Merge the oldest mergeable pairs until `target` bytes are saved: DONE, or why it stopped. */
function mergeRound(q: FlashQueue, target: number): number {
  const x = q.x;
  let saved = 0;
  let n = 0;
  let o = 0;
  let mmax = 1;
  let f: number[] = [];
  let l: number[] = [];
  // A merge factor is at least the seqs a record covers (one per original batch), so pairs above the level are
  // skipped without reading them. Levels go up while something was held back only by the level.
  let held = true;
  for (let level = 2; saved < target && held && level < 1 << 24; level *= 2) {
    held = false;
    for (let i = 0; i + 1 < x.n && saved < target; ) {
      const over = x.ke[i + 1] - x.ks[i] + 1 > level && 2 * (x.ke[i] - x.ks[i] + 1) > level;
      if (q.isLive(i) || x.kb[i + 1] !== x.kb[i] || over) {
        if (over) held = true;
        i++;
        continue;
      }
      const a = parse(q, i);
      const b = q.isLive(i + 1) ? undefined : parse(q, i + 1);
      let m = a && b ? mergeBatches(a, b, q.o.aggs) : undefined;
      const pair = !!m;
      if (!m && a) m = mergeBatches(a, undefined, q.o.aggs);
      if (!m || (m.m || 1) > level) {
        if (m) held = true;
        i++;
        continue;
      }
      const t = JSON.stringify(m);
      const kb = x.kb[i];
      const ks = x.ks[i];
      const ke = x.ke[i];
      const ke2 = pair ? x.ke[i + 1] : ke;
      const before = recordBytes(x.kl[i]) + (pair ? recordBytes(x.kl[i + 1]) : 0);
      if (!q.append(kb, ks, ke2, t)) return done(q, n, o, f, l, mmax, saved, NO_ROOM); // collect first
      // a merged pair sorts just before its members (same first key, wider range); a batch merged on its own
      // has the very same key and sorts just after it
      const at = x.find(kb, ks, ke2);
      const ai = pair ? at + 1 : at;
      if (!q.ackAt(ai) || (pair && !q.ackAt(ai))) return done(q, n, o, f, l, mmax, saved, NO_ROOM);
      saved += before - recordBytes(t.length);
      n += pair ? 2 : 1;
      o++;
      if ((m.m || 1) > mmax) mmax = m.m || 1;
      if (!f.length) f = [kb, ks];
      l = [kb, ke2];
      i = at + 1;
    }
  }
  return done(q, n, o, f, l, mmax, saved, saved >= target ? DONE : NO_PAIRS);
}

function done(q: FlashQueue, n: number, o: number, f: number[], l: number[], m: number, saved: number, why: number): number {
  if (n) {
    q.c.merged += n;
    q.c.mergeRounds++;
    report(q, "queue.merged", n, o, f, l, m, saved);
  }
  return why;
}

/** Copy the live records of the page with the fewest live bytes forward, then erase it (when they fit). */
function collect(q: FlashQueue): void {
  let k = -1;
  let least = 0;
  for (let j = 0; j < q.pn.length; j++) {
    if (!q.pn[j] || j === q.ap) continue;
    const b = q.liveBytes(j);
    if (k < 0 || b < least) {
      k = j;
      least = b;
    }
  }
  if (k < 0) return;
  const x = q.x;
  // the copies must fit in what is left of the append page and the page files still allowed; one page beyond the
  // limit is always allowed here, because the source page goes right after (a queue of mp + 2 page files with a
  // full append page otherwise refused every push, across reboots, until acknowledgements freed a page)
  let at = q.ap < 0 ? q.as : q.aw;
  if (q.hard < q.pages() + 1) q.hard = q.pages() + 1;
  let fresh = Math.max(q.hard, q.mp) - q.pages();
  for (let i = 0; i < x.n; i++) {
    if (x.kp[i] !== k) continue;
    const rb = recordBytes(x.kl[i]);
    if (q.ap < 0 || at + rb > q.as) {
      if (fresh-- <= 0) return;
      at = 4;
    }
    at += rb;
  }
  for (let i = 0; i < x.n; i++) {
    if (x.kp[i] !== k) continue;
    const it = q.item(i, 0);
    // a copy has the same key and sorts after the original, which stays at i; the boot scan keeps one of them
    if (!q.append(it.b, it.s, it.e, it.t)) return;
  }
  x.removeWhere((i) => x.kp[i] === k);
  q.dropPage(k);
}

/** Drop the oldest batches until the live bytes are down to `limit`. */
function dropOldest(q: FlashQueue, limit: number): void {
  const x = q.x;
  let n = 0;
  let f: number[] = [];
  let l: number[] = [];
  while (x.n > 1 && q.liveBytes() > limit) {
    if (!f.length) f = [x.kb[0], x.ks[0]];
    l = [x.kb[0], x.ke[0]];
    if (!q.ackAt(0)) break;
    n++;
  }
  if (n) {
    q.c.dropped += n;
    report(q, "queue.dropped", n, 0, f, l, 1, 0);
  }
}

/**
 * Make room for a record of `len` text bytes (see the file comment). Past the limit, batches are merged until the
 * live bytes are down to three quarters of it, so merging comes in rounds rather than at every push; before each
 * step pages are collected so that merged records find room. Merged records may take one page file beyond the
 * limit, copies a second one; the capacity computed at boot leaves room for both.
 */
export function makeRoom(q: FlashQueue, len: number): void {
  const limit = q.limit();
  const rb = recordBytes(len);
  let live = q.liveBytes();
  let merging = live + rb > limit || q.x.n >= q.mr;
  for (let k = 0; k < 4 * q.mp + 8 && (merging || q.full(len)); k++) {
    q.hard = q.mp + 2;
    if (q.pages() >= q.mp) collect(q);
    if (!merging) continue;
    q.hard = q.mp + 1; // the second extra page is kept for collecting
    const why = mergeRound(q, live + rb - limit + (limit >> 2));
    live = q.liveBytes();
    if (why === NO_PAIRS && live + rb > limit) dropOldest(q, limit - rb);
    if (why !== NO_ROOM) merging = false;
  }
}
