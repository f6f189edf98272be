// Commands and desired config end to end: the API publishes through the gateway's embedded aedes broker to a real
// mqtt.js client acting as the node, which answers on its ack topic.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { MqttClient } from "mqtt";
import { Gateway } from "../../gateway/gateway";
import { ApiFeature } from "../../gateway/api/feature";
import { CommandsFeature } from "../../gateway/commands/feature";
import { birth, nodeClient, T0, tempDir, testConfig, waitFor } from "./fixture";

const TOKEN = "t0ken";
let gw: Gateway;
let feature: ApiFeature;
let commands: CommandsFeature;
let clients: MqttClient[] = [];

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const r = await fetch(`http://127.0.0.1:${feature.api!.port}${path}`, {
    method,
    headers: { authorization: "Bearer " + TOKEN, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: r.status, body: await r.json() };
}

async function node(name: string): Promise<MqttClient> {
  const c = await nodeClient(gw.brokerUrl, name);
  clients.push(c);
  return c;
}

beforeEach(async () => {
  gw = new Gateway(testConfig(tempDir()));
  commands = new CommandsFeature(gw);
  feature = new ApiFeature(gw, { api: { port: 0, token: TOKEN, requireToken: true }, commands, log: () => {} });
  gw.use(commands).use(feature);
  await gw.start();
});

afterEach(async () => {
  for (const c of clients) c.end(true);
  clients = [];
  await gw.stop();
});

describe("commands through the embedded broker", () => {
  it("the node receives the command, acks it, and the API shows the ack and result", async () => {
    const n1 = await node("n1");
    await n1.publishAsync("mg/v1/s1/n1/birth", JSON.stringify(birth()), { qos: 1, retain: true });
    await waitFor(() => gw.store!.getNode("s1", "n1") !== undefined, 5000, "birth stored");
    const got: { topic: string; payload: any; retain: boolean; qos: number }[] = [];
    n1.on("message", (topic, payload, packet) => {
      const p = JSON.parse(payload.toString());
      got.push({ topic, payload: p, retain: packet.retain, qos: packet.qos });
      if (topic.endsWith("/cmd")) n1.publish("mg/v1/s1/n1/ack", JSON.stringify({ id: p.id, ok: true, r: { queued: 3 } }), { qos: 1 });
    });
    await n1.subscribeAsync(["mg/v1/s1/n1/cmd", "mg/v1/s1/n1/cfg"], { qos: 1 });

    const r = await api("POST", "/api/sites/s1/nodes/n1/commands", { c: "resend", a: { from: 1, to: 9 }, ttl_s: 120 });
    expect(r.status).toBe(202);
    await waitFor(() => got.some((g) => g.topic.endsWith("/cmd")), 5000, "command delivered");
    const cmd = got.find((g) => g.topic.endsWith("/cmd"))!;
    expect(cmd.payload).toMatchObject({ id: r.body.id, c: "resend", a: { from: 1, to: 9 } });
    expect(cmd.qos).toBe(1);
    expect(cmd.retain).toBe(false);

    let rec: any;
    await waitFor(() => (rec = commands.service!.get(r.body.id)) !== undefined && rec.acked_at !== null, 5000, "ack recorded");
    const shown = await api("GET", `/api/sites/s1/nodes/n1/commands/${r.body.id}`);
    expect(shown.body.command).toMatchObject({ state: "ok", ok: true, result: { queued: 3 } });
    expect(commands.service!.unknownAcks).toBe(0);
  });

  it("desired config is retained: a node that connects later still receives it", async () => {
    const first = await node("n2");
    await first.publishAsync("mg/v1/s1/n2/birth", JSON.stringify(birth()), { qos: 1, retain: true });
    await waitFor(() => gw.store!.getNode("s1", "n2") !== undefined, 5000, "birth stored");
    first.end(true);
    const put = await api("PUT", "/api/sites/s1/nodes/n2/config", { config: { report_s: 30 } });
    expect(put.status).toBe(200);

    const later = await node("n2");
    const cfg = new Promise<{ payload: any; retain: boolean }>((resolve) => later.on("message", (_t, p, packet) => resolve({ payload: JSON.parse(p.toString()), retain: packet.retain })));
    await later.subscribeAsync("mg/v1/s1/n2/cfg", { qos: 1 });
    const m = await cfg;
    expect(m).toEqual({ payload: { report_s: 30 }, retain: true });
  });

  it("the config state: unknown before the node reports; then desired against applied, the node's refusal and its trial", async () => {
    expect((await api("GET", "/api/sites/s1/nodes/n1/config/state")).status).toBe(404);
    const n1 = await node("n1");
    await n1.publishAsync("mg/v1/s1/n1/birth", JSON.stringify(birth({ cfg: { report_s: 60, sample_s: 5 } })), { qos: 1, retain: true });
    await waitFor(() => gw.store!.getNode("s1", "n1") !== undefined, 5000, "birth stored");
    expect((await api("GET", "/api/sites/s1/nodes/n1/config/state")).body).toEqual({
      site: "s1", node: "n1", desired: null, desired_at: null, applied: { report_s: 60, sample_s: 5 }, pending: [], refused: null, trial: null,
    });
    expect((await api("PUT", "/api/sites/s1/nodes/n1/config", { config: { report_s: 30, sample_s: 5 } })).status).toBe(200);
    await n1.publishAsync("mg/v1/s1/n1/evt", JSON.stringify({ b: 7, t: T0, ts: 1, e: "cfg.refused", d: { why: "report_s: busy" } }), { qos: 1 });
    await n1.publishAsync("mg/v1/s1/n1/evt", JSON.stringify({ b: 7, t: T0 + 1, ts: 1, e: "cfg.trial", d: { ok: 1 } }), { qos: 1 });
    const stored = () => gw.store!.db.prepare("SELECT COUNT(*) AS n FROM events WHERE node = 'n1' AND code LIKE 'cfg.%'").get() as { n: number };
    await waitFor(() => stored().n === 2, 5000, "refusal and trial stored");
    const st = (await api("GET", "/api/sites/s1/nodes/n1/config/state")).body;
    expect(st).toMatchObject({ desired: { report_s: 30, sample_s: 5 }, applied: { report_s: 60, sample_s: 5 }, pending: ["report_s"], refused: { why: "report_s: busy" }, trial: { ok: true } });
    expect(st.desired_at).toBeGreaterThan(0);
  });
});
