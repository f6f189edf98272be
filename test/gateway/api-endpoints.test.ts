import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startApi, RunningApi } from "../../gateway/api/server";
import { AlarmService } from "../../gateway/alarms/service";
import { GatewayCounters } from "../../gateway/ingest/counters";
import type { Store } from "../../gateway/storage/store";
import type { EventBus } from "../../gateway/events";
import { addBatch, makeStore, T0 } from "./api-fixture";

const TOKEN = "s3cret-token";
const MIN = 60_000;

interface Published {
  topic: string;
  payload: string;
  opts: { qos: 0 | 1; retain: boolean };
}

let store: Store;
let bus: EventBus;
let api: RunningApi;
let alarms: AlarmService;
let published: Published[];
let now: number;
let counters: GatewayCounters;

function url(path: string): string {
  return `http://127.0.0.1:${api.port}${path}`;
}

async function get(path: string, token: string | null = TOKEN): Promise<{ status: number; body: any; text: string; headers: Headers }> {
  const r = await fetch(url(path), { headers: token ? { authorization: "Bearer " + token } : {} });
  const text = await r.text();
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: r.status, body, text, headers: r.headers };
}

async function send(method: string, path: string, body: unknown): Promise<{ status: number; body: any; headers: Headers }> {
  const r = await fetch(url(path), { method, headers: { authorization: "Bearer " + TOKEN, "content-type": "application/json" }, body: typeof body === "string" ? body : JSON.stringify(body) });
  return { status: r.status, body: await r.json(), headers: r.headers };
}

/** Read an SSE stream until `until` matches the text so far. */
async function readSse(path: string, until: (text: string) => boolean, trigger?: () => void): Promise<string> {
  const ac = new AbortController();
  const r = await fetch(url(path), { headers: { authorization: "Bearer " + TOKEN }, signal: ac.signal });
  const reader = r.body!.getReader();
  let text = "";
  const dec = new TextDecoder();
  let fired = false;
  const deadline = Date.now() + 5000;
  while (!until(text) && Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    text += dec.decode(value);
    if (!fired && trigger) {
      fired = true;
      trigger();
    }
  }
  ac.abort();
  return text;
}

beforeEach(async () => {
  ({ store, bus } = makeStore());
  now = T0 + 10 * MIN;
  published = [];
  counters = new GatewayCounters();
  alarms = new AlarmService({ db: store.db, bus, config: { enabled: true, defaults: {}, sites: {} }, publish: (topic, payload, opts) => void published.push({ topic, payload, opts }), now: () => now });
  alarms.start();
  api = await startApi({
    store,
    bus,
    counters,
    config: { host: "127.0.0.1", port: 0, token: TOKEN, requireToken: true, sites: { "site-a": { timezone: "Africa/Nairobi" } } },
    publish: async (topic, payload, opts) => void published.push({ topic, payload, opts }),
    now: () => now,
    log: () => {},
  });
});

afterEach(async () => {
  await api.stop();
  alarms.stop();
  store.close();
});

describe("authentication", () => {
  it("refuses requests without the token or with a wrong one, with a JSON error", async () => {
    const none = await get("/api/sites", null);
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe("unauthorized");
    expect(none.headers.get("www-authenticate")).toContain("Bearer");
    expect((await get("/api/sites", "wrong")).status).toBe(401);
    expect((await get("/metrics", null)).status).toBe(401);
    expect((await get("/api/sites")).status).toBe(200);
  });
  it("takes ?access_token= only where browsers cannot send headers: the event stream and the CSV export", async () => {
    expect((await get(`/api/sites?access_token=${TOKEN}`, null)).status).toBe(401);
    expect((await get(`/api/sites/site-a/nodes/ctl-1/export.csv?access_token=${TOKEN}`, null)).status).toBe(200);
    const ac = new AbortController();
    const r = await fetch(url(`/api/events?access_token=${TOKEN}`), { signal: ac.signal });
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toContain("text/event-stream");
    ac.abort();
    expect((await get(`/api/events?access_token=wrong`, null)).status).toBe(401);
  });
  it("needs no token on loopback unless required, and will not listen beyond loopback without one", async () => {
    const open = await startApi({ store, bus, config: { port: 0 }, log: () => {} });
    try {
      const r = await fetch(`http://127.0.0.1:${open.port}/api/sites`);
      expect(r.status).toBe(200);
    } finally {
      await open.stop();
    }
    await expect(startApi({ store, bus, config: { host: "0.0.0.0", port: 0 }, log: () => {} })).rejects.toThrow(/token/);
  });
});

