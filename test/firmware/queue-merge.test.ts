// Full queue: the oldest batches are merged into coarser ones (docs/design.md guarantee 2), the merge is reported,
// and the whole measured time stays covered, also across a power cut in the middle of a merge.
import { describe, expect, it } from "vitest";
import { markHistorical } from "../../firmware/app/queue/flash-queue";
import { mergeBatches } from "../../firmware/app/queue/merge";
import { QueueEvent, QueueItem } from "../../firmware/app/queue/types";
import { BatchPayload } from "../../firmware/protocol/messages";
import { VirtualBoard, aggs20, batch, text } from "./queue-env";

describe("merging rows", () => {
  const aggs = ["mean", "min", "max", "last", "counter"] as const;
  /** A batch of these rows at one minute, on its own: merging it pairs up its rows. */
  const rowsOf = (r: (number | null)[][], q: string[]): BatchPayload => ({ b: 1, s: 1, t: 0, ts: 1, i: 60, r, q });

  it("mean of means, min of mins, max of maxes, last of lasts, counter's last value", () => {
    const m = mergeBatches(
      rowsOf(
        [
          [10, 5, 20, 7, 100],
          [21, 3, 30, 8, 110],
          [-4, -2, 9, 1, 111],
          [-6, 0, 8, 2, 115],
        ],
        ["ooooo", "ooooo", "ooooo", "ooooo"],
      ),
      undefined,
      aggs.slice(),
    )!;
    expect(m.r).toEqual([
      [16, 3, 30, 8, 110], // (10 + 21) / 2 = 15.5 rounds to 16
      [-5, -2, 9, 2, 115],
    ]);
    expect(m.q).toEqual(["ooooo", "ooooo"]);
    expect(mergeBatches(rowsOf([[1, 2, 3, 4, 5]], ["ooooo"]), undefined, aggs.slice())).toBeUndefined(); // 1 row cannot pair up
    expect(mergeBatches(rowsOf([[1, 2, 3, 4, 5], [1, 2, 3, 4, 5], [1, 2, 3, 4, 5]], ["ooooo", "ooooo", "ooooo"]), undefined, aggs.slice())).toBeUndefined(); // 3 rows neither
    expect(mergeBatches(rowsOf([[1, 2, 3, 4], [1, 2, 3, 4]], ["oooo", "oooo"]), undefined, aggs.slice())).toBeUndefined(); // 4 channels, not 5
  });

  it("quality: worst of the members with a value, estimated when only some have one, a gap stays null", () => {
    const m = mergeBatches(
      rowsOf(
        [
          [10, null, 20, null, 100],
          [20, null, null, 8, null],
        ],
        ["ofofo", "sffof"],
      ),
      undefined,
      aggs.slice(),
    )!;
    expect(m.r).toEqual([[15, null, 20, 8, 100]]);
    // mean: o and s -> s; min: none -> worst f; max: only one of two -> e; last: only one -> e; counter: one -> e
    expect(m.q).toEqual(["sfeee"]);
    const w = mergeBatches(rowsOf([[1, 1, 1, 1, 1], [2, 2, 2, 2, 2]], ["sesoo", "fooeo"]), undefined, aggs.slice())!;
    expect(w.q).toEqual(["feseo"]);
  });

  it("joins two batches that continue each other; refuses a gap, another boot or shape, an odd row count", () => {
    const a = batch(1, 10);
    const b = batch(1, 11);
    const m = mergeBatches(a, b, aggs20)!;
    expect(m).toMatchObject({ b: 1, s: 10, t: a.t, ts: 1, i: 120, h: 1, m: 2 });
    expect(m.r).toHaveLength(1);
    expect(m.r[0][1]).toBe(Math.min(a.r[0][1]!, b.r[0][1]!));
    expect(m.r[0][17]).toBe(b.r[0][17]); // counter
    expect(mergeBatches(a, batch(1, 12), aggs20)).toBeUndefined(); // gap
    expect(mergeBatches(a, { ...b, b: 2 }, aggs20)).toBeUndefined();
    // single rows of different intervals join into one row; means weigh by the time each covers
    const w = mergeBatches(a, { ...b, i: 30, m: 1 }, aggs20)!;
    expect([w.i, w.m, w.e, w.r.length]).toEqual([90, 2, 11, 1]);
    expect(w.r[0][0]).toBe(Math.round((a.r[0][0]! * 60 + b.r[0][0]! * 30) / 90));
    expect(mergeBatches(batch(1, 1, 2), { ...batch(1, 2), t: batch(1, 1, 2).t + 120, i: 30 }, aggs20)).toBeUndefined(); // 3 rows
    expect(mergeBatches(a, undefined, aggs20)).toBeUndefined(); // one row cannot halve
    expect(mergeBatches(batch(1, 1, 3), batch(1, 2, 2), aggs20)).toBeUndefined(); // 5 rows
    const six = mergeBatches(batch(1, 4, 6, 10), undefined, aggs20)!;
    expect([six.r.length, six.i, six.m]).toEqual([3, 20, 2]);
    const again = mergeBatches(m, mergeBatches(batch(1, 12), batch(1, 13), aggs20), aggs20)!;
    expect([again.s, again.i, again.m]).toEqual([10, 240, 4]);
  });
});

