// PUBACK only after the commit, end to end: the gateway runs as a child process (`minigrid gateway`), is killed
// with SIGKILL in the middle of ingest and started again; the publishers send again what was not acknowledged, and
// every batch ends up stored exactly once.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import type { MqttClient } from "mqtt";
import { afterAll, describe, expect, it } from "vitest";
import { GatewayProcesses } from "../helpers/gateway-process";
import { freePort } from "../helpers/mosquitto";
import { batch, birth, hashOnce, nodeClient, tempDir, topic, waitFor } from "./fixture";

const gateways = new GatewayProcesses();

afterAll(() => gateways.killAll());

describe("gateway killed mid-ingest", () => {
  it("stores every batch exactly once after SIGKILL and restart", async () => {
    const dir = tempDir();
    const port = await freePort();
    const httpPort = await freePort(); // not the default 8080, which another program on this PC may hold
    const dbPath = join(dir, "gw.db");
    const configFile = join(dir, "gateway.yaml");
    const nodes = ["n1", "n2", "n3"];
    const writeConfig = (flushMs: number) =>
      writeFileSync(
        configFile,
        [
          `broker: {host: 127.0.0.1, port: ${port}}`,
          `http: {port: ${httpPort}}`,
          `storage: {path: ${JSON.stringify(dbPath)}, flushMs: ${flushMs}}`,
          "nodes:",
          ...nodes.map((n) => `  - {site: s1, node: ${n}, username: ${n}, passwordHash: "${hashOnce("pw-" + n)}"}`),
        ].join("\n"),
      );
    writeConfig(20);
    let child = await gateways.start(configFile);
    const url = `mqtt://127.0.0.1:${port}`;
    const perNode = 400;
    const clients: MqttClient[] = [];
    for (const n of nodes) {
      const c = await nodeClient(url, n, { reconnectPeriod: 100, clean: false });
      await c.publishAsync(topic(n, "birth"), JSON.stringify(birth()), { qos: 1 });
      clients.push(c);
    }
    // every node publishes its batches, as fast as the broker takes them
    const acked = nodes.map(() => 0);
    const all = clients.flatMap((c, k) =>
      Array.from({ length: perNode }, (_, s) => c.publishAsync(topic(nodes[k], "t"), JSON.stringify(batch(s)), { qos: 1 }).then(() => acked[k]++)),
    );
    const storedNow = () => {
      const db = new Database(dbPath, { readonly: true });
      try {
        return (db.prepare("SELECT count(*) AS n FROM batches").get() as { n: number }).n;
      } finally {
        db.close();
      }
    };
    await waitFor(() => acked.reduce((a, b) => a + b, 0) >= 200, 20_000, "first acknowledgements");
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));
    const ackedAtKill = acked.reduce((a, b) => a + b, 0);
    const storedAtKill = storedNow();
    // everything acknowledged before the kill was committed before its PUBACK
    expect(storedAtKill).toBeGreaterThanOrEqual(ackedAtKill);
    expect(ackedAtKill).toBeLessThan(nodes.length * perNode); // the kill did land mid-ingest
    // mqtt.js sends its unacknowledged messages again one at a time: commit each event-loop turn from here
    writeConfig(0);
    child = await gateways.start(configFile);
    await Promise.all(all);
    const db = new Database(dbPath, { readonly: true });
    const rows = db.prepare("SELECT node, count(*) AS n, count(DISTINCT seq) AS d FROM batches GROUP BY node ORDER BY node").all();
    const samples = (db.prepare("SELECT count(*) AS n FROM samples").get() as { n: number }).n;
    db.close();
    expect(rows).toEqual(nodes.map((n) => ({ node: n, n: perNode, d: perNode })));
    expect(samples).toBe(nodes.length * perNode * 6);
    for (const c of clients) c.end(true);
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
    expect(child.exitCode).toBe(0);
  });
});
