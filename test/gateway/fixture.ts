// Shared pieces of the gateway tests: settings with node logins, births and batches, MQTT clients, waiting.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import { afterEach } from "vitest";
import { Gateway } from "../../gateway/gateway";
import type { BatchPayload, BirthPayload } from "../../firmware/protocol/messages";
import { hashPassword } from "../../gateway/config/password";
import { checkConfig, type GatewayConfig } from "../../gateway/config/load";

export const tempDir = (prefix = "mg-gw-") => mkdtempSync(join(tmpdir(), prefix));

const hashes = new Map<string, string>();
export function hashOnce(pw: string): string {
  let h = hashes.get(pw);
  if (!h) hashes.set(pw, (h = hashPassword(pw)));
  return h;
}

/** Settings for a test: embedded broker on a free port, a temp database, nodes n1..nN of site s1 (password pw-<node>). */
export function testConfig(dir: string, over: { [k: string]: any } = {}, nodes = ["n1", "n2"]): GatewayConfig {
  const r = checkConfig({
    broker: { host: "127.0.0.1", ...(over.broker ?? {}) },
    nodes: nodes.map((n) => ({ site: "s1", node: n, username: n, passwordHash: hashOnce("pw-" + n) })),
    storage: { path: join(dir, "gw.db"), flushMs: 5, ...(over.storage ?? {}) },
    liveness: over.liveness ?? {},
    demo: over.demo ?? false,
    sites: over.sites ?? {},
  });
  if (!r.ok) throw new Error(r.errors.join("\n"));
  if (!over.broker?.port) r.config.broker.port = 0; // any free port (the settings file itself needs 1..65535)
  return r.config;
}

export const channels: BirthPayload["ch"] = [
  [1, "battery_V", "mean", 3],
  [4, "battery_A", "mean", 3],
  [6, "battery_soc_pct", "last", 1],
];

export function birth(over: Partial<BirthPayload> = {}): BirthPayload {
  return { v: 1, fw: "1.0.0", bd: "pico", boot: 7, rr: "power", cfh: 0, cfg: {}, clk: 1, up: 100, ch: channels, ...over };
}

export const T0 = 1_750_000_000; // 2025-06-15, wall-clock s

export function batch(seq: number, over: Partial<BatchPayload> = {}): BatchPayload {
  return {
    b: 7,
    s: seq,
    t: T0 + seq * 60,
    ts: 1,
    i: 30,
    r: [
      [12800 + seq, -1500, 805],
      [12810 + seq, null, 804],
    ],
    q: ["ooo", "ofo"],
    ...over,
  };
}

export async function connectClient(url: string, opts: IClientOptions = {}): Promise<MqttClient> {
  const c = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5000, ...opts });
  await new Promise<void>((resolve, reject) => {
    c.once("connect", () => resolve());
    c.once("error", reject);
    c.once("close", () => reject(new Error("connection closed before CONNACK")));
  });
  return c;
}

export function nodeClient(url: string, node: string, extra: IClientOptions = {}): Promise<MqttClient> {
  return connectClient(url, { username: node, password: "pw-" + node, clientId: "s1." + node, ...extra });
}

export async function waitFor(check: () => boolean, timeoutMs = 5000, what = "condition"): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error("timed out waiting for " + what);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const topic = (node: string, leaf: string, site = "s1") => `mg/v1/${site}/${node}/${leaf}`;

/**
 * A test file's gateway (embedded broker, a temp database) and the MQTT clients its tests keep: `start` a gateway
 * with testConfig's settings, `keep` a client; both are ended after each test.
 */
export function gatewayPerTest(): { start(over?: { [k: string]: any }, nodes?: string[]): Promise<Gateway>; keep(p: MqttClient | Promise<MqttClient>): Promise<MqttClient> } {
  let gw: Gateway | undefined;
  const clients: MqttClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.end(true);
    await gw?.stop();
    gw = undefined;
  });
  return {
    start: async (over = {}, nodes?: string[]) => {
      gw = new Gateway(testConfig(tempDir(), over, nodes));
      await gw.start();
      return gw;
    },
    keep: async (p) => {
      const c = await p;
      clients.push(c);
      return c;
    },
  };
}
