// Gateway ingest, end to end: batches published at QoS 1 by several mqtt.js clients until they are stored (PUBACK
// after the commit, nothing lost), compared in the same run with the rate at which the same broker software delivers
// the same messages to a bare QoS 1 subscriber. For the embedded aedes broker and for mosquitto (started here on a
// free port from a generated config; skipped with a message when it is not installed or cannot start).
// Both measurements publish the same number of the same payloads at QoS 1 from the same clients; against mosquitto
// the bare subscriber holds the gateway's session (MQTT 5, persistent, the same Receive Maximum). Each rate is the
// best of three rounds (the first warms up), and a round ends on the last message's arrival (raw) or commit (ingest).
import { createServer, type AddressInfo } from "node:net";
import { rmSync } from "node:fs";
import { Aedes } from "aedes";
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import { sessionOptions } from "../gateway/broker/external";
import { checkConfig, type GatewayConfig } from "../gateway/config/load";
import { Gateway } from "../gateway/gateway";
import { startMosquitto, mosquittoMissing } from "../test/helpers/mosquitto";
import { batch, birth, tempDir, topic } from "../test/gateway/fixture";

const CLIENTS = 4;
const PER_CLIENT = 1500;
const ROUNDS = 3;

async function connect(url: string, opts: IClientOptions): Promise<MqttClient> {
  const c = mqtt.connect(url, { reconnectPeriod: 0, ...opts });
  await new Promise<void>((resolve, reject) => {
    c.once("connect", () => resolve());
    c.once("error", reject);
  });
  return c;
}

/** Nodes of one round: a round never repeats a (node, boot, seq) the gateway stored in an earlier one. */
const nodeName = (round: number, k: number) => "n" + (round * CLIENTS + k + 1);
const payloads = () => Array.from({ length: PER_CLIENT }, (_, s) => JSON.stringify(batch(s, { b: 7 })));

/** A count that resolves `reached` once it gets to n. */
function counter(n: number): { add: () => void; reached: Promise<void> } {
  let got = 0;
  let resolve: () => void = () => undefined;
  const reached = new Promise<void>((r) => (resolve = r));
  return {
    add: () => {
      if (++got === n) resolve();
    },
    reached,
  };
}

/** Publishers send PER_CLIENT batches each; returns messages per second until `arrived` resolves. */
async function run(url: string, round: number, arrived: Promise<void>, births: boolean): Promise<number> {
  const pubs = await Promise.all(Array.from({ length: CLIENTS }, (_, k) => connect(url, { clientId: "bench-" + nodeName(round, k) })));
  if (births) await Promise.all(pubs.map((c, k) => c.publishAsync(topic(nodeName(round, k), "birth"), JSON.stringify(birth()), { qos: 1 })));
  const data = pubs.map(() => payloads());
  const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error("timed out waiting for all messages")), 60_000).unref());
  const t0 = performance.now();
  await Promise.all([...pubs.flatMap((c, k) => data[k].map((p) => c.publishAsync(topic(nodeName(round, k), "t"), p, { qos: 1 }))), Promise.race([arrived, timeout])]);
  const s = (performance.now() - t0) / 1000;
  for (const c of pubs) c.end(true);
  return (CLIENTS * PER_CLIENT) / s;
}

/** The bare subscriber: connected with `sub` (the gateway's session options against mosquitto). */
async function rawRate(url: string, sub: (round: number) => IClientOptions): Promise<number> {
  let best = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const c = await connect(url, sub(round));
    const n = counter(CLIENTS * PER_CLIENT);
    c.on("message", n.add);
    await c.subscribeAsync("mg/v1/+/+/t", { qos: 1 });
    best = Math.max(best, await run(url, round, n.reached, false));
    // a persistent session left behind would have the broker queue a copy of every later message for it
    await c.unsubscribeAsync("mg/v1/+/+/t");
    await c.endAsync(false, c.options.protocolVersion === 5 ? { properties: { sessionExpiryInterval: 0 } } : {});
  }
  return best;
}

function gatewayConfig(dir: string, broker: { [k: string]: unknown }): GatewayConfig {
  const r = checkConfig({ broker, demo: true, storage: { path: dir + "/bench.db" } });
  if (!r.ok) throw new Error(r.errors.join("\n"));
  if (!broker.port) r.config.broker.port = 0;
  return r.config;
}

async function ingestRate(config: GatewayConfig): Promise<number> {
  const gw = new Gateway(config);
  await gw.start();
  try {
    const count = () => (gw.store!.db.prepare("SELECT count(*) AS n FROM batches").get() as { n: number }).n;
    let best = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const n = counter(CLIENTS * PER_CLIENT);
      const off = gw.bus.on("batch.stored", (e) => {
        if (nodeOfRound(e.node, round)) n.add();
      });
      best = Math.max(best, await run(gw.brokerUrl, round, n.reached, true));
      off();
    }
    if (count() !== ROUNDS * CLIENTS * PER_CLIENT) throw new Error(`stored ${count()} of ${ROUNDS * CLIENTS * PER_CLIENT}`);
    if (gw.counters.duplicates !== 0) throw new Error(`${gw.counters.duplicates} duplicates`);
    return best;
  } finally {
    await gw.stop();
  }
}

const nodeOfRound = (node: string, round: number) => {
  for (let k = 0; k < CLIENTS; k++) if (node === nodeName(round, k)) return true;
  return false;
};

export async function bench(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const dir = tempDir("mg-bench-");
  try {
    // embedded aedes: plain broker with the gateway's concurrency, then the gateway itself
    const aedes = await Aedes.createBroker({ concurrency: 1000 });
    const server = createServer(aedes.handle as unknown as (s: import("node:net").Socket) => void);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const url = `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const raw = await rawRate(url, (round) => ({ clientId: "bench-sub-" + round }));
    await new Promise<void>((r) => server.close(() => r()));
    await new Promise<void>((r) => aedes.close(() => r()));
    const ingest = await ingestRate(gatewayConfig(dir + "/a", { mode: "embedded", host: "127.0.0.1" }));
    out["gateway.raw.messagesPerSecond.aedes"] = Math.round(raw);
    out["gateway.ingest.batchesPerSecond.aedes"] = Math.round(ingest);
    out["gateway.ingest.ratio.aedes"] = Math.round((ingest / raw) * 1000) / 1000;

    // no per-message log: the test helper logs everything and reads it into this process, in both measurements
    const conf = ["max_queued_messages 1000000", "log_type none"];
    const mosq = mosquittoMissing ? undefined : await startMosquitto({ conf }).catch(() => undefined);
    if (!mosq) process.stderr.write(`gateway-ingest: mosquitto figures skipped: ${mosquittoMissing || "mosquitto did not start"}\n`);
    else {
      try {
        const config = gatewayConfig(dir + "/m", { mode: "external", url: mosq.url, clientId: "bench-gw" });
        const rawM = await rawRate(mosq.url, (round) => sessionOptions("bench-sub-" + round, config.broker.concurrency));
        const ingestM = await ingestRate(config);
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
