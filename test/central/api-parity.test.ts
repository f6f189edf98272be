// Central serves the gateway's API with the same shapes: the same node's birth, batches and state given to a real
// gateway (over MQTT, into SQLite) and to central (its message writer, into a real PostgreSQL), then the same requests
// to both over HTTP. Both answer with the same statuses, error codes and parameters named, parse times alike, pick
// the same channel for a key, give the same values, and validate against the same described schemas.
import { Ajv2020 } from "ajv/dist/2020.js";
import type { Server } from "node:http";
import type { MqttClient } from "mqtt";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCentralApi } from "../../central/api";
import { ensureSchema } from "../../central/schema";
import { writeMessage } from "../../central/write";
import type { BirthPayload } from "../../firmware/protocol/messages";
import { startGatewayService, type RunningGateway } from "../../gateway/service";
import { postgresMissing, startPostgres, type Postgres } from "../helpers/postgres";
import { batch, birth, nodeClient, T0, tempDir, testConfig, topic, waitFor } from "../gateway/fixture";

const TOKEN = "parity-token-0123456789";
const ch: BirthPayload["ch"] = [
  [1, "battery_V", "mean", 3],
  [2, "battery_V", "min", 3],
  [4, "battery_A", "mean", 3],
  [6, "battery_soc_pct", "last", 1],
];
const rows = (seq: number) => [
  [12800 + seq, 12700 + seq, -1500, 805],
  [12810 + seq, 12790, null, 804],
];
const quality = ["oooo", "oofo"];

let pgServer: Postgres | undefined;
let pool: pg.Pool;
let central: Server;
let centralUrl: string;
let gw: RunningGateway;
let node: MqttClient;
const docs: { [side: string]: any } = {};
const ajv = new Ajv2020({ strict: false, allErrors: true });

beforeAll(async () => {
  pgServer = await startPostgres();
  if (!pgServer) return;
  pool = new pg.Pool({ ...pgServer.conn, max: 4 });
  await ensureSchema(pool);
  const client = await pool.connect();
  try {
    await writeMessage(client, { site: "s1", node: "n1", kind: "b", items: [{ boot: 7, fw: "1.0.0", bd: "pico", ch }] }, "test");
    await writeMessage(client, { site: "s1", node: "n1", kind: "s", items: [{ on: 1, r: "birth", t: Date.now() }] }, "test");
    const items = [1, 2, 3].map((seq) => ({ ...batch(seq), r: rows(seq), q: quality }));
    await writeMessage(client, { site: "s1", node: "n1", kind: "t", c: ch.map((c) => c[0]), x: ch.map((c) => c[3]), items }, "test");
  } finally {
    client.release();
  }
  central = await startCentralApi({ pool, token: TOKEN }, "127.0.0.1", 0);
  const a = central.address() as { port: number };
  centralUrl = `http://127.0.0.1:${a.port}`;

  const config = testConfig(tempDir(), {}, ["n1"]);
  config.http = { host: "127.0.0.1", port: 0, token: TOKEN };
  gw = await startGatewayService(config, () => undefined);
  node = await nodeClient(gw.gateway.brokerUrl, "n1");
  await node.publishAsync(topic("n1", "birth"), JSON.stringify(birth({ ch })), { qos: 1, retain: true });
  for (const seq of [1, 2, 3]) await node.publishAsync(topic("n1", "t"), JSON.stringify(batch(seq, { r: rows(seq), q: quality })), { qos: 1 });
  await waitFor(() => (gw.gateway.store!.db.prepare("SELECT COUNT(*) AS n FROM batches").get() as { n: number }).n === 3, 5000, "batches stored");
  for (const [side, url] of [["gateway", gw.url], ["central", centralUrl]]) docs[side] = await (await fetch(url + "/api/openapi.json", { headers: { authorization: "Bearer " + TOKEN } })).json();
}, 60_000);

afterAll(async () => {
  node?.end(true);
  await gw?.gateway.stop();
  await new Promise<void>((r) => (central ? central.close(() => r()) : r()));
  await pool?.end();
  await pgServer?.stop();
});

async function both(path: string, token: string | null = TOKEN): Promise<{ gateway: { status: number; body: any }; central: { status: number; body: any } }> {
  const out: any = {};
  for (const [side, url] of [["gateway", gw.url], ["central", centralUrl]]) {
    const r = await fetch(url + path, { headers: token ? { authorization: "Bearer " + token } : {} });
    out[side] = { status: r.status, body: await r.json() };
  }
  return out;
}

/** The reply validates against the schema its own side's OpenAPI document gives for the path and status. */
function validates(side: string, template: string, status: number, body: unknown): void {
  const res = docs[side].paths[template].get.responses[String(status)];
  expect(res, `${side} describes ${status} on ${template}`).toBeDefined();
  let schema = res.content["application/json"].schema;
  if (schema.$ref) schema = docs[side].components.schemas.ErrorReply;
  const v = ajv.compile(schema);
  expect(v(body) ? [] : v.errors, `${side} ${template} ${status}`).toEqual([]);
}

