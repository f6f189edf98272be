// External broker mode: PUBACKs held until the commit of their message (AckGate), many messages per commit, the
// gateway killed mid-ingest against a real mosquitto, and mosquitto's persistence surviving its own restart.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import type { IPublishPacket, MqttClient, Packet } from "mqtt";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { AckGate } from "../../gateway/broker/ack-gate";
import { Gateway } from "../../gateway/gateway";
import { GatewayProcesses } from "../helpers/gateway-process";
import { freePort, startMosquitto, type Mosquitto } from "../helpers/mosquitto";
import { batch, birth, connectClient, tempDir, testConfig, topic, waitFor } from "./fixture";
import { needs } from "../helpers/prerequisites";

describe("AckGate", () => {
  const fakeClient = () => {
    const sent: Packet[] = [];
    const client = { _sendPacket: (p: Packet, cb?: () => void) => (sent.push(p), cb?.()), stream: { destroyed: 0, destroy() {} } };
    return { client, sent };
  };
  const publish = (id: number) => ({ cmd: "publish", qos: 1, messageId: id, topic: "t", payload: "" }) as unknown as IPublishPacket;
  const puback = (id: number) => ({ cmd: "puback", messageId: id }) as Packet;

  it("holds a PUBACK until its message is committed, lets mqtt.js go on, passes other packets", () => {
    const { client, sent } = fakeClient();
    const gate = new AckGate(client as never);
    const send = (client as unknown as { _sendPacket: (p: Packet, cb?: () => void) => void })._sendPacket;
    const release1 = gate.hold(publish(1));
    const release2 = gate.hold(publish(2));
    let next = 0;
    send(puback(1), () => next++);
    send(puback(2), () => next++);
    send({ cmd: "pingreq" } as Packet);
    expect(next).toBe(2); // mqtt.js parses the next messages meanwhile
    expect(sent.map((p) => p.cmd)).toEqual(["pingreq"]);
    release1();
    release2();
    expect(sent.map((p) => (p.cmd === "puback" ? p.messageId : p.cmd))).toEqual(["pingreq", 1, 2]);
    expect(gate.size).toBe(0);
  });

  it("a commit before mqtt.js writes the PUBACK lets it through; a closed connection drops what is held", () => {
    const { client, sent } = fakeClient();
    const gate = new AckGate(client as never);
    const send = (client as unknown as { _sendPacket: (p: Packet) => void })._sendPacket;
    gate.hold(publish(3))();
    send(puback(3));
    const release4 = gate.hold(publish(4));
    send(puback(4));
    gate.reset(); // the connection closed before message 4 was committed
    release4();
    expect(sent.map((p) => (p as { messageId?: number }).messageId)).toEqual([3]);
  });
});

let broker: Mosquitto | undefined;
let gw: Gateway | undefined;
const clients: MqttClient[] = [];
const gateways = new GatewayProcesses();

afterEach(async () => {
  for (const c of clients.splice(0)) c.end(true);
  await gw?.stop();
  gw = undefined;
  await broker?.close();
  broker = undefined;
});

afterAll(() => gateways.killAll());

const conf = ["max_queued_messages 100000"];
const stored = (g: Gateway) => (g.store!.db.prepare("SELECT count(*) AS n FROM batches").get() as { n: number }).n;

async function publishAll(c: MqttClient, node: string, from: number, to: number): Promise<void> {
  const all: Promise<unknown>[] = [];
  for (let s = from; s < to; s++) all.push(c.publishAsync(topic(node, "t"), JSON.stringify(batch(s)), { qos: 1 }));
  await Promise.all(all);
}