describe("sites, nodes, latest", () => {
  it("lists sites and nodes with firmware, link quality and interval", async () => {
    addBatch(store, bus, { t0: T0, rows: [{ 1: 51.2, 6: 80 }] });
    store.db.prepare("UPDATE nodes SET link_rssi = -72, backlog = 3").run();
    const s = await get("/api/sites");
    expect(s.body.sites).toEqual([expect.objectContaining({ site: "site-a", nodes: 1, online: 1, active_alarms: 0, timezone: "Africa/Nairobi" })]);
    const n = await get("/api/sites/site-a/nodes");
    expect(n.body.nodes[0]).toMatchObject({ node: "ctl-1", online: true, fw: "0.3.1", board: "esp32", backlog: 3, link_rssi: -72, link_quality: "fair", interval_s: 60 });
    expect((await get("/api/sites/nowhere/nodes")).status).toBe(404);
    const bad = await get("/api/sites/Bad%20Site/nodes");
    expect(bad.status).toBe(400);
    expect(bad.body.error.param).toBe("site");
  });
  it("without a signal strength, judges the link by the share of the last day's batches that came in live", async () => {
    for (let k = 0; k < 10; k++) addBatch(store, bus, { t0: T0 + k * MIN, rows: [{ 1: 51 }] });
    now = T0 + 11 * MIN;
    const first = (await get("/api/sites/site-a/nodes")).body.nodes[0];
    expect(first).toMatchObject({ link_rssi: null, live_share_24h: 1, link_quality: "good" });
    // two of the ten sent later from the node's flash queue: 80% live is a poor link
    store.db.prepare("UPDATE batches SET historical = 1 WHERE rowid IN (SELECT rowid FROM batches ORDER BY t0 LIMIT 2)").run();
    expect((await get("/api/sites/site-a/nodes")).body.nodes[0]).toMatchObject({ live_share_24h: 0.8, link_quality: "poor" });
    // a day later none of them counts
    now = T0 + 2 * 86400_000;
    expect((await get("/api/sites/site-a/nodes")).body.nodes[0]).toMatchObject({ live_share_24h: null, link_quality: null });
  });
  it("gives the latest value per channel with unit, quality and a stale flag after three intervals", async () => {
    addBatch(store, bus, { t0: T0, rows: [{ 1: 51.0, 6: 80, 22: 900 }, { 1: 51.5, 6: 79.5, 22: null }] });
    now = T0 + 4 * MIN;
    const r = await get("/api/sites/site-a/nodes/ctl-1/latest");
    const by = Object.fromEntries(r.body.channels.map((c: any) => [c.id, c]));
    expect(by[1]).toMatchObject({ key: "battery_V", agg: "mean", unit: "V", value: 51.5, quality: "o", ts: T0 + MIN, stale: false });
    expect(by[6]).toMatchObject({ unit: "%", value: 79.5 });
    expect(by[22]).toMatchObject({ unit: "W", value: null, quality: "f" });
    expect(by[26].unit).toBeNull();
    now = T0 + 5 * MIN;
    const later = await get("/api/sites/site-a/nodes/ctl-1/latest");
    expect(later.body.channels.find((c: any) => c.id === 1).stale).toBe(true);
    expect((await get("/api/sites/site-a/nodes/nope/latest")).status).toBe(404);
  });
});