const from = (T0 + 60) * 1000;
const to = (T0 + 300) * 1000;
const cases: [string, string][] = [
  ["/api/sites", "/api/sites"],
  ["/api/sites/s1/nodes", "/api/sites/{site}/nodes"],
  ["/api/sites/s1/nodes/n1/latest", "/api/sites/{site}/nodes/{node}/latest"],
  [`/api/sites/s1/nodes/n1/history?channel=battery_V&from=${from}&to=${to}&points=8`, "/api/sites/{site}/nodes/{node}/history"],
  [`/api/sites/s1/nodes/n1/history?channel=battery_V:min&from=${from}&to=${to}&points=8`, "/api/sites/{site}/nodes/{node}/history"],
  [`/api/sites/s1/nodes/n1/history?channel=4&from=${new Date(from).toISOString().slice(0, 19)}&to=${to}&points=8`, "/api/sites/{site}/nodes/{node}/history"],
  ["/api/sites/s1/latest", "/api/sites/{site}/latest"],
  [`/api/sites/s1/history?series=n1:battery_V,n1:6&from=${from}&to=${to}&points=8`, "/api/sites/{site}/history"],
  // errors
  ["/api/sites/S1/nodes", "/api/sites/{site}/nodes"],
  ["/api/sites/s9/nodes", "/api/sites/{site}/nodes"],
  ["/api/sites/s1/nodes/n9/latest", "/api/sites/{site}/nodes/{node}/latest"],
  ["/api/sites/s1/nodes/n9/history?channel=1", "/api/sites/{site}/nodes/{node}/history"],
  ["/api/sites/s1/nodes/n1/history", "/api/sites/{site}/nodes/{node}/history"],
  ["/api/sites/s1/nodes/n1/history?channel=pv_W", "/api/sites/{site}/nodes/{node}/history"],
  ["/api/sites/s1/nodes/n1/history?channel=1&from=2026-02-30", "/api/sites/{site}/nodes/{node}/history"],
  ["/api/sites/s1/nodes/n1/history?channel=1&from=yesterday", "/api/sites/{site}/nodes/{node}/history"],
  [`/api/sites/s1/nodes/n1/history?channel=1&from=${to}&to=${from}`, "/api/sites/{site}/nodes/{node}/history"],
  ["/api/sites/s1/nodes/n1/history?channel=1&points=0", "/api/sites/{site}/nodes/{node}/history"],
  ["/api/sites/s1/history?series=n1", "/api/sites/{site}/history"],
  ["/api/sites/s1/history?series=n2:1", "/api/sites/{site}/history"],
  ["/api/sites/s9/latest", "/api/sites/{site}/latest"],
];

describe.skipIf(postgresMissing !== "")("central and the gateway answer the same requests alike", () => {
  it.each(cases)("GET %s", async (path, template) => {
    const r = await both(path);
    expect(r.central.status).toBe(r.gateway.status);
    validates("gateway", template, r.gateway.status, r.gateway.body);
    validates("central", template, r.central.status, r.central.body);
    expect(docs.central.paths[template].get.responses[String(r.gateway.status)]).toEqual(docs.gateway.paths[template].get.responses[String(r.gateway.status)]);
    if (r.gateway.status >= 400) {
      expect({ code: r.central.body.error.code, param: r.central.body.error.param }).toEqual({ code: r.gateway.body.error.code, param: r.gateway.body.error.param });
      return;
    }
    const g = r.gateway.body;
    const c = r.central.body;
    if (g.points) {
      expect({ channel: c.channel, from: c.from, to: c.to, bucket_ms: c.bucket_ms, points: c.points }).toEqual({ channel: g.channel, from: g.from, to: g.to, bucket_ms: g.bucket_ms, points: g.points });
    }
    if (g.series) expect(c.series).toEqual(g.series);
    const values = (l: any) => l.channels.map((x: any) => [x.id, x.key, x.agg, x.unit, x.value, x.quality, x.ts]);
    if (g.channels) expect(values(c)).toEqual(values(g));
    if (g.nodes?.[0]?.channels) expect(values(c.nodes[0])).toEqual(values(g.nodes[0]));
    if (g.nodes?.[0]?.fw) expect(c.nodes.map((n: any) => [n.node, n.online, n.fw, n.board, n.boot, n.interval_s])).toEqual(g.nodes.map((n: any) => [n.node, n.online, n.fw, n.board, n.boot, n.interval_s]));
    if (g.sites) expect(c.sites.map((s: any) => [s.site, s.nodes, s.online, s.active_alarms, s.timezone])).toEqual(g.sites.map((s: any) => [s.site, s.nodes, s.online, s.active_alarms, s.timezone]));
  });

  it("both refuse a missing token alike, answer the health check without one, and describe the shared paths alike", async () => {
    const r = await both("/api/sites", null);
    expect([r.gateway.status, r.central.status]).toEqual([401, 401]);
    expect(r.central.body.error.code).toBe(r.gateway.body.error.code);
    const h = await both("/api/health", null);
    expect([h.gateway.status, h.central.status]).toEqual([200, 200]);
    validates("gateway", "/api/health", 200, h.gateway.body);
    validates("central", "/api/health", 200, h.central.body);
    for (const [, template] of cases) expect(docs.central.paths[template].get.parameters).toEqual(docs.gateway.paths[template].get.parameters);
  });
});
