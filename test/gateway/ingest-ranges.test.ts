// Impossible numbers from a node are refused with a counted reason (gateway/ingest/ranges.ts), never stored, and
// never make later real batches look like duplicates. Every case here was stored (or silently lost data) before.
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EventBus } from "../../gateway/events";
import { GatewayCounters } from "../../gateway/ingest/counters";
import { Ingest } from "../../gateway/ingest/ingest";
import { Store } from "../../gateway/storage/store";
import { batch, birth, T0, tempDir, topic } from "./fixture";

let store: Store;
let counters: GatewayCounters;
let ingest: Ingest;
/** The gateway's clock: ten minutes after the fixture's first batch. */
const now = (T0 + 600) * 1000;

function send(leaf: string, payload: unknown): Promise<boolean> {
  const text = typeof payload === "string" ? payload : JSON.stringify(payload);
  return new Promise((resolve, reject) =>
    ingest.submit({ clientId: "test", topic: topic("n1", leaf), payload: Buffer.from(text), receivedAt: now }, (err, rejected) => (err ? reject(err) : resolve(rejected))),
  );
}

/** A batch's JSON with one field's value written as raw JSON text (1e400 parses to Infinity). */
const rawBatch = (seq: number, field: string, raw: string) => JSON.stringify({ ...batch(seq), [field]: "@" }).replace('"@"', raw);
const count = (sql: string) => (store.db.prepare(sql).get() as { n: number }).n;

beforeEach(async () => {
  store = Store.open(join(tempDir(), "gw.db"));
  counters = new GatewayCounters();
  ingest = new Ingest(store, new EventBus(), counters, { flushMs: 1, maxBatch: 100, isKnown: () => true, log: () => {}, now: () => now });
  ingest.start();
});

afterEach(() => {
  ingest.stop();
  store.close();
});

describe("ranges of what a node sends", () => {
  it.each([
    ["bad-time", "a batch time of Infinity (1e400)", rawBatch(1, "t", "1e400")],
    ["bad-time", "a batch in the year 3000", batch(1, { t: Date.UTC(3000, 0, 1) / 1000 })],
    ["bad-time", "a batch whose rows end a year ahead", batch(1, { i: 86_400, r: Array(366).fill([1, 2, 3]), q: Array(366).fill("ooo") })],
    ["bad-interval", "an interval of Infinity", rawBatch(1, "i", "1e400")],
    ["bad-interval", "an interval of a year", batch(1, { i: 366 * 86_400 })],
    ["bad-merge", "a merge factor of 1e9", batch(1, { m: 1e9, i: 30e9, h: 1 })],
    ["bad-seq", "a merged batch standing for seqs 1..1e14", batch(1, { e: 1e14, m: 2, i: 60, h: 1 })],
    ["bad-seq", "a seq above 32 bits", batch(2 ** 32)],
    ["bad-seq", "an uptime batch with seq 1e9 ten seconds after boot", batch(1e9, { ts: 0, t: 10 })],
    ["bad-boot", "a boot counter above 32 bits", batch(1, { b: 2 ** 32 })],
    ["bad-uptime", "an uptime batch 1e15 s after boot", batch(1, { ts: 0, t: 1e15 })],
    ["bad-value", "a battery voltage of 1e12 V", batch(1, { r: [[1e15 - 1, 1, 1], [1, 1, 1]] })],
  ])("%s: %s", async (reason, _what, payload) => {
    await send("birth", birth());
    expect(await send("t", payload)).toBe(true);
    expect(counters.rejects).toEqual({ [reason]: 1 });
    expect(count("SELECT count(*) AS n FROM batches")).toBe(0);
    expect(count("SELECT count(*) AS n FROM pending_batches")).toBe(0);
  });

  it("bad-uptime: a birth with an uptime of 1e15 s is refused and sets no clock offset", async () => {
    expect(await send("birth", birth({ up: 1e15 }))).toBe(true);
    expect(counters.rejects).toEqual({ "bad-uptime": 1 });
    expect(count("SELECT count(*) AS n FROM clock_offsets")).toBe(0);
    expect(count("SELECT count(*) AS n FROM nodes")).toBe(0);
  });

  it("bad-value: a channel scale of -400 (values of Infinity) is refused", async () => {
    expect(await send("birth", birth({ ch: [[1, "battery_V", "mean", -400]] }))).toBe(true);
    expect(counters.rejects).toEqual({ "bad-value": 1 });
  });

  it.each([
    ["bad-time", "an event at 1970", { b: 7, t: 0, ts: 1, e: "lvd" }],
    ["bad-time", "an event in the year 3000", { b: 7, t: Date.UTC(3000, 0, 1) / 1000, ts: 1, e: "lvd" }],
    ["bad-uptime", "an event at a negative uptime", { b: 7, t: -100, ts: 0, e: "lvd" }],
    ["bad-time", "clock.synced with an offset of Infinity", '{"b":7,"t":5,"ts":0,"e":"clock.synced","d":{"off":1e400}}'],
    ["bad-time", "clock.synced saying the boot starts next year", { b: 7, t: 5, ts: 0, e: "clock.synced", d: { off: T0 + 366 * 86_400 } }],
  ])("%s: %s", async (reason, _what, payload) => {
    await send("birth", birth({ clk: 0 }));
    expect(await send("evt", payload)).toBe(true);
    expect(counters.rejects).toEqual({ [reason]: 1 });
    expect(count("SELECT count(*) AS n FROM events")).toBe(0);
    expect(count("SELECT count(*) AS n FROM clock_offsets")).toBe(0);
  });

  it("a refused merged batch with e = 1e14 does not turn the rest of its boot into duplicates", async () => {
    await send("birth", birth());
    expect(await send("t", batch(1, { e: 1e14, m: 2, i: 60, h: 1 }))).toBe(true);
    for (let s = 2; s <= 5; s++) expect(await send("t", batch(s))).toBe(false);
    expect(counters.duplicates).toBe(0);
    expect(counters.batchesStored).toBe(4);
    expect(store.db.prepare("SELECT seq, seq_last FROM batches ORDER BY seq").all()).toEqual([2, 3, 4, 5].map((s) => ({ seq: s, seq_last: s })));
  });

  it("a real merged batch (two batches of two rows, m = 2) is still stored over both seqs", async () => {
    await send("birth", birth());
    expect(await send("t", batch(1, { e: 2, m: 2, i: 60, h: 1 }))).toBe(false);
    expect(store.db.prepare("SELECT seq, seq_last, merged FROM batches").all()).toEqual([{ seq: 1, seq_last: 2, merged: 2 }]);
    expect(counters.rejects).toEqual({});
  });
});
