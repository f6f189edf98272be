// GET /api/openapi.json against the gateway that serves it: a real gateway (embedded broker, a SQLite file, the HTTP
// API on a real socket) fed by a node over MQTT. Every route of the table is described; every request below is
// answered with a status its route describes, and every JSON reply validates against that status's schema (ajv,
// JSON Schema 2020-12, the dialect OpenAPI 3.1 uses). Each route must be called here at least once with a success: a
// route added to the table without a request in this file fails the last test.
import { Ajv2020 } from "ajv/dist/2020.js";
import type { MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { match, type Route } from "../../gateway/api/router";
import { apiRoutes } from "../../gateway/api/routes";
import { openApiPath } from "../../gateway/api/openapi";
import { startGatewayService, type RunningGateway } from "../../gateway/service";
import { batch, birth, nodeClient, T0, tempDir, testConfig, topic, waitFor } from "./fixture";

const TOKEN = "openapi-test-token-0123456789";
let running: RunningGateway;
let node: MqttClient;
let doc: any;
const ajv = new Ajv2020({ strict: false, allErrors: true });
const validators = new Map<object, ReturnType<typeof ajv.compile>>();
/** Routes answered with a described success status: "GET /api/sites". */
const succeeded = new Set<string>();

function validatorOf(schema: object) {
  let v = validators.get(schema);
  if (!v) validators.set(schema, (v = ajv.compile({ ...schema, $defs: { ErrorReply: doc.components.schemas.ErrorReply } })));
  return v;
}

/** The OpenAPI response object a route's operation gives for a status (undefined: not described). */
function describedResponse(r: Route, status: number): any {
  return doc.paths[openApiPath(r.path)]?.[r.method.toLowerCase()]?.responses?.[String(status)];
}

function resolve(schema: any): any {
  return schema?.$ref === "#/components/schemas/ErrorReply" ? doc.components.schemas.ErrorReply : schema;
}

/** Send a request; check its status is described for its route and its body validates. */
async function call(method: string, path: string, o: { body?: unknown; token?: string | null; headers?: Record<string, string> } = {}): Promise<{ status: number; body: any; text: string; headers: Headers }> {
  const token = o.token === undefined ? TOKEN : o.token;
  const ac = new AbortController();
  const r = await fetch(running.url + path, {
    method,
    signal: ac.signal,
    headers: { ...(token ? { authorization: "Bearer " + token } : {}), ...(o.body !== undefined ? { "content-type": "application/json" } : {}), ...o.headers },
    body: o.body === undefined ? undefined : JSON.stringify(o.body),
  });
  const pathname = new URL(path, "http://x").pathname;
  const m = match(apiRoutes, method, pathname);
  // a method the path does not answer to (405) is described on the path's other operations
  const other = ["GET", "POST", "PUT"].map((x) => match(apiRoutes, x, pathname)).find((x) => x && x !== "method");
  const route = m && m !== "method" ? m.route : other && other !== "method" ? other.route : undefined;
  if (!route) throw new Error(`${method} ${path}: no route`);
  const described = describedResponse(route, r.status);
  expect(described, `${method} ${path} answered ${r.status}, which its description does not list`).toBeDefined();
  const type = r.headers.get("content-type") ?? "";
  let text = "";
  let body: any;
  if (type.startsWith("text/event-stream")) {
    ac.abort(); // the stream stays open: its events are checked in their own test
  } else {
    text = await r.text();
    const [declared] = Object.keys(described.content ?? {});
    expect(type.split(";")[0], `${method} ${path}: content type`).toBe(declared);
    if (declared === "application/json") {
      body = JSON.parse(text);
      const v = validatorOf(resolve(described.content[declared].schema));
      expect(v(body) ? [] : v.errors, `${method} ${path} -> ${r.status}: ${text.slice(0, 300)}`).toEqual([]);
    }
  }
  if (r.status < 300) succeeded.add(`${route.method} ${route.path}`);
  return { status: r.status, body, text, headers: r.headers };
}

beforeAll(async () => {
  const config = testConfig(tempDir(), {}, ["n1", "n2"]);
  config.http = { host: "127.0.0.1", port: 0, token: TOKEN, metrics: { channels: true } };
  running = await startGatewayService(config, () => undefined);
  node = await nodeClient(running.gateway.brokerUrl, "n1");
  node.publish(topic("n1", "birth"), JSON.stringify(birth({ ch: [...birth().ch, [100, "pv_Wh", "counter", 1]] })), { qos: 1, retain: true });
  for (let seq = 1; seq <= 3; seq++)
    await node.publishAsync(topic("n1", "t"), JSON.stringify(batch(seq, { r: [[12800 + seq, -1500, 805, 1000 + seq], [12810, null, 804, 1002 + seq]], q: ["oooo", "ofoo"] })), { qos: 1 });
  await waitFor(() => (running.gateway.store!.db.prepare("SELECT COUNT(*) AS n FROM batches").get() as { n: number }).n === 3, 5000, "three batches stored");
  doc = (await (await fetch(running.url + "/api/openapi.json", { headers: { authorization: "Bearer " + TOKEN } })).json()) as any;
}, 30_000);

afterAll(async () => {
  node?.end(true);
  await running?.gateway.stop();
});

describe("GET /api/openapi.json", () => {
  it("is OpenAPI 3.1 and describes every route of the table, with each path parameter and a schema for every JSON reply", () => {
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.security).toEqual([{ bearer: [] }]);
    const ops = Object.entries(doc.paths as Record<string, Record<string, any>>).flatMap(([p, ms]) => Object.keys(ms).map((m) => `${m.toUpperCase()} ${p}`));
    expect(ops.sort()).toEqual(apiRoutes.map((r) => `${r.method} ${openApiPath(r.path)}`).sort());
    const ids = new Set<string>();
    for (const r of apiRoutes) {
      const op = doc.paths[openApiPath(r.path)][r.method.toLowerCase()];
      expect(op.summary, r.path).toMatch(/\w/);
      expect(ids.has(op.operationId), op.operationId).toBe(false);
      ids.add(op.operationId);
      const pathParams = r.parts.filter((p) => p.startsWith(":")).map((p) => p.slice(1));
      expect(op.parameters?.filter((p: any) => p.in === "path").map((p: any) => p.name) ?? []).toEqual(pathParams);
      for (const p of op.parameters ?? []) expect(p.description, `${r.path} ${p.name}`).toMatch(/\w/);
      for (const [status, res] of Object.entries(op.responses as Record<string, any>)) {
        for (const [type, media] of Object.entries((res.content ?? {}) as Record<string, any>))
          if (type === "application/json") expect(() => validatorOf(resolve(media.schema)), `${r.path} ${status}`).not.toThrow();
      }
    }
  });

  it("is served without the routes' own token only where described open (the health check)", async () => {
    expect((await call("GET", "/api/openapi.json", { token: null })).status).toBe(401);
    const h = await call("GET", "/api/health", { token: null });
    expect(h.status).toBe(200);
    expect(h.body).toMatchObject({ status: "ok", database: "ok", broker: "ok", nodes: 1, nodes_online: 1 });
    expect(doc.paths["/api/health"].get.security).toEqual([]);
  });
});

