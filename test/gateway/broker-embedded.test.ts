// The embedded broker over real TCP: logins, topic ACLs, PUBACK after the commit, rejections, will and silence.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { GatewayEvents } from "../../gateway/events";
import { Gateway } from "../../gateway/gateway";
import { batch, birth, connectClient, nodeClient, gatewayPerTest, tempDir, topic, waitFor } from "./fixture";
import { needs } from "../helpers/prerequisites";

const { start: startGateway, keep: client } = gatewayPerTest();

const count = (g: Gateway, sql: string) => (g.store!.db.prepare(sql).get() as { n: number }).n;

describe("embedded broker", () => {
  it("refuses anonymous clients and wrong passwords, and counts them", async () => {
    const g = await startGateway();
    await expect(connectClient(g.brokerUrl)).rejects.toThrow(/Not authorized|Connection refused/i);
    await expect(connectClient(g.brokerUrl, { username: "n1", password: "wrong" })).rejects.toThrow(/Bad username or password|Connection refused/i);
    expect(g.counters.rejects).toEqual({ "auth-anonymous": 1, "auth-bad-credentials": 1 });
    const ok = await client(nodeClient(g.brokerUrl, "n1"));
    expect(ok.connected).toBe(true);
  });

  it("a node publishing outside its prefix is refused, disconnected and counted; nothing is stored", async () => {
    const g = await startGateway();
    const rejects: GatewayEvents["reject"][] = [];
    g.bus.on("reject", (r) => rejects.push(r));
    const n1 = await client(nodeClient(g.brokerUrl, "n1"));
    await n1.publishAsync(topic("n1", "birth"), JSON.stringify(birth()), { qos: 1 });
    const closed = new Promise<void>((r) => n1.once("close", () => r()));
    n1.publish(topic("n2", "birth"), JSON.stringify(birth()), { qos: 1 });
    await closed;
    expect(g.counters.rejects["acl-publish"]).toBe(1);
    expect(rejects[0]).toMatchObject({ reason: "acl-publish", clientId: "s1.n1", topic: topic("n2", "birth") });
    expect(count(g, "SELECT count(*) AS n FROM nodes")).toBe(1);
    // the gateway's own topics: a node may not publish a command, even to itself
    const again = await client(nodeClient(g.brokerUrl, "n1"));
    const closed2 = new Promise<void>((r) => again.once("close", () => r()));
    again.publish(topic("n1", "cmd"), "{}", { qos: 1 });
    await closed2;
    expect(g.counters.rejects["acl-publish"]).toBe(2);
  });

  it("a node subscribes to its own cmd and cfg only", async () => {
    const g = await startGateway();
    const n1 = await client(nodeClient(g.brokerUrl, "n1"));
    const granted = await n1.subscribeAsync([topic("n1", "cmd"), topic("n1", "cfg")], { qos: 1 });
    expect(granted.map((x) => x.qos)).toEqual([1, 1]);
    await expect(n1.subscribeAsync(topic("n2", "cmd"), { qos: 1 })).rejects.toThrow(/Subscribe error/); // SUBACK 0x80
    await expect(n1.subscribeAsync("mg/v1/#", { qos: 1 })).rejects.toThrow(/Subscribe error/);
    expect(g.counters.rejects["acl-subscribe"]).toBe(2);
  });

  it("sends the PUBACK only once the batch is committed", async () => {
    const g = await startGateway({ storage: { flushMs: 200 } });
    const n1 = await client(nodeClient(g.brokerUrl, "n1"));
    await n1.publishAsync(topic("n1", "birth"), JSON.stringify(birth()), { qos: 1 });
    const seen: boolean[] = [];
    const t0 = Date.now();
    await Promise.all(
      [1, 2, 3].map((s) =>
        n1.publishAsync(topic("n1", "t"), JSON.stringify(batch(s)), { qos: 1 }).then(() => seen.push(g.store!.hasBatch("s1", "n1", 7, s))),
      ),
    );
    expect(Date.now() - t0).toBeGreaterThanOrEqual(150); // held for the flush interval
    expect(seen).toEqual([true, true, true]);
    expect(g.counters.flushes).toBe(2); // birth, then the three batches in one transaction
  });

  it("acknowledges bad payloads (so the node drops them), counts them, and does not forward them", async () => {
    const g = await startGateway({ demo: true });
    const watcher = await client(connectClient(g.brokerUrl, { clientId: "watcher" }));
    const forwarded: string[] = [];
    await watcher.subscribeAsync("mg/v1/#", { qos: 1 });
    watcher.on("message", (t) => forwarded.push(t));
    const n1 = await client(nodeClient(g.brokerUrl, "n1"));
    await n1.publishAsync(topic("n1", "birth"), JSON.stringify(birth()), { qos: 1 });
    await n1.publishAsync(topic("n1", "t"), "{oops", { qos: 1 });
    await n1.publishAsync(topic("n1", "t"), JSON.stringify(batch(1)), { qos: 1 });
    await waitFor(() => forwarded.length >= 2, 2000, "forwarded messages");
    await new Promise((r) => setTimeout(r, 50));
    expect(forwarded).toEqual([topic("n1", "birth"), topic("n1", "t")]);
    expect(g.counters.rejects).toEqual({ malformed: 1 });
    expect(n1.connected).toBe(true);
  });

  it("takes a node offline by its will, and sends the time to a node whose clock is not set", async () => {
    const g = await startGateway();
    const states: GatewayEvents["node.state"][] = [];
    g.bus.on("node.state", (s) => states.push(s));
    const n1 = await client(
      nodeClient(g.brokerUrl, "n1", { will: { topic: topic("n1", "state"), payload: Buffer.from("offline"), qos: 1, retain: true } }),
    );
    const cmds: any[] = [];
    await n1.subscribeAsync(topic("n1", "cmd"), { qos: 1 });
    n1.on("message", (_t, p) => cmds.push(JSON.parse(p.toString())));
    await n1.publishAsync(topic("n1", "birth"), JSON.stringify(birth({ clk: 0 })), { qos: 1 });
    await n1.publishAsync(topic("n1", "state"), "online", { qos: 1, retain: true });
    await waitFor(() => cmds.length === 1, 2000, "time command");
    const now = Date.now() / 1000;
    expect(cmds[0]).toMatchObject({ c: "time" });
    expect(Math.abs(cmds[0].a.t - now)).toBeLessThan(5);
    expect(cmds[0].x).toBeGreaterThan(now);
    expect(g.store!.db.prepare("SELECT name FROM commands WHERE id=?").get(cmds[0].id)).toEqual({ name: "time" });
    expect(g.store!.getNode("s1", "n1")?.online).toBe(1);
    n1.stream.destroy(); // the link drops: the broker publishes the will
    await waitFor(() => states.some((s) => !s.online), 3000, "offline");
    expect(states.at(-1)).toEqual({ site: "s1", node: "n1", online: false, reason: "will" });
    expect(g.store!.getNode("s1", "n1")?.online).toBe(0);
    expect(g.counters.snapshot().nodesOnline).toBe(0);
  });

  it("takes a silent node offline after 3 report intervals and flags its data stale", async () => {
    const g = await startGateway({ liveness: { defaultIntervalS: 0.1, checkMs: 20 } });
    const states: GatewayEvents["node.state"][] = [];
    g.bus.on("node.state", (s) => states.push(s));
    const n1 = await client(nodeClient(g.brokerUrl, "n1"));
    await n1.publishAsync(topic("n1", "birth"), JSON.stringify(birth()), { qos: 1 });
    expect(g.counters.snapshot().nodesOnline).toBe(1);
    await waitFor(() => states.some((s) => !s.online), 3000, "silence");
    expect(states.at(-1)?.reason).toBe("silence");
    expect(g.store!.getNode("s1", "n1")).toMatchObject({ online: 0, stale: 1 });
    await n1.publishAsync(topic("n1", "t"), JSON.stringify(batch(1, { i: 0.05, r: [[1, 2, 3]], q: ["ooo"] })), { qos: 1 });
    expect(g.store!.getNode("s1", "n1")).toMatchObject({ online: 1, stale: 0 });
  });
});

describe("embedded broker over TLS", () => {
  needs("openssl").it("accepts a node over TLS with the configured certificate", async () => {
    const dir = tempDir();
    execFileSync("/usr/bin/openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
      "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")], { stdio: "ignore" });
    const g = await startGateway({ broker: { tls: { cert: join(dir, "cert.pem"), key: join(dir, "key.pem") } } });
    expect(g.brokerUrl).toMatch(/^mqtts:\/\/127\.0\.0\.1:\d+$/);
    const ca = readFileSync(join(dir, "cert.pem"));
    const n1 = await client(nodeClient(g.brokerUrl, "n1", { ca, rejectUnauthorized: true, servername: "127.0.0.1" }));
    await n1.publishAsync(topic("n1", "birth"), JSON.stringify(birth()), { qos: 1 });
    expect(g.store!.getNode("s1", "n1")?.fw).toBe("1.0.0");
    await expect(connectClient(g.brokerUrl.replace("mqtts:", "mqtt:"), { username: "n1", password: "pw-n1" })).rejects.toThrow();
  });
});
