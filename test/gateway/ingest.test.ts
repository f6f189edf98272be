// Ingest without a broker: every rejection path, dedup, pending uptime batches and their re-anchoring, events and acks.
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { maxPayloadBytes } from "../../firmware/protocol/messages";
import { EventBus, GatewayEvents } from "../../gateway/events";
import { GatewayCounters } from "../../gateway/ingest/counters";
import { channelTableCrc } from "../../gateway/ingest/handlers";
import { Ingest } from "../../gateway/ingest/ingest";
import { Store } from "../../gateway/storage/store";
import { batch, birth, channels, T0, tempDir, topic } from "./fixture";

let store: Store;
let bus: EventBus;
let counters: GatewayCounters;
let ingest: Ingest;
let logs: string[];
let rejects: GatewayEvents["reject"][];

function send(t: string, payload: unknown, receivedAt = Date.now()): Promise<boolean> {
  const text = typeof payload === "string" ? payload : JSON.stringify(payload);
  return new Promise((resolve, reject) =>
    ingest.submit({ clientId: "test", topic: t, payload: Buffer.from(text), receivedAt }, (err, rejected) => (err ? reject(err) : resolve(rejected))),
  );
}

const samples = (where = "") => store.db.prepare("SELECT channel_id, ts, value, quality FROM samples " + where + " ORDER BY ts, channel_id").all() as any[];
const count = (table: string) => (store.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;

beforeEach(() => {
  store = Store.open(join(tempDir(), "gw.db"));
  bus = new EventBus();
  counters = new GatewayCounters();
  logs = [];
  rejects = [];
  bus.on("reject", (r) => rejects.push(r));
  ingest = new Ingest(store, bus, counters, { flushMs: 2, maxBatch: 100, isKnown: (s, n) => s === "s1" && n !== "stranger", log: (l) => logs.push(l) });
  ingest.start();
});

afterEach(() => {
  ingest.stop();
  store.close();
});

describe("ingest", () => {
  it("stores a batch with unscaled values and qualities, row times from the anchor", async () => {
    const stored: GatewayEvents["batch.stored"][] = [];
    bus.on("batch.stored", (e) => stored.push(e));
    expect(await send(topic("n1", "birth"), birth())).toBe(false);
    expect(await send(topic("n1", "t"), batch(1))).toBe(false);
    expect(stored.map(({ written: _written, ...e }) => e)).toEqual([{ site: "s1", node: "n1", boot: 7, seq: 1, rows: 2 }]);
    // and the samples it wrote, for listeners that would otherwise read them back
    expect(stored[0].written).toEqual({
      channelIds: [1, 4, 6],
      span_ms: 30_000,
      rows: [
        { ts: (T0 + 60) * 1000, values: [12.801, -1.5, 80.5], quality: "ooo" },
        { ts: (T0 + 90) * 1000, values: [12.811, null, 80.4], quality: "ofo" },
      ],
    });
    const s = samples();
    expect(s).toHaveLength(6);
    expect(s[0]).toEqual({ channel_id: 1, ts: (T0 + 60) * 1000, value: 12.801, quality: "o" });
    expect(s[1]).toEqual({ channel_id: 4, ts: (T0 + 60) * 1000, value: -1.5, quality: "o" });
    expect(s[4]).toEqual({ channel_id: 4, ts: (T0 + 90) * 1000, value: null, quality: "f" });
    expect(store.db.prepare("SELECT key, scale FROM channels WHERE channel_id=6").get()).toEqual({ key: "battery_soc_pct", scale: 1 });
  });

  it("stores the same batch once (dedup by site, node, boot, seq)", async () => {
    await send(topic("n1", "birth"), birth());
    await send(topic("n1", "t"), batch(3));
    await send(topic("n1", "t"), batch(3));
    await send(topic("n1", "t"), batch(3, { r: [[1, 2, 3], [4, 5, 6]] })); // same key, other content: still a repeat
    expect(count("batches")).toBe(1);
    expect(count("samples")).toBe(6);
    expect(counters.duplicates).toBe(2);
    expect(samples()[0].value).toBe(12.803);
  });

  it("rejects every kind of bad message with a counted reason, a log line and an event, and keeps what came before", async () => {
    await send(topic("n1", "birth"), birth());
    await send(topic("n1", "t"), batch(1));
    const cases: [string, string, unknown][] = [
      ["malformed", topic("n1", "t"), "{not json"],
      ["oversized", topic("n1", "t"), "x".repeat(maxPayloadBytes + 1)],
      ["unknown-node", topic("n3", "t"), batch(1)], // no birth from n3
      ["unknown-node", topic("stranger", "birth"), birth()], // not in the gateway's nodes
      ["unknown-schema", topic("n1", "birth"), birth({ v: 2 } as any)],
      ["schema-mismatch", topic("n1", "t"), batch(2, { r: [[1, 2], [3, 4]], q: ["oo", "oo"] })],
      ["schema-mismatch", topic("n1", "t"), batch(2, { ch: 12345 })],
      ["bad-time", topic("n1", "t"), batch(2, { t: 1000 })], // wall clock in 1970
      ["bad-topic", topic("n1", "cmd"), { id: "x", c: "time", x: 1 }],
    ];
    for (const [, t, p] of cases) expect(await send(t, p)).toBe(true);
    const expected: { [r: string]: number } = {};
    for (const [r] of cases) expected[r] = (expected[r] ?? 0) + 1;
    expect(counters.rejects).toEqual(expected);
    expect(rejects.map((r) => r.reason)).toEqual(cases.map((c) => c[0]));
    expect(logs.filter((l) => l.includes("rejected"))).toHaveLength(cases.length);
    expect(count("batches")).toBe(1);
    expect(count("samples")).toBe(6);
    expect(store.db.prepare("SELECT boot FROM nodes WHERE node='n1'").get()).toEqual({ boot: 7 }); // v2 birth did not replace it
  });

  it("accepts a batch carrying the CRC of its birth's channel table", async () => {
    await send(topic("n1", "birth"), birth());
    expect(await send(topic("n1", "t"), batch(1, { ch: channelTableCrc(channels) }))).toBe(false);
    expect(count("batches")).toBe(1);
  });

  it("a good message in the same flush as bad ones is stored", async () => {
    await send(topic("n1", "birth"), birth());
    const all = await Promise.all([send(topic("n1", "t"), "[1,"), send(topic("n1", "t"), batch(5)), send(topic("n1", "t"), { b: -1 })]);
    expect(all).toEqual([true, false, true]);
    expect(count("batches")).toBe(1);
  });

  it("keeps uptime batches pending until clock.synced, then re-anchors them: never a 1970 time", async () => {
    await send(topic("n1", "birth"), birth({ clk: 0, up: 20 }));
    await send(topic("n1", "t"), batch(1, { ts: 0, t: 30 }));
    await send(topic("n1", "t"), batch(2, { ts: 0, t: 90 }));
    await send(topic("n1", "t"), batch(2, { ts: 0, t: 90 })); // repeat while pending
    expect(count("samples")).toBe(0);
    expect(count("pending_batches")).toBe(2);
    expect(counters.duplicates).toBe(1);
    const off = T0 - 5; // wall minus uptime, s
    await send(topic("n1", "evt"), { b: 7, t: 120, ts: 0, e: "clock.synced", d: { off } });
    expect(count("pending_batches")).toBe(0);
    expect(store.db.prepare("SELECT seq, t0, time_estimated FROM batches ORDER BY seq").all()).toEqual([
      { seq: 1, t0: (off + 30) * 1000, time_estimated: 0 },
      { seq: 2, t0: (off + 90) * 1000, time_estimated: 0 },
    ]);
    expect(Math.min(...samples().map((s) => s.ts))).toBe((off + 30) * 1000);
    expect(store.db.prepare("SELECT ts, code FROM events").get()).toEqual({ ts: (off + 120) * 1000, code: "clock.synced" });
    expect(store.getNode("s1", "n1")?.clock_synced).toBe(1);
    // later uptime batches of the same boot go straight in
    await send(topic("n1", "t"), batch(3, { ts: 0, t: 150 }));
    expect(store.db.prepare("SELECT t0 FROM batches WHERE seq=3").get()).toEqual({ t0: (off + 150) * 1000 });
  });

  it("anchors uptime batches with a synchronised birth's uptime at its arrival", async () => {
    const arrival = T0 * 1000 + 500;
    await send(topic("n1", "t"), batch(1)); // before any birth: unknown node
    await send(topic("n1", "birth"), birth({ clk: 1, up: 1000 }), arrival);
    await send(topic("n1", "t"), batch(1, { ts: 0, t: 1060 }));
    expect(store.db.prepare("SELECT t0 FROM batches").get()).toEqual({ t0: arrival + 60_000 });
  });

  it("pending batches of another boot wait for that boot's offset while no later boot has one", async () => {
    await send(topic("n1", "birth"), birth({ boot: 8, clk: 0, up: 10 }), T0 * 1000);
    await send(topic("n1", "t"), batch(1, { b: 7, ts: 0, t: 50, h: 1 })); // backlog of the previous boot
    expect(count("pending_batches")).toBe(1);
    expect(count("batches")).toBe(0);
  });

  it("stores events and acks, and matches an ack to its command", async () => {
    const acks: unknown[] = [];
    bus.on("node.ack", (a) => acks.push(a.ack));
    await send(topic("n1", "birth"), birth());
    store.insertCommand({ id: "c1", site: "s1", node: "n1", name: "reboot", args: {}, createdAt: 1, expiresAt: 2 });
    await send(topic("n1", "evt"), { b: 7, t: T0, ts: 1, e: "lvd", d: { v: 11.5 } });
    await send(topic("n1", "ack"), { id: "c1", ok: true, r: "done" });
    expect(store.db.prepare("SELECT ts, code, detail FROM events").get()).toEqual({ ts: T0 * 1000, code: "lvd", detail: '{"v":11.5}' });
    expect(store.db.prepare("SELECT ok, result FROM commands WHERE id='c1'").get()).toEqual({ ok: 1, result: '"done"' });
    expect(acks).toEqual([{ id: "c1", ok: true, r: "done" }]);
  });

  it("a store failure is not acknowledged and is counted", async () => {
    await send(topic("n1", "birth"), birth());
    store.close();
    await expect(send(topic("n1", "t"), batch(1))).rejects.toThrow();
    expect(counters.commitErrors).toBe(1);
    store = Store.open(":memory:"); // for afterEach
  });
});