needs("mosquitto").describe("external broker (mosquitto): commits and acknowledgements", () => {
  it("commits many messages per transaction", async () => {
    broker = await startMosquitto({ conf });
    gw = new Gateway(testConfig(tempDir(), { broker: { mode: "external", url: broker!.url, clientId: "gw-acks" } }));
    await gw.start();
    const node = await connectClient(broker!.url, { clientId: "c-n1" });
    clients.push(node);
    await node.publishAsync(topic("n1", "birth"), JSON.stringify(birth()), { qos: 1 });
    await waitFor(() => gw!.store!.getNode("s1", "n1") !== undefined, 5000, "birth");
    const flushes = gw.counters.flushes;
    await publishAll(node, "n1", 0, 1000);
    await waitFor(() => stored(gw!) === 1000, 20_000, "1000 batches");
    expect(gw.counters.duplicates).toBe(0);
    // one message per commit would take 1000 flushes
    expect(gw.counters.flushes - flushes).toBeLessThan(500);
    // every released PUBACK measured (the birth and 1000 batches), each after its commit
    await waitFor(() => gw!.counters.pubackSeconds.count === 1001, 5000, "1001 PUBACK latencies");
    const h = gw.counters.pubackSeconds.snapshot();
    expect(h.sum).toBeGreaterThan(0);
    expect(h.cumulative.at(-1)).toBeLessThanOrEqual(1001);
  });

  it("keeps queued messages across a restart of mosquitto (its persistence file is written)", async () => {
    broker = await startMosquitto({ conf });
    const dir = tempDir();
    const config = testConfig(dir, { broker: { mode: "external", url: broker!.url, clientId: "gw-persist" } });
    gw = new Gateway(config);
    await gw.start();
    const node = await connectClient(broker!.url, { clientId: "c-n1", reconnectPeriod: 100 });
    clients.push(node);
    await node.publishAsync(topic("n1", "birth"), JSON.stringify(birth()), { qos: 1 });
    await waitFor(() => gw!.store!.getNode("s1", "n1") !== undefined, 5000, "birth");
    await gw.stop();
    await publishAll(node, "n1", 0, 200); // queued by mosquitto for the gateway's session
    await broker!.stop();
    await broker!.start();
    gw = new Gateway(config);
    await gw.start();
    await waitFor(() => stored(gw!) === 200, 20_000, "200 batches queued before mosquitto restarted");
    expect(broker!.log()).not.toMatch(/Error saving in-memory database/);
  });

  it("stores every batch exactly once after the gateway is killed mid-ingest and started again", async () => {
    broker = await startMosquitto({ conf });
    const dir = tempDir();
    const dbPath = join(dir, "gw.db");
    const configFile = join(dir, "gateway.yaml");
    writeFileSync(
      configFile,
      [
        `broker: {mode: external, url: "${broker!.url}", clientId: gw-crash}`,
        `storage: {path: ${JSON.stringify(dbPath)}, flushMs: 5}`,
        `http: {port: ${await freePort()}}`,
        "demo: true",
      ].join("\n"),
    );
    const startChild = () => gateways.start(configFile);
    const storedNow = () => {
      const db = new Database(dbPath, { readonly: true });
      try {
        return (db.prepare("SELECT count(*) AS n FROM batches").get() as { n: number }).n;
      } catch {
        return 0;
      } finally {
        db.close();
      }
    };
    let child = await startChild();
    const node = await connectClient(broker!.url, { clientId: "c-n1", reconnectPeriod: 100 });
    clients.push(node);
    await node.publishAsync(topic("n1", "birth"), JSON.stringify(birth()), { qos: 1, retain: true });
    const perNode = 3000;
    await publishAll(node, "n1", 0, perNode);
    await waitFor(() => storedNow() >= 100, 20_000, "first batches stored");
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));
    expect(storedNow()).toBeLessThan(perNode); // the kill did land mid-ingest
    child = await startChild();
    await waitFor(() => storedNow() === perNode, 30_000, "every batch");
    await new Promise((r) => setTimeout(r, 300));
    const db = new Database(dbPath, { readonly: true });
    const rows = db.prepare("SELECT count(*) AS n, count(DISTINCT seq) AS d FROM batches").get();
    const samples = (db.prepare("SELECT count(*) AS n FROM samples").get() as { n: number }).n;
    db.close();
    expect(rows).toEqual({ n: perNode, d: perNode });
    expect(samples).toBe(perNode * 6);
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
    expect(child.exitCode).toBe(0);
  });
});