/** Seconds covered by the queued batches, as [start, end) pairs in order. */
function coverage(items: QueueItem[]): [number, number][] {
  return items.map((it) => {
    const p = JSON.parse(it.t) as BatchPayload;
    return [p.t, p.t + p.r.length * p.i];
  });
}

/** The queued batches cover [from, to) exactly once, without a gap or an overlap. */
function expectContinuous(items: QueueItem[], from: number, to: number): void {
  const c = coverage(items);
  expect(c[0][0]).toBe(from);
  for (let k = 1; k < c.length; k++) expect(c[k][0]).toBe(c[k - 1][1]);
  expect(c[c.length - 1][1]).toBe(to);
}

describe("full queue", () => {
  const t0 = batch(1, 1).t;

  it("merges the oldest page instead of dropping, reports it, and keeps every minute covered with exact min/max/counter", () => {
    const events: QueueEvent[] = [];
    const board = new VirtualBoard(undefined, { maxPages: 5, onEvent: (e) => events.push(e) });
    const q = board.queue;
    const N = 300;
    for (let s = 1; s <= N; s++) expect(q.push(1, s, text(batch(1, s)))).toBe(true);
    const st = q.stats();
    expect(st.pages).toBeLessThanOrEqual(5 + 2);
    expect(st.bytes).toBeLessThanOrEqual(5 * 2048);
    expect(st.mergeRounds).toBe(events.length);
    expect(st.dropped).toBe(0);
    expect(events.length).toBeGreaterThan(3);
    // the first round merges the oldest minutes pairwise (then pairs of pairs until it has saved enough)
    expect(events[0]).toMatchObject({ e: "queue.merged", d: { f: [1, 1] } });
    expect(events[0].d.n).toBe(2 * events[0].d.o);
    expect(events[0].d.fr).toBeGreaterThan(1000);
    const taken = events.reduce((n, e) => n + e.d.n, 0);
    expect(st.merged).toBeGreaterThan(taken / 2);
    expect(st.merged).toBeLessThanOrEqual(taken);
    const items = q.next(1000);
    expect(items.length).toBe(st.records);
    expectContinuous(items, t0, batch(1, N + 1).t);
    const all = Array.from({ length: N }, (_, k) => batch(1, k + 1).r[0]);
    const rows = items.flatMap((it) => (JSON.parse(it.t) as BatchPayload).r);
    const col = (rs: (number | null)[][], c: number) => rs.map((r) => r[c]!);
    expect(Math.min(...col(rows, 1))).toBe(Math.min(...col(all, 1))); // min of mins
    expect(Math.max(...col(rows, 2))).toBe(Math.max(...col(all, 2))); // max of maxes
    expect(rows[rows.length - 1][17]).toBe(all[N - 1][17]); // counter at the end
    // mean of means: weighted by the minutes each row covers, equal to the mean of every minute (up to rounding)
    const weights = items.flatMap((it) => {
      const p = JSON.parse(it.t) as BatchPayload;
      return p.r.map(() => p.m || 1);
    });
    const wmean = rows.reduce((sum, r, k) => sum + r[3]! * weights[k], 0) / N;
    expect(Math.abs(wmean - col(all, 3).reduce((a, b) => a + b, 0) / N)).toBeLessThan(1);
    // the newest batches are still at full resolution, the oldest at the coarsest
    const m = items.map((it) => (JSON.parse(it.t) as BatchPayload).m || 1);
    expect(m[m.length - 1]).toBe(1);
    expect(m[0]).toBeGreaterThanOrEqual(8);
    // and the same after a reboot (where the live batch becomes backlog too)
    expect(board.boot().next(1000).map((it) => [it.s, it.e, it.t])).toEqual(items.map((it) => [it.s, it.e, markHistorical(it.t)]));
  });

  it("acknowledging by key acks only that exact batch: a merged one needs its own range", () => {
    const board = new VirtualBoard(undefined, { maxPages: 4 });
    for (let s = 1; s <= 60; s++) board.queue.push(1, s, text(batch(1, s)));
    const first = board.queue.next(1)[0];
    expect(first.e).toBeGreaterThan(first.s);
    expect(board.queue.ack(1, first.s)).toBe(false); // a PUBACK for the original batch s only
    expect(board.queue.ack(1, first.s, first.e)).toBe(true);
  });

  it("drops the oldest batches as a last resort when nothing can be merged, and says so", () => {
    const events: QueueEvent[] = [];
    const board = new VirtualBoard(undefined, { maxPages: 4, onEvent: (e) => events.push(e) });
    // every batch from another boot: no two can be joined, and a single row cannot be halved
    for (let s = 1; s <= 60; s++) expect(board.queue.push(s, 1, text(batch(s, 1)))).toBe(true);
    expect(events.length).toBeGreaterThan(0);
    expect(events.every((e) => e.e === "queue.dropped")).toBe(true);
    expect(events[0].d.f).toEqual([1, 1]);
    const dropped = events.reduce((n, e) => n + e.d.n, 0);
    expect(board.queue.stats().dropped).toBe(dropped);
    expect(board.queue.next(1)[0].b).toBe(dropped + 1);
    expect(board.queue.stats().records).toBe(60 - dropped);
  });

  it("a power cut at any byte of making room leaves every minute covered exactly once after the reboot", () => {
    const make = () => new VirtualBoard({ sizeBytes: 48 * 1024, pageBytes: 16 * 1024, programUnitBytes: 1 }, { maxPages: 4 });
    // find the first push that has to make room
    const probe = make();
    let s = 0;
    let before = 0;
    while (probe.queue.stats().mergeRounds === 0) {
      before = probe.flash.bytesProgrammed;
      expect(probe.queue.push(1, ++s, text(batch(1, s)))).toBe(true);
    }
    const total = probe.flash.bytesProgrammed - before;
    const S = s;
    expect(total).toBeGreaterThan(1000);
    for (let n = 0; n <= total; n += n < 64 || total - n < 64 ? 1 : 7) {
      const board = make();
      for (let k = 1; k < S; k++) board.queue.push(1, k, text(batch(1, k)));
      board.flash.armPowerCut(n);
      const ok = board.queue.push(1, S, text(batch(1, S)));
      board.flash.disarmPowerCut();
      const q = board.boot();
      const items = q.next(1000);
      const last = JSON.parse(items[items.length - 1].t) as BatchPayload;
      const whole = last.s === S;
      if (ok) expect(whole).toBe(true);
      expectContinuous(items, t0, batch(1, whole ? S + 1 : S).t);
      if (!whole) expect(q.push(1, S, text(batch(1, S)))).toBe(true);
      expect(q.push(1, S + 1, text(batch(1, S + 1)))).toBe(true);
      expectContinuous(board.boot().next(1000), t0, batch(1, S + 2).t);
    }
  });

  it("random acknowledgements while full: nothing unacknowledged is lost, no push refused", () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const board = new VirtualBoard(undefined, { maxPages: 6 });
    const acked = new Set<number>();
    for (let s = 1; s <= 600; s++) {
      expect(board.queue.push(1, s, text(batch(1, s)))).toBe(true);
      // the link comes and goes: sometimes a few of the oldest get through, sometimes the live one
      if (rand() < 0.2) for (const it of board.queue.next(Math.floor(rand() * 4))) if (board.queue.ack(it.b, it.s, it.e)) for (let k = it.s; k <= it.e; k++) acked.add(k);
      if (rand() < 0.1) {
        const live = board.queue.live();
        if (live && board.queue.ack(live.b, live.s)) acked.add(live.s);
      }
      if (s % 150 === 0) board.boot();
    }
    const items = board.boot().next(10000);
    const covered = new Set<number>();
    for (const it of items) for (let k = it.s; k <= it.e; k++) {
      expect(covered.has(k)).toBe(false);
      expect(acked.has(k)).toBe(false);
      covered.add(k);
    }
    for (let s = 1; s <= 600; s++) expect(covered.has(s) || acked.has(s)).toBe(true);
    expect(board.queue.stats()).toMatchObject({ dropped: 0, rejected: 0 });
  });
});