describe("history", () => {
  it("downsamples to min/mean/max per bucket, by channel id or key", async () => {
    const rows = Array.from({ length: 120 }, (_, k) => ({ 22: k * 10, 1: 50 }));
    addBatch(store, bus, { t0: T0, rows });
    const r = await get(`/api/sites/site-a/nodes/ctl-1/history?channel=pv_W&from=${T0}&to=${T0 + 120 * MIN}&points=4`);
    expect(r.status).toBe(200);
    expect(r.body.channel).toEqual({ id: 22, key: "pv_W", agg: "mean", unit: "W" });
    expect(r.body.bucket_ms).toBe(30 * MIN);
    expect(r.body.points).toHaveLength(4);
    expect(r.body.points[0]).toEqual({ t: T0, n: 30, min: 0, mean: 145, max: 290 });
    expect(r.body.points[3]).toMatchObject({ min: 900, max: 1190 });
    const byId = await get(`/api/sites/site-a/nodes/ctl-1/history?channel=22&from=${new Date(T0).toISOString()}&to=${T0 + 120 * MIN}&points=2`);
    expect(byId.body.points.map((p: any) => p.n)).toEqual([60, 60]);
  });
  it("wide ranges come from the rollups and agree with the samples", async () => {
    // two days of minutes in daily batches
    for (let d = 0; d < 2; d++) addBatch(store, bus, { t0: T0 + d * 86_400_000, rows: Array.from({ length: 1440 }, (_, k) => ({ 22: (k % 100) + d })) });
    const r = await get(`/api/sites/site-a/nodes/ctl-1/history?channel=22&from=${T0}&to=${T0 + 2 * 86_400_000}&points=4`);
    expect(r.body.source).toBe("rollup-10800000");
    const n = r.body.points.reduce((a: number, p: any) => a + p.n, 0);
    expect(n).toBe(2880);
    expect(Math.min(...r.body.points.map((p: any) => p.min))).toBe(0);
    expect(Math.max(...r.body.points.map((p: any) => p.max))).toBe(100);
    const mean = r.body.points.reduce((a: number, p: any) => a + p.mean * p.n, 0) / n;
    let sum = 0;
    for (let d = 0; d < 2; d++) for (let k = 0; k < 1440; k++) sum += (k % 100) + d;
    expect(mean).toBeCloseTo(sum / 2880, 6);
  });
  it("a site's history and series read right after a batch is stored include it (its rollups are rebuilt before the read)", async () => {
    for (let d = 0; d < 2; d++) addBatch(store, bus, { t0: T0 + d * 86_400_000, rows: Array.from({ length: 1440 }, (_, k) => ({ 22: (k % 100) + d })) });
    const h = await get(`/api/sites/site-a/history?series=ctl-1:pv_W&from=${T0}&to=${T0 + 2 * 86_400_000}&points=4`);
    expect(h.status).toBe(200);
    expect(h.body.series[0].source).toBe("rollup-10800000");
    expect(h.body.series[0].points.reduce((a: number, p: any) => a + p.n, 0)).toBe(2880);
    const s = await get(`/api/sites/site-a/series?from=${T0}&to=${T0 + 2 * 86_400_000}&points=8`);
    expect(s.status).toBe(200);
    const pv = s.body.series.find((x: any) => x.id === "pv_W");
    expect(pv.mean.filter((v: number | null) => v !== null)).toHaveLength(s.body.t.length);
  });
  it("answers 400 naming the parameter for bad dates, an unknown channel and bad points", async () => {
    const base = "/api/sites/site-a/nodes/ctl-1/history";
    const cases: [string, string][] = [
      ["?channel=22&from=yesterday", "from"],
      ["?channel=22&to=2026-13-45T00:00:00Z", "to"],
      ["?channel=nope_W", "channel"],
      ["?channel=999", "channel"],
      ["", "channel"],
      ["?channel=22&points=0", "points"],
      [`?channel=22&from=${T0 + 1000}&to=${T0}`, "from"],
    ];
    for (const [q, param] of cases) {
      const r = await get(base + q);
      expect(r.status, q).toBe(400);
      expect(r.body.error.param, q).toBe(param);
      expect(r.body.error.message, q).toContain(param);
    }
  });
});