describe("real replies validate against their described schemas", () => {
  it("sites, nodes, newest values and history, of a node and of a whole site", async () => {
    expect((await call("GET", "/api/sites")).body.sites[0]).toMatchObject({ site: "s1", nodes: 1, online: 1 });
    expect((await call("GET", "/api/sites/s1/nodes")).body.nodes[0]).toMatchObject({ node: "n1", fw: "1.0.0", board: "pico" });
    const latest = (await call("GET", "/api/sites/s1/nodes/n1/latest")).body;
    expect(latest.channels.find((c: any) => c.key === "pv_Wh")).toMatchObject({ agg: "counter", unit: "Wh", value: 100.5 });
    const from = (T0 + 60) * 1000;
    const to = (T0 + 300) * 1000;
    expect((await call("GET", `/api/sites/s1/nodes/n1/history?channel=battery_V&from=${from}&to=${to}&points=10`)).body.points.length).toBeGreaterThan(0);
    const site = (await call("GET", "/api/sites/s1/latest")).body;
    expect(site.nodes.map((n: any) => n.node)).toEqual(["n1"]);
    expect(site.nodes[0].channels).toEqual(latest.channels.map((c: any) => ({ ...c, stale: site.nodes[0].channels.find((x: any) => x.id === c.id).stale })));
    const many = (await call("GET", `/api/sites/s1/history?series=n1:battery_V,n1:4,n1:pv_Wh&from=${from}&to=${to}&points=10`)).body;
    expect(many.series.map((s: any) => s.channel.key)).toEqual(["battery_V", "battery_A", "pv_Wh"]);
    const alone = (await call("GET", `/api/sites/s1/nodes/n1/history?channel=4&from=${from}&to=${to}&points=10`)).body;
    expect(many.series[1].points).toEqual(alone.points);
  });

  it("the dashboard's fleet and site pages: the fleet, energy per site day, the site's series", async () => {
    const fleet = (await call("GET", "/api/fleet")).body;
    expect(fleet.sites.map((s: any) => s.site)).toEqual(["s1"]);
    expect(fleet.sites[0].nodes[0]).toMatchObject({ node: "n1", online: true });
    const daily = (await call("GET", "/api/sites/s1/daily?days=3")).body;
    expect(daily.days).toHaveLength(3);
    expect(daily.measured).toContain("pv_Wh");
    const from = (T0 + 60) * 1000;
    const series = (await call("GET", `/api/sites/s1/series?from=${from}&to=${(T0 + 300) * 1000}&points=10`)).body;
    expect(series.t.length).toBeGreaterThan(0);
    expect((await call("GET", "/api/sites/s9/daily")).status).toBe(404);
    expect((await call("GET", "/api/sites/s1/series?points=0")).body.error.param).toBe("points");
  });

  it("errors: the parameter at fault, unknown sites and nodes, a missing token", async () => {
    expect((await call("GET", "/api/sites/S1/nodes")).body.error).toMatchObject({ code: "bad-parameter", param: "site" });
    expect((await call("GET", "/api/sites/s9/nodes")).status).toBe(404);
    expect((await call("GET", "/api/sites/s1/nodes/n9/latest")).body.error).toMatchObject({ code: "not-found", param: "node" });
    expect((await call("GET", "/api/sites/s1/nodes/n1/history?channel=nope")).body.error.param).toBe("channel");
    expect((await call("GET", "/api/sites/s1/nodes/n1/history?channel=1&from=yesterday")).body.error.param).toBe("from");
    expect((await call("GET", "/api/sites/s1/history")).body.error.param).toBe("series");
    expect((await call("GET", "/api/sites/s1/history?series=n9:pv_W")).body.error.param).toBe("series");
    expect((await call("GET", "/api/sites/s9/latest")).status).toBe(404);
    expect((await call("GET", "/api/sites", { token: "wrong" })).body.error.code).toBe("unauthorized");
    expect((await call("DELETE", "/api/sites")).status).toBe(405);
  });

  it("alarms, commands and desired configuration", async () => {
    expect((await call("GET", "/api/alarms?active=1")).body.alarms).toEqual([]);
    expect((await call("POST", "/api/alarms/999/ack", { body: { by: "tester" } })).status).toBe(404);
    const db = running.gateway.store!.db;
    const id = Number(db.prepare("INSERT INTO alarms(site, node, rule, severity, raised_at, message, value) VALUES('s1', 'n1', 'battery_low', 'warning', ?, 'low', 11.2)").run(T0 * 1000).lastInsertRowid);
    expect((await call("POST", `/api/alarms/${id}/ack`, { body: { by: "tester" } })).body.alarm).toMatchObject({ id, acked_by: "tester" });
    const sent = await call("POST", "/api/sites/s1/nodes/n1/commands", { body: { c: "reboot", ttl_s: 60 } });
    expect(sent.status).toBe(202);
    expect((await call("GET", `/api/sites/s1/nodes/n1/commands/${sent.body.id}`)).body.command.state).toBe("pending");
    expect((await call("GET", "/api/sites/s1/nodes/n1/commands")).body.commands).toHaveLength(1);
    expect((await call("POST", "/api/sites/s1/nodes/n1/commands", { body: { c: "explode" } })).body.error.param).toBe("c");
    expect((await call("GET", "/api/sites/s1/nodes/n1/config")).status).toBe(404);
    expect((await call("PUT", "/api/sites/s1/nodes/n1/config", { body: { config: { report_s: 30 } } })).body.config).toEqual({ report_s: 30 });
    expect((await call("PUT", "/api/sites/s1/nodes/n1/config", { body: { config: { report_s: -5 } } })).body.error.errors.length).toBeGreaterThan(0);
    expect((await call("GET", "/api/sites/s1/nodes/n1/config")).body.config).toEqual({ report_s: 30 });
    expect((await call("GET", "/api/sites/s1/nodes/n1/config/state")).body.pending).toEqual(["report_s"]);
  });

  it("the CSV export, the metrics text and the OpenAPI document itself", async () => {
    const csv = await call("GET", `/api/sites/s1/nodes/n1/export.csv?from=${(T0 + 60) * 1000}&to=${(T0 + 300) * 1000}`);
    expect(csv.text.split("\n")[0]).toMatch(/^ts_ms,time_utc,time_local,/);
    const metrics = await call("GET", "/metrics");
    expect(metrics.text).toMatch(/^minigrid_channel_value\{site="s1",node="n1",key="battery_V",agg="mean",unit="V"\} 12\.81$/m);
    expect(metrics.text).toMatch(/^minigrid_channel_total\{site="s1",node="n1",key="pv_Wh",agg="counter",unit="Wh"\} 100\.5$/m);
    expect((await call("GET", "/api/openapi.json")).body.paths).toEqual(doc.paths);
  });

  it("the event stream's events carry the stored values, as its x-events schemas describe", async () => {
    const ac = new AbortController();
    const r = await fetch(running.url + "/api/events", { headers: { authorization: "Bearer " + TOKEN }, signal: ac.signal });
    expect(r.headers.get("content-type")).toMatch(/^text\/event-stream/);
    succeeded.add("GET /api/events");
    const reader = r.body!.getReader();
    const dec = new TextDecoder();
    let text = "";
    await node.publishAsync(topic("n1", "t"), JSON.stringify(batch(4, { r: [[12900, -1400, 806, 1010]], q: ["oooo"] })), { qos: 1 });
    while (!/event: batch\.stored\ndata: .*\n\n/.test(text)) text += dec.decode((await reader.read()).value);
    ac.abort();
    const data = JSON.parse(/event: batch\.stored\ndata: (.*)\n/.exec(text)![1]);
    const v = validatorOf(doc.paths["/api/events"].get["x-events"]["batch.stored"]);
    expect(v(data) ? [] : v.errors).toEqual([]);
    expect(data.samples).toEqual([{ ts: (T0 + 4 * 60) * 1000, values: [12.9, -1.4, 80.6, 101], quality: "oooo" }]);
    // the per-channel metrics, read once from the store, follow the stored batch
    const metrics = await call("GET", "/metrics");
    expect(metrics.text).toMatch(/^minigrid_channel_value\{site="s1",node="n1",key="battery_V",agg="mean",unit="V"\} 12\.9$/m);
    expect(metrics.text).toMatch(/^minigrid_channel_total\{site="s1",node="n1",key="pv_Wh",agg="counter",unit="Wh"\} 101$/m);
    expect(metrics.text).toMatch(new RegExp(`^minigrid_channel_updated_seconds\\{site="s1",node="n1",key="battery_V",agg="mean",unit="V"\\} ${T0 + 240}$`, "m"));
  });

  it("updates over the air: a node's update and a rollout, and the refusals they describe", async () => {
    const n2 = await nodeClient(running.gateway.brokerUrl, "n2");
    try {
      await n2.publishAsync(topic("n2", "birth"), JSON.stringify(birth({ bd: "esp32", fw: "1.0.0" })), { qos: 1, retain: true });
      await waitFor(() => (running.gateway.store!.db.prepare("SELECT board FROM nodes WHERE node = 'n2'").get() as { board?: string } | undefined)?.board === "esp32", 5000, "n2's birth stored");
      expect((await call("GET", "/api/updates/rollout")).status).toBe(404);
      expect((await call("POST", "/api/sites/s1/nodes/n2/update", { body: { image: "/*minigrid pico 2.0.0*/\nvar a=1;\n" } })).body.error.param).toBe("image");
      expect((await call("POST", "/api/sites/s1/nodes/n2/update", { body: { image: "/*minigrid esp32 0.9.0*/\nvar a=1;\n" } })).status).toBe(409);
      const sent = await call("POST", "/api/sites/s1/nodes/n2/update", { body: { image: "/*minigrid esp32 2.0.0*/\nvar a=1;\n" } });
      expect(sent.body.update).toMatchObject({ node: "n2", from: "1.0.0", version: "2.0.0", state: "staging" });
      expect((await call("GET", "/api/sites/s1/nodes/n2/update")).body.update.version).toBe("2.0.0");
      // the node is being updated already: the rollout records it as refused
      const r = await call("POST", "/api/updates/rollout", { body: { image: "/*minigrid esp32 2.0.0*/\nvar a=1;\n", nodes: ["s1/n2"], wave_share: 1 } });
      expect(r.status).toBe(202);
      expect((await call("GET", "/api/updates/rollout")).body.rollout.waves).toEqual([["s1/n2"]]);
    } finally {
      n2.end(true);
    }
  });

  it("every route of the table was called with a success above", () => {
    expect([...succeeded].sort()).toEqual(apiRoutes.map((r) => `${r.method} ${r.path}`).sort());
  });
});
