// Attack: a configured node (its own login, its own topics) sends numbers no controller can produce: times of
// Infinity (JSON 1e400), the year 3000 or 1970, an uptime of 1e15 s, an interval of Infinity, a merged batch whose
// last seq is 1e14 (which once made every later batch of the boot an acknowledged duplicate, never stored), values
// beyond a channel's range, a clock.synced offset of Infinity. Real parts: the gateway with its embedded aedes
// broker and a SQLite file, the `mqtt` client as the attacker, /metrics over HTTP. Each must be refused with its
// counted reason, and every real batch the node sends around them must be stored.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MqttClient } from "mqtt";
import { startApi, RunningApi } from "../../gateway/api/server";
import { Gateway } from "../../gateway/gateway";
import { batch, birth, nodeClient, T0, tempDir, testConfig, topic } from "../gateway/fixture";
import { recordAttack } from "./record";

let gw: Gateway;
let api: RunningApi;
let node: MqttClient;

const raw = (seq: number, field: string, json: string) => JSON.stringify({ ...batch(seq), [field]: "@" }).replace('"@"', json);

/** [reason, leaf, payload]: what the attacker sends. */
const attacks: [string, string, string][] = [
  ["bad-time", "t", raw(100, "t", "1e400")],
  ["bad-time", "t", JSON.stringify(batch(101, { t: Date.UTC(3000, 0, 1) / 1000 }))],
  ["bad-time", "t", JSON.stringify(batch(102, { t: 1 }))],
  ["bad-interval", "t", raw(103, "i", "1e400")],
  ["bad-merge", "t", JSON.stringify(batch(104, { m: 1e9, h: 1 }))],
  ["bad-seq", "t", JSON.stringify(batch(3, { e: 1e14, m: 2, i: 60, h: 1 }))],
  ["bad-seq", "t", JSON.stringify(batch(2 ** 40))],
  ["bad-boot", "t", JSON.stringify(batch(105, { b: 1e14 }))],
  ["bad-value", "t", JSON.stringify(batch(106, { r: [[2 ** 40, 1, 1], [1, 1, 1]] }))],
  ["bad-uptime", "t", JSON.stringify(batch(107, { ts: 0, t: 1e15 }))],
  ["bad-time", "evt", JSON.stringify({ b: 7, t: 0, ts: 1, e: "lvd" })],
  ["bad-uptime", "evt", JSON.stringify({ b: 7, t: -50, ts: 0, e: "lvd" })],
  ["bad-time", "evt", '{"b":7,"t":5,"ts":0,"e":"clock.synced","d":{"off":1e400}}'],
  ["bad-uptime", "birth", JSON.stringify(birth({ up: 1e15 }))],
];

beforeAll(async () => {
  gw = new Gateway(testConfig(tempDir("mg-attack-values-")));
  await gw.start();
  api = await startApi({ store: gw.store, bus: gw.bus, counters: gw.counters, config: { port: 0 }, log: () => {} });
  node = await nodeClient(gw.brokerUrl, "n1");
});

afterAll(async () => {
  node?.end(true);
  await api?.stop();
  await gw?.stop();
});

describe("attack: impossible values", () => {
  it("refuses each with its counted reason and stores every real batch around them", async () => {
    const pub = (leaf: string, payload: string) => node.publishAsync(topic("n1", leaf), payload, { qos: 1 });
    await pub("birth", JSON.stringify(birth()));
    await pub("t", JSON.stringify(batch(1)));
    await pub("t", JSON.stringify(batch(2)));
    for (const [, leaf, payload] of attacks) await pub(leaf, payload); // each acknowledged: the node drops it
    const real = [1, 2, 3, 4, 5, 6];
    for (const s of real.slice(2)) await pub("t", JSON.stringify(batch(s)));

    const expected: { [r: string]: number } = {};
    for (const [r] of attacks) expected[r] = (expected[r] ?? 0) + 1;
    const refused = Object.values(gw.counters.rejects).reduce((a, n) => a + n, 0);
    const db = gw.store!.db;
    const stored = (db.prepare("SELECT seq FROM batches WHERE node = 'n1' ORDER BY seq").all() as { seq: number }[]).map((r) => r.seq);
    const lost = real.filter((s) => !stored.includes(s)).length;
    const metrics = await (await fetch(`http://127.0.0.1:${api.port}/metrics`)).text();
    recordAttack({
      attack: "impossible values from a node",
      tried: `${attacks.length} messages with impossible times, uptimes, seqs, intervals, merge factors, values`,
      refused,
      attempts: attacks.length,
      lost,
      note: Object.entries(gw.counters.rejects).map(([r, n]) => `${r} ${n}`).join(", "),
    });
    expect(gw.counters.rejects).toEqual(expected);
    expect(refused).toBe(attacks.length);
    expect(stored).toEqual(real);
    expect(gw.counters.duplicates).toBe(0);
    // nothing impossible in the database: every stored time lies in the fixture's hour
    const range = db.prepare("SELECT min(ts) AS lo, max(ts) AS hi, count(*) AS n FROM samples").get() as { lo: number; hi: number; n: number };
    expect(range.lo).toBeGreaterThanOrEqual(T0 * 1000);
    expect(range.hi).toBeLessThan((T0 + 3600) * 1000);
    expect((db.prepare("SELECT count(*) AS n FROM events").get() as { n: number }).n).toBe(0);
    expect((db.prepare("SELECT max(abs(value)) AS v FROM samples").get() as { v: number }).v).toBeLessThan(100); // 12.8 V, -1.5 A, 80.5 %
    for (const r of Object.keys(expected)) expect(metrics).toContain(`minigrid_rejects_total{reason="${r}"} ${expected[r]}`);
  });
});
