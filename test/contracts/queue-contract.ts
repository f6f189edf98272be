// The flash queue's contract, written once and run against every place the firmware runs (docs/style.md 6): the
// virtual Storage on the virtual flash in Node, and the real Espruino interpreter (its Linux build, whose
// Storage lives in ./espruino.flash). A scenario is a list of boots; each boot is a list of steps that one
// executor (EXECUTOR below, plain ES5 source) runs against a freshly opened queue, so both sides run the very
// same steps; the suite compares what they return with what the queue promises.
import { expect, it } from "vitest";
import { needs, type ToolName } from "../helpers/prerequisites";

export type Step =
  | { op: "push"; b: number; s: number }
  | { op: "fill"; b: number; from: number; to: number }
  | { op: "ack"; b: number; s: number; e?: number }
  | { op: "ackOldest"; n: number }
  | { op: "next"; n: number }
  | { op: "live" }
  | { op: "stats" }
  | { op: "events" };

export interface QueueSetup {
  pageBytes?: number;
  maxPages?: number;
}

/** One board: every boot() runs on the flash the previous ones left, as after a reset. */
export interface QueueEnv {
  boot(steps: Step[], setup?: QueueSetup): Promise<any[]>;
}

/**
 * Runs `steps` against a queue opened with openQueue(store, ...): ES5 source, evaluated as
 * `runSteps(openQueue, store, crc, steps, setup)` in Node and bundled into the program on the interpreter.
 * mk(b, s) makes the text of batch s of boot b: 20 channels, one row of one minute.
 */
export const EXECUTOR = `
function mk(b, s) {
  var r = [];
  for (var c = 0; c < 20; c++) r.push(c === 17 ? 1000000 + s * 10 : 50000 + ((s * 7 + c * 13) % 900) - c * 1000);
  return JSON.stringify({ b: b, s: s, t: 1700000000 + s * 60, ts: 1, i: 60, r: [r], q: ["oooooooooooooooooooo"] });
}
function runSteps(openQueue, store, crc, steps, setup) {
  var aggs = ["mean","min","max","mean","mean","last","last","mean","mean","mean","mean","max","last","last","mean","mean","max","counter","counter","counter"];
  var events = [];
  // merged, merge rounds and dropped counted from the events, push() refusals from its results
  var tally = { merged: 0, mergeRounds: 0, dropped: 0, rejected: 0 };
  var q = openQueue(store, { crc: crc, aggs: aggs, pageBytes: setup.pageBytes, maxPages: setup.maxPages,
    onEvent: function (e) {
      events.push(e.e);
      if (e.e === "queue.merged") { tally.merged += e.d.n; tally.mergeRounds++; } else tally.dropped += e.d.n;
    } });
  function push(b, s) {
    if (q.push(b, s, mk(b, s))) return true;
    tally.rejected++;
    return false;
  }
  var out = [];
  for (var k = 0; k < steps.length; k++) {
    var st = steps[k];
    var r = null;
    if (st.op === "push") r = push(st.b, st.s);
    else if (st.op === "fill") { r = 0; for (var s = st.from; s <= st.to; s++) if (push(st.b, s)) r++; }
    else if (st.op === "ack") r = q.ack(st.b, st.s, st.e === undefined ? st.s : st.e);
    else if (st.op === "ackOldest") { r = 0; var its = q.next(st.n); for (var j = 0; j < its.length; j++) if (q.ack(its[j].b, its[j].s, its[j].e)) r++; }
    else if (st.op === "next") r = q.next(st.n).map(function (it) { return [it.b, it.s, it.e, it.h, it.t]; });
    else if (st.op === "live") { var l = q.live(); r = l ? [l.b, l.s] : null; }
    else if (st.op === "stats") { r = q.stats(); for (var t in tally) r[t] = tally[t]; }
    else if (st.op === "events") r = events;
    out.push(r);
  }
  return out;
}
`;

/** mk() of the executor, for expectations. */
export const mk = new Function(EXECUTOR + "\nreturn mk;")() as (b: number, s: number) => string;

const historical = (t: string) => '{"h":1,' + t.substring(1);
const keys = (items: any[]) => items.map((it) => [it[0], it[1], it[2]]);

