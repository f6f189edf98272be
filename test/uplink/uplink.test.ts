// The uplink against a real mosquitto over TLS with a password: batches leave the outbox only when acknowledged,
// the outbox survives a restart and an outage, and what arrives decodes to what the store holds.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt, { type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { EventBus } from "../../gateway/events";
import { Store } from "../../gateway/storage/store";
import { Uplink } from "../../gateway/uplink/uplink";
import type { BatchItem } from "../../contracts/uplink-wire";
import { freePort, mosquittoMissing, startMosquitto, type Mosquitto } from "../helpers/mosquitto";
import { addNode, decodeInOrder, makeCert, storeBatch, uplinkConfig, waitFor } from "./site";
import { needs } from "../helpers/prerequisites";

let broker: Mosquitto | undefined;
let dir = "";
let tlsUrl = "";

beforeAll(async () => {
  if (mosquittoMissing) return;
  dir = mkdtempSync(join(tmpdir(), "mg-uplink-"));
  if (!makeCert(dir)) return;
  execFileSync("mosquitto_passwd", ["-b", "-c", join(dir, "passwd"), "gw-s1", "secret-s1"]);
  execFileSync("chmod", ["-R", "a+rX", dir]); // mosquitto drops root to its own user
  const tlsPort = await freePort();
  broker = await startMosquitto({
    conf: [`password_file ${join(dir, "passwd")}`, `listener ${tlsPort} 127.0.0.1`, `certfile ${join(dir, "cert.pem")}`, `keyfile ${join(dir, "key.pem")}`],
  });
  tlsUrl = `mqtts://127.0.0.1:${tlsPort}`;
});

afterAll(async () => {
  await broker?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function tlsConfig(over: { [k: string]: unknown } = {}) {
  return uplinkConfig({
    url: tlsUrl,
    clientId: "gw-s1",
    username: "gw-s1",
    password: "secret-s1",
    tls: { ca: join(dir, "cert.pem") },
    reconnect_s: 0.05,
    batching: { max_messages: 4, max_delay_s: 0 },
    ...over,
  });
}

async function listen(): Promise<{ c: MqttClient; got: { topic: string; payload: Buffer }[] }> {
  const c = mqtt.connect(broker!.url, { reconnectPeriod: 0 });
  const got: { topic: string; payload: Buffer }[] = [];
  c.on("message", (topic, payload) => got.push({ topic, payload }));
  await c.subscribeAsync("mgc/+/#", { qos: 1 });
  return { c, got };
}

function batchesIn(got: { topic: string; payload: Buffer }[]): BatchItem[] {
  return decodeInOrder(got);
}

describe("gateway uplink", () => {
  needs("mosquitto", "openssl").it("forwards stored batches over TLS with credentials, compressed, and empties the outbox on PUBACK", async () => {
    const store = Store.open(":memory:");
    const bus = new EventBus();
    const { c, got } = await listen();
    const up = new Uplink({ bus, store }, tlsConfig(), { site: "s1", tickMs: 20 });
    up.start();
    addNode(store, bus, "n1");
    for (let s = 1; s <= 10; s++) storeBatch(store, bus, "n1", s);
    await waitFor(() => up.status().outbox === 0 && batchesIn(got).length === 10, 10_000, "10 batches at the central broker");
    await up.stop();
    c.end(true);
    const items = batchesIn(got);
    expect(items.map((b) => b.s)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    // rows come back as the node sent them: scaled integers in channel order, nulls and quality letters kept
    expect(items[0].r[0]).toEqual([12801, -1500, 805]);
    expect(items[0].r[2]).toEqual([12803, null, 805]);
    expect(items[0].q![2]).toBe("ofo");
    // births compressed JSON (mgc/v1), batches in columns (mgc/v2): the first carries the table, the next are written against it
    expect(got.filter((m) => m.topic.startsWith("mgc/v1/")).every((m) => m.topic.endsWith("z"))).toBe(true);
    expect(got.some((m) => m.topic === "mgc/v1/s1/n1/bz")).toBe(true);
    // several batches per message, and the wire count covers at least the payloads plus TLS
    const tMsgs = got.filter((m) => m.topic === "mgc/v2/s1/n1/t");
    expect(tMsgs.length).toBeGreaterThan(1);
    expect(tMsgs.length).toBeLessThanOrEqual(4);
    const payloadBytes = got.reduce((a, m) => a + m.payload.length, 0);
    expect(up.stats.wireBytes).toBeGreaterThan(payloadBytes + 1000); // the TLS handshake alone is over 1 kB
    const used = up.budget!.use(Date.now());
    expect(used.day_bytes).toBe(up.stats.wireBytes);
    store.close();
  });

  needs("mosquitto", "openssl").it("refuses a wrong password: nothing leaves the outbox", async () => {
    const store = Store.open(":memory:");
    const bus = new EventBus();
    const up = new Uplink({ bus, store }, tlsConfig({ password: "wrong" }), { site: "s1", tickMs: 20 });
    up.start();
    addNode(store, bus, "n1");
    storeBatch(store, bus, "n1", 1);
    await new Promise((r) => setTimeout(r, 500));
    expect(up.status().connects).toBe(0);
    expect(up.status().outbox).toBe(2); // birth + batch
    await up.stop();
    store.close();
  });

  needs("mosquitto", "openssl").it("keeps the outbox across a broker outage and a gateway restart; every batch arrives", async () => {
    const dbFile = join(dir, "restart.db");
    const { c, got } = await listen();
    await broker!.stop(); // the link is down before the gateway starts
    let store = Store.open(dbFile);
    let bus = new EventBus();
    let up = new Uplink({ bus, store }, tlsConfig(), { site: "s1", tickMs: 20 });
    up.start();
    addNode(store, bus, "n2");
    for (let s = 1; s <= 30; s++) storeBatch(store, bus, "n2", s);
    await new Promise((r) => setTimeout(r, 200));
    expect(up.status().outbox).toBe(31);
    await up.stop();
    store.close();

    // a restart: the outbox is read back from the file
    store = Store.open(dbFile);
    bus = new EventBus();
    up = new Uplink({ bus, store }, tlsConfig(), { site: "s1", tickMs: 20 });
    up.start();
    expect(up.status().outbox).toBeGreaterThanOrEqual(31);
    await broker!.start();
    await c.reconnect();
    await waitFor(() => c.connected, 5000, "listener back");
    await c.subscribeAsync("mgc/+/#", { qos: 1 });
    await waitFor(() => up.status().outbox === 0, 15_000, "outbox drained");
    await waitFor(() => new Set(batchesIn(got).map((b) => b.s)).size === 30, 5000, "30 batches at the central broker");
    await up.stop();
    c.end(true);
    store.close();
  });
});
