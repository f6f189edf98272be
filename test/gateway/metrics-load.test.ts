// What /metrics shows of a gateway under load, read from a real gateway (embedded broker, SQLite, HTTP API):
// reconnects per node, the time from a PUBLISH to its PUBACK (sent only after the commit), and event-loop lag.
import { afterEach, describe, expect, it } from "vitest";
import type { MqttClient } from "mqtt";
import { Gateway } from "../../gateway/gateway";
import { ApiFeature } from "../../gateway/api/feature";
import { Reconnects } from "../../gateway/ingest/latency";
import { batch, birth, connectClient, nodeClient, tempDir, testConfig, topic } from "./fixture";

const TOKEN = "metrics-t0ken";
let gw: Gateway | undefined;
const clients: MqttClient[] = [];

async function start(flushMs: number, over: { [k: string]: unknown } = {}): Promise<ApiFeature> {
  gw = new Gateway(testConfig(tempDir(), { storage: { flushMs }, ...over }));
  const api = new ApiFeature(gw, { api: { port: 0, token: TOKEN, requireToken: true }, log: () => {} });
  gw.use(api);
  await gw.start();
  return api;
}

async function metrics(api: ApiFeature): Promise<string> {
  const r = await fetch(`http://127.0.0.1:${api.api!.port}/metrics`, { headers: { authorization: "Bearer " + TOKEN } });
  expect(r.status).toBe(200);
  return r.text();
}

/** The value of one sample line (name with its labels), or undefined when the text has none. */
function sample(text: string, nameAndLabels: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(nameAndLabels + " "));
  return line === undefined ? undefined : Number(line.slice(nameAndLabels.length + 1));
}

async function connect(node: string): Promise<MqttClient> {
  const c = await nodeClient(gw!.brokerUrl, node);
  clients.push(c);
  return c;
}

async function connectAnonymous(clientId: string): Promise<MqttClient> {
  const c = await connectClient(gw!.brokerUrl, { clientId });
  clients.push(c);
  return c;
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.end(true);
  await gw?.stop();
  gw = undefined;
});

describe("/metrics under load", () => {
  it("counts a node's CONNECTs after its first as reconnects, per node", async () => {
    const api = await start(5);
    for (let k = 0; k < 3; k++) (await connect("n1")).end(true);
    await connect("n2");
    const text = await metrics(api);
    expect(text).toContain("# TYPE minigrid_node_reconnects_total counter");
    expect(sample(text, 'minigrid_node_reconnects_total{node="s1/n1"}')).toBe(2);
    expect(sample(text, 'minigrid_node_reconnects_total{node="s1/n2"}')).toBe(0);
    // a refused login is no connection of the node
    await expect(nodeClient(gw!.brokerUrl, "n2", { password: "wrong" })).rejects.toThrow();
    expect(sample(await metrics(api), 'minigrid_node_reconnects_total{node="s1/n2"}')).toBe(0);
  });

  it("in demo mode counts an anonymous controller by its client id, and keeps at most 5,000 of them", async () => {
    const api = await start(5, { demo: true });
    for (let k = 0; k < 2; k++) (await connectAnonymous("demo.n7")).end(true);
    expect(sample(await metrics(api), 'minigrid_node_reconnects_total{node="demo.n7"}')).toBe(1);
    const r = new Reconnects(2);
    for (const id of ["a", "b", "c", "a"]) r.connected(id);
    expect(r.perNode).toEqual({ a: 1, b: 0 });
  });

  it("gives the PUBACK latency as a histogram that includes the wait for the commit", async () => {
    // commits every 60 ms: a PUBACK cannot come sooner than the next commit after its PUBLISH
    const api = await start(60);
    const n1 = await connect("n1");
    await n1.publishAsync(topic("n1", "birth"), JSON.stringify(birth()), { qos: 1 });
    for (let s = 0; s < 3; s++) await n1.publishAsync(topic("n1", "t"), JSON.stringify(batch(s)), { qos: 1 });
    await n1.publishAsync(topic("n1", "t"), JSON.stringify(batch(9)), { qos: 0 }); // no PUBACK: not measured
    const text = await metrics(api);
    expect(text).toContain("# TYPE minigrid_puback_latency_seconds histogram");
    const count = sample(text, "minigrid_puback_latency_seconds_count");
    expect(count).toBe(4);
    expect(sample(text, 'minigrid_puback_latency_seconds_bucket{le="+Inf"}')).toBe(4);
    expect(sample(text, 'minigrid_puback_latency_seconds_bucket{le="0.01"}')).toBe(0);
    expect(sample(text, "minigrid_puback_latency_seconds_sum")).toBeGreaterThanOrEqual(4 * 0.05);
    // buckets are cumulative
    const buckets = text.split("\n").filter((l) => l.startsWith("minigrid_puback_latency_seconds_bucket")).map((l) => Number(l.split(" ")[1]));
    for (let i = 1; i < buckets.length; i++) expect(buckets[i]).toBeGreaterThanOrEqual(buckets[i - 1]);
  });

  it("shows event-loop lag: a 300 ms block of the loop appears as its maximum delay at the next scrape", async () => {
    const api = await start(5);
    await new Promise((r) => setTimeout(r, 50));
    const until = Date.now() + 300;
    while (Date.now() < until); // the loop blocked, as a long synchronous commit would
    await new Promise((r) => setTimeout(r, 30));
    const text = await metrics(api);
    expect(text).toContain("# TYPE minigrid_event_loop_lag_seconds gauge");
    expect(sample(text, 'minigrid_event_loop_lag_seconds{quantile="1"}')).toBeGreaterThanOrEqual(0.25);
    expect(sample(text, 'minigrid_event_loop_lag_seconds{quantile="0.5"}')).toBeLessThan(0.25);
  });
});