/** The queued items cover seqs from..to of boot b exactly once, in order. */
function expectCovers(items: any[], b: number, from: number, to: number): void {
  let s = from;
  for (const it of items) {
    expect(it[0]).toBe(b);
    expect(it[1]).toBe(s);
    expect(it[2]).toBeGreaterThanOrEqual(it[1]);
    const p = JSON.parse(it[4]);
    expect(p.t).toBe(1700000000 + it[1] * 60);
    expect(p.r.length * p.i).toBe((it[2] - it[1] + 1) * 60);
    s = it[2] + 1;
  }
  expect(s).toBe(to + 1);
}

export function queueContract(name: string, makeEnv: () => QueueEnv | undefined, tools: ToolName[] = []): void {
  needs(...tools).describe(`flash queue contract: ${name}`, () => {
    it("pushes, returns oldest first with the live batch last, acknowledges, survives a reboot", async () => {
      const env = makeEnv()!;
      const [pushed, next, live, ack2, ack2again, ack4, after] = await env.boot([
        { op: "fill", b: 1, from: 1, to: 5 },
        { op: "next", n: 10 },
        { op: "live" },
        { op: "ack", b: 1, s: 2 },
        { op: "ack", b: 1, s: 2 },
        { op: "ack", b: 1, s: 4 },
        { op: "next", n: 10 },
      ]);
      expect(pushed).toBe(5);
      expect(next).toEqual([1, 2, 3, 4, 5].map((s) => [1, s, s, s === 5 ? 0 : 1, s === 5 ? mk(1, s) : historical(mk(1, s))]));
      expect(live).toEqual([1, 5]);
      expect([ack2, ack2again, ack4]).toEqual([true, false, true]);
      expect(keys(after)).toEqual([[1, 1, 1], [1, 3, 3], [1, 5, 5]]);
      const [again, live2, stats] = await env.boot([{ op: "next", n: 10 }, { op: "live" }, { op: "stats" }]);
      expect(again).toEqual([1, 3, 5].map((s) => [1, s, s, 1, historical(mk(1, s))]));
      expect(live2).toBeNull();
      expect(stats).toMatchObject({ records: 3, torn: 0, merged: 0, dropped: 0, rejected: 0 });
    });

    it("erases page files once acknowledged and keeps going across boots", async () => {
      const env = makeEnv()!;
      const setup = { pageBytes: 1024 };
      const [filled, acked, stats] = await env.boot([{ op: "fill", b: 1, from: 1, to: 30 }, { op: "ackOldest", n: 28 }, { op: "stats" }], setup);
      expect([filled, acked]).toEqual([30, 28]);
      expect(stats.records).toBe(2);
      expect(stats.pages).toBeLessThanOrEqual(2);
      expect(stats.pagesCreated).toBeGreaterThanOrEqual(7);
      const [more, next] = await env.boot([{ op: "fill", b: 2, from: 1, to: 3 }, { op: "next", n: 10 }], setup);
      expect(more).toBe(3);
      expect(keys(next)).toEqual([[1, 29, 29], [1, 30, 30], [2, 1, 1], [2, 2, 2], [2, 3, 3]]);
    });

    it("when full, merges the oldest batches instead of dropping them, reports it, and keeps it after a reboot", async () => {
      const env = makeEnv()!;
      const setup = { pageBytes: 1024, maxPages: 5 };
      const [filled, events, stats, next] = await env.boot([{ op: "fill", b: 1, from: 1, to: 120 }, { op: "events" }, { op: "stats" }, { op: "next", n: 500 }], setup);
      expect(filled).toBe(120);
      expect(events.length).toBeGreaterThan(0);
      expect(events.every((e: string) => e === "queue.merged")).toBe(true);
      expect(stats).toMatchObject({ dropped: 0, rejected: 0, maxPages: 5 });
      expect(stats.merged).toBeGreaterThan(60);
      expect(stats.bytes).toBeLessThanOrEqual(3 * 1024);
      expectCovers(next, 1, 1, 120);
      // merged batches keep their first key, carry the last, and are marked as merged summaries
      const first = JSON.parse(next[0][4]);
      expect(first).toMatchObject({ b: 1, s: 1, h: 1 });
      expect(first.m).toBeGreaterThan(1);
      expect(first.r[0][17]).toBe(1000000 + next[0][2] * 10); // the counter's value at the end of the merged span
      const [after] = await env.boot([{ op: "next", n: 500 }], setup);
      expect(after.map((it: any[]) => [it[0], it[1], it[2], it[4]])).toEqual(next.map((it: any[]) => [it[0], it[1], it[2], it[3] ? it[4] : historical(it[4])]));
    });
  });
}
