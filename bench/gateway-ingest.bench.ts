// Gateway ingest, end to end: batches published at QoS 1 by several mqtt.js clients until they are stored (PUBACK
// after the commit, nothing lost), compared in the same run with the rate at which the same broker software delivers
// the same messages to a bare QoS 1 subscriber. For the embedded aedes broker and for mosquitto (started here on a
// free port from a generated config; skipped with a message when it is not installed or cannot start).
import { createServer, type AddressInfo } from "node:net";
import { rmSync } from "node:fs";
import { Aedes } from "aedes";
import mqtt, { type MqttClient } from "mqtt";
import { checkConfig, type GatewayConfig } from "../gateway/config/load";
import { Gateway } from "../gateway/gateway";
import { startMosquitto, mosquittoMissing } from "../test/helpers/mosquitto";
import { batch, birth, tempDir, topic, waitFor } from "../test/gateway/fixture";

const CLIENTS = 4;

async function connect(url: string, id: string): Promise<MqttClient> {
  const c = mqtt.connect(url, { clientId: id, reconnectPeriod: 0 });
  await new Promise<void>((resolve, reject) => {
    c.once("connect", () => resolve());
    c.once("error", reject);
  });
  return c;
}

const nodeName = (k: number) => "n" + (k + 1);
const payloads = (perClient: number) => Array.from({ length: perClient }, (_, s) => JSON.stringify(batch(s, { b: 7 })));

/** Publishers send perClient batches each; returns when `done()` says all arrived; messages per second. */
async function run(url: string, perClient: number, done: () => boolean, births: boolean): Promise<number> {
  const pubs = await Promise.all(Array.from({ length: CLIENTS }, (_, k) => connect(url, "bench-" + nodeName(k))));
  if (births) await Promise.all(pubs.map((c, k) => c.publishAsync(topic(nodeName(k), "birth"), JSON.stringify(birth()), { qos: 1 })));
  const data = pubs.map(() => payloads(perClient));
  const t0 = performance.now();
  await Promise.all(pubs.flatMap((c, k) => data[k].map((p) => c.publishAsync(topic(nodeName(k), "t"), p, { qos: 1 }))));
  await waitFor(done, 60_000, "all messages");
  const s = (performance.now() - t0) / 1000;
  for (const c of pubs) c.end(true);
  return (CLIENTS * perClient) / s;
}

async function rawRate(url: string, perClient: number): Promise<number> {
  const sub = await connect(url, "bench-sub");
  let got = 0;
  sub.on("message", () => got++);
  await sub.subscribeAsync("mg/v1/+/+/t", { qos: 1 });
  const rate = await run(url, perClient, () => got >= CLIENTS * perClient, false);
  sub.end(true);
  return rate;
}

function gatewayConfig(dir: string, broker: { [k: string]: unknown }): GatewayConfig {
  const r = checkConfig({ broker, demo: true, storage: { path: dir + "/bench.db" } });
  if (!r.ok) throw new Error(r.errors.join("\n"));
  if (!broker.port) r.config.broker.port = 0;
  return r.config;
}

async function ingestRate(config: GatewayConfig, perClient: number): Promise<number> {
  const gw = new Gateway(config);
  await gw.start();
  try {
    const count = () => (gw.store!.db.prepare("SELECT count(*) AS n FROM batches").get() as { n: number }).n;
    const rate = await run(gw.brokerUrl, perClient, () => count() >= CLIENTS * perClient, true);
    if (count() !== CLIENTS * perClient) throw new Error(`stored ${count()} of ${CLIENTS * perClient}`);
    return rate;
  } finally {
    await gw.stop();
  }
}

export async function bench(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const dir = tempDir("mg-bench-");
  try {
    // embedded aedes: plain broker with the gateway's concurrency, then the gateway itself
    const perClient = 1500;
    const aedes = await Aedes.createBroker({ concurrency: 1000 });
    const server = createServer(aedes.handle as unknown as (s: import("node:net").Socket) => void);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const url = `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const raw = Math.max(await rawRate(url, perClient), await rawRate(url, perClient)); // best of two (the first warms up)
    await new Promise<void>((r) => server.close(() => r()));
    await new Promise<void>((r) => aedes.close(() => r()));
    const ingest = await ingestRate(gatewayConfig(dir + "/a", { mode: "embedded", host: "127.0.0.1" }), perClient);
    out["gateway.raw.messagesPerSecond.aedes"] = Math.round(raw);
    out["gateway.ingest.batchesPerSecond.aedes"] = Math.round(ingest);
    out["gateway.ingest.ratio.aedes"] = Math.round((ingest / raw) * 1000) / 1000;

    const mosq = mosquittoMissing ? undefined : await startMosquitto({ conf: ["max_queued_messages 1000000"] }).catch(() => undefined);
    if (!mosq) process.stderr.write(`gateway-ingest: mosquitto figures skipped: ${mosquittoMissing || "mosquitto did not start"}\n`);
    else {
      try {
        const rawM = await rawRate(mosq.url, 1500);
        const ingestM = await ingestRate(gatewayConfig(dir + "/m", { mode: "external", url: mosq.url, clientId: "bench-gw" }), 150);
        out["gateway.raw.messagesPerSecond.mosquitto"] = Math.round(rawM);
        out["gateway.ingest.batchesPerSecond.mosquitto"] = Math.round(ingestM);
        out["gateway.ingest.ratio.mosquitto"] = Math.round((ingestM / rawM) * 1000) / 1000;
      } finally {
        await mosq.close();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}