describe("errors", () => {
  it("unknown endpoint 404, wrong method 405, bad JSON body 400", async () => {
    expect((await get("/api/nothing")).body.error.code).toBe("not-found");
    const r = await fetch(url("/api/sites"), { method: "DELETE", headers: { authorization: "Bearer " + TOKEN } });
    expect(r.status).toBe(405);
    const bad = await send("POST", "/api/sites/site-a/nodes/ctl-1/commands", "{not json");
    expect(bad.status).toBe(400);
    expect(bad.body.error.param).toBe("body");
  });
});

describe("metrics", () => {
  it("serves Prometheus text with ingest counters, rejects by reason, queue depths and nodes online", async () => {
    counters.batchesStored = 42;
    counters.rowsStored = 420;
    counters.reject("malformed");
    counters.reject("malformed");
    counters.reject("unknown-node");
    counters.gauges.queueDepth = () => 7;
    const r = await get("/metrics");
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toContain("text/plain");
    expect(r.text).toContain("minigrid_batches_stored_total 42");
    expect(r.text).toContain('minigrid_rejects_total{reason="malformed"} 2');
    expect(r.text).toContain('minigrid_rejects_total{reason="unknown-node"} 1');
    expect(r.text).toContain('minigrid_queue_depth{queue="ingest"} 7');
    expect(r.text).toContain('minigrid_nodes_online{site="site-a"} 1');
    expect(r.text).toMatch(/# TYPE minigrid_ingest_batches_per_second gauge/);
    // per-channel values are opt-in (http.metrics.channels): one series per channel can be many
    expect(r.text).not.toContain("minigrid_channel_value");
  });
});

describe("alarms through the API", () => {
  const healthy = { 1: 51.5, 2: 51.0, 6: 70, 22: 400, 26: 0, 41: 300 };
  it("channels with quality f for five minutes raise sensor_failed per device", async () => {
    addBatch(store, bus, { t0: T0, rows: Array.from({ length: 6 }, () => ({ 1: 51, 6: 70 })) });
    const rules = (await get("/api/alarms?active=1")).body.alarms.map((a: any) => a.rule).sort();
    // pv_W and charger_fault are the charge controller's, ac_out_W the inverter's
    expect(rules).toEqual(["sensor_failed:charger", "sensor_failed:inverter"]);
  });
  it("a low battery series raises an alarm that the API lists, publishes and lets an operator acknowledge", async () => {
    // SOC 25 % for 6 minutes: soc_low raises after 5 (default raise_after_s 300)
    addBatch(store, bus, { t0: T0, rows: Array.from({ length: 6 }, () => ({ ...healthy, 6: 25 })) });
    const list = await get("/api/alarms?active=1");
    expect(list.body.alarms).toHaveLength(1);
    const a = list.body.alarms[0];
    expect(a).toMatchObject({ site: "site-a", node: "ctl-1", rule: "soc_low", severity: "warning", raised_at: T0 + 5 * MIN, cleared_at: null, acked_at: null, value: 25 });
    const pub = published.filter((p) => p.topic === "mg/v1/site-a/_gw/alarm");
    expect(pub).toHaveLength(1);
    expect(pub[0].opts).toEqual({ qos: 1, retain: false });
    expect(JSON.parse(pub[0].payload)).toMatchObject({ id: a.id, rule: "soc_low", state: "raised" });
    expect((await get("/api/sites")).body.sites[0].active_alarms).toBe(1);

    const ack = await send("POST", `/api/alarms/${a.id}/ack`, { by: "amina" });
    expect(ack.status).toBe(200);
    expect(ack.body.alarm).toMatchObject({ acked_at: now, acked_by: "amina" });
    expect(JSON.parse(published[published.length - 1].payload)).toMatchObject({ id: a.id, state: "acked", acked_by: "amina" });
    expect((await send("POST", "/api/alarms/9999/ack", {})).status).toBe(404);
    const badId = await send("POST", "/api/alarms/x/ack", {});
    expect(badId.body.error.param).toBe("id");

    // recovery above 40 % for 10 minutes clears it; it stays listed, no longer active
    addBatch(store, bus, { t0: T0 + 6 * MIN, rows: Array.from({ length: 10 }, () => ({ ...healthy, 6: 60 })) });
    expect((await get("/api/alarms?active=1")).body.alarms).toHaveLength(0);
    const all = await get("/api/alarms");
    expect(all.body.alarms[0]).toMatchObject({ id: a.id, cleared_at: T0 + 16 * MIN });
    expect((await get("/api/alarms?active=maybe")).body.error.param).toBe("active");
  });
  it("node offline comes from node.state and reaches the live event stream", async () => {
    const text = await readSse(
      "/api/events",
      (t) => t.includes("event: alarm"),
      () => {
        bus.emit("node.state", { site: "site-a", node: "ctl-1", online: false, reason: "will" });
        now += 130_000;
        alarms.tick();
      },
    );
    expect(text).toContain("event: node.state");
    const m = /event: alarm\ndata: (.*)\n/.exec(text);
    expect(JSON.parse(m![1])).toMatchObject({ rule: "node_offline", state: "raised", node: "ctl-1" });
  });
  it("stored batches appear on the live event stream with the values they stored", async () => {
    const text = await readSse(
      "/api/events",
      (t) => /event: batch.stored\ndata: .*\n\n/.test(t),
      () => addBatch(store, bus, { t0: T0, rows: [{ 1: 50, 22: 412.5 }, { 1: 50.25 }] }),
    );
    const data = JSON.parse(/event: batch.stored\ndata: (.*)\n/.exec(text)![1]);
    expect(data).toMatchObject({ site: "site-a", node: "ctl-1", boot: 4, rows: 2, t0: T0, interval_s: 60 });
    const keys = data.channels.map((c: { key: string; agg: string }) => `${c.key}:${c.agg}`);
    expect(keys).toEqual(["battery_V:mean", "battery_V:min", "battery_soc_pct:last", "pv_W:mean", "charger_fault:last", "ac_out_W:mean"]);
    expect(data.channels[0].unit).toBe("V");
    expect(data.samples).toEqual([
      { ts: T0, values: [50, null, null, 412.5, null, null], quality: "offoff" },
      { ts: T0 + MIN, values: [50.25, null, null, null, null, null], quality: "offfff" },
    ]);
  });
});

describe("commands and desired config", () => {
  it("POST a command: 202 with its id, published QoS 1 not retained, completed by the node's ack", async () => {
    const r = await send("POST", "/api/sites/site-a/nodes/ctl-1/commands", { c: "resend", a: { from: 10, to: 20 }, ttl_s: 60 });
    expect(r.status).toBe(202);
    expect(r.body.id).toMatch(/^[0-9a-f]{10}$/);
    expect(r.headers.get("location")).toBe(`/api/sites/site-a/nodes/ctl-1/commands/${r.body.id}`);
    const p = published.find((x) => x.topic === "mg/v1/site-a/ctl-1/cmd")!;
    expect(p.opts).toEqual({ qos: 1, retain: false });
    expect(JSON.parse(p.payload)).toEqual({ id: r.body.id, c: "resend", x: Math.floor(now / 1000) + 60, a: { from: 10, to: 20 } });
    const pending = await get(`/api/sites/site-a/nodes/ctl-1/commands/${r.body.id}`);
    expect(pending.body.command).toMatchObject({ state: "pending", acked_at: null });

    bus.emit("node.ack", { site: "site-a", node: "ctl-1", ack: { id: r.body.id, ok: true, r: { queued: 11 } } });
    const done = await get(`/api/sites/site-a/nodes/ctl-1/commands/${r.body.id}`);
    expect(done.body.command).toMatchObject({ state: "ok", ok: true, result: { queued: 11 }, acked_at: now, name: "resend", args: { from: 10, to: 20 } });
    expect((await get("/api/sites/site-a/nodes/ctl-1/commands")).body.commands).toHaveLength(1);

    now += 120_000;
    const late = await send("POST", "/api/sites/site-a/nodes/ctl-1/commands", { c: "reboot", ttl_s: 60 });
    now += 61_000;
    expect((await get(`/api/sites/site-a/nodes/ctl-1/commands/${late.body.id}`)).body.command.state).toBe("expired");
  });
  it("refuses bad commands naming the parameter", async () => {
    const path = "/api/sites/site-a/nodes/ctl-1/commands";
    expect((await send("POST", path, { c: "selfdestruct" })).body.error.param).toBe("c");
    expect((await send("POST", path, { c: "cfg", a: [1] })).body.error.param).toBe("a");
    expect((await send("POST", path, { c: "reboot", ttl_s: -1 })).body.error.param).toBe("ttl_s");
    expect((await send("POST", path, { c: "resend", a: { from: 5 } })).body.error.param).toBe("a");
    expect((await send("POST", "/api/sites/site-a/nodes/ghost/commands", { c: "reboot" })).status).toBe(404);
    expect(published).toHaveLength(0);
  });
  it("PUT desired config: stored and published retained on cfg", async () => {
    const r = await send("PUT", "/api/sites/site-a/nodes/ctl-1/config", { config: { report_s: 30, off: [22] } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ site: "site-a", node: "ctl-1", config: { report_s: 30, off: [22] } });
    const p = published.find((x) => x.topic === "mg/v1/site-a/ctl-1/cfg")!;
    expect(p.opts).toEqual({ qos: 1, retain: true });
    expect(JSON.parse(p.payload)).toEqual({ report_s: 30, off: [22] });
    expect((await get("/api/sites/site-a/nodes/ctl-1/config")).body.config).toEqual({ report_s: 30, off: [22] });
    expect((await send("PUT", "/api/sites/site-a/nodes/ctl-1/config", { config: "x" })).body.error.param).toBe("config");
  });
  it("refuses a configuration the node's settings schema refuses, for its board: 400 with every reason, nothing published", async () => {
    const path = "/api/sites/site-a/nodes/ctl-1/config";
    const bad = await send("PUT", path, { config: { report_s: -5 } });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toEqual({
      code: "bad-parameter",
      param: "config",
      message: "config: refused, nothing published: report_s: must be a whole number of seconds 1..86400, e.g. 60 (got -5)",
      errors: ["report_s: must be a whole number of seconds 1..86400, e.g. 60 (got -5)"],
    });
    // ctl-1's birth says esp32: its CT inputs are D34 and D35, its network Wi-Fi; site and node are its identity
    const board = await send("PUT", path, { config: { site: "x", interval_s: 30, ct: [{ pin: "A5", ical: 60.6, V: 230 }], net: { kind: "eth" } } });
    expect(board.status).toBe(400);
    expect(board.body.error.errors).toEqual([
      "site: is the node's identity, which a cfg cannot change; write it to the node with minigrid provision",
      expect.stringMatching(/^interval_s: unknown setting; remove it or check its spelling/),
      'net.kind: the esp32 has no Ethernet; set it to "wifi"',
      "ct[0].pin: A5 is not a CT input of the esp32; use one of D34, D35",
    ]);
    const cmd = await send("POST", "/api/sites/site-a/nodes/ctl-1/commands", { c: "cfg", a: { rows: 0 } });
    expect(cmd.status).toBe(400);
    expect(cmd.body.error.param).toBe("a");
    expect(cmd.body.error.errors).toEqual(["rows: must be a whole number 1..86400, e.g. 1 (got 0)"]);
    expect(published).toHaveLength(0);
    expect((await get(path)).status).toBe(404);
    const ok = await send("POST", "/api/sites/site-a/nodes/ctl-1/commands", { c: "cfg", a: { ct: [{ pin: "D34", ical: 60.6, V: 230 }] } });
    expect(ok.status).toBe(202);
  });
});

describe("CSV export", () => {
  it("streams one line per time with a value and a quality column per channel", async () => {
    addBatch(store, bus, { t0: T0, rows: [{ 1: 51.25, 22: 800 }, { 1: 51.5, 22: null }] });
    const r = await get(`/api/sites/site-a/nodes/ctl-1/export.csv?from=${T0}&to=${T0 + 2 * MIN}&channels=1,pv_W`);
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toContain("text/csv");
    expect(r.headers.get("content-disposition")).toContain("site-a-ctl-1-2026-06-01.csv");
    expect(r.text.trim().split("\n")).toEqual([
      "ts_ms,time_utc,time_local,battery_V.mean,battery_V.mean.q,pv_W.mean,pv_W.mean.q",
      // the site's day in Nairobi (UTC+3, the site setting), beside UTC
      `${T0},2026-06-01T06:00:00.000Z,2026-06-01T09:00:00+03:00,51.25,o,800,o`,
      `${T0 + MIN},2026-06-01T06:01:00.000Z,2026-06-01T09:01:00+03:00,51.5,o,,f`,
    ]);
    expect((await get(`/api/sites/site-a/nodes/ctl-1/export.csv?channels=1,bogus`)).body.error.param).toBe("channels");
    expect((await get(`/api/sites/site-a/nodes/ctl-1/export.csv?from=soon`)).body.error.param).toBe("from");
  });
  it("a range of many chunks arrives whole, and progress=1 reports rows done as Server-Sent Events", async () => {
    // three days of minutes: 12 chunks of six hours
    for (let d = 0; d < 3; d++) addBatch(store, bus, { t0: T0 + d * 86_400_000, rows: Array.from({ length: 1440 }, (_, k) => ({ 1: 50 + k / 1000 })) });
    const to = T0 + 3 * 86_400_000;
    const csv = await get(`/api/sites/site-a/nodes/ctl-1/export.csv?from=${T0}&to=${to}&channels=1`);
    const lines = csv.text.trim().split("\n");
    expect(lines).toHaveLength(1 + 3 * 1440);
    expect(lines[lines.length - 1]).toBe(`${to - MIN},${new Date(to - MIN).toISOString()},${new Date(to - MIN + 3 * 3_600_000).toISOString().slice(0, 19)}+03:00,51.439,o`);
    const ts = lines.slice(1).map((l) => Number(l.split(",")[0]));
    expect(ts.every((t, i) => i === 0 || t - ts[i - 1] === MIN)).toBe(true);

    const sse = await readSse(`/api/sites/site-a/nodes/ctl-1/export.csv?from=${T0}&to=${to}&channels=1&progress=1`, (t) => t.includes("event: done"));
    const progress = [...sse.matchAll(/event: progress\ndata: (.*)\n/g)].map((m) => JSON.parse(m[1]));
    expect(progress.length).toBe(12);
    expect(progress[progress.length - 1]).toEqual({ rows: 4320, total: 4320 });
    expect(progress[0].rows).toBeLessThan(progress[1].rows);
    const csvLines = [...sse.matchAll(/^data: (\d+,.*)$/gm)].map((m) => m[1]);
    expect(csvLines).toHaveLength(4320);
    expect(sse).toContain('event: done\ndata: {"rows":4320}');
  });
});
