// Client ids are bound to logins: a node's client id is `<site>.<node>` (the firmware's, firmware/app/node-app.ts)
// and only that node's login may use it, so no login can take over another's session [MQTT-3.1.4-2] or receive the
// commands queued for it. Real aedes broker, real TCP, the mqtt npm client.
import { describe, expect, it } from "vitest";
import { connectClient, nodeClient, gatewayPerTest, topic, waitFor } from "./fixture";

const { start: startGateway, keep: keep } = gatewayPerTest();

describe("client ids bound to logins", () => {
  it("a node logs in with its own client id <site>.<node>, not with another", async () => {
    const g = await startGateway();
    const n1 = await keep(nodeClient(g.brokerUrl, "n1", { clientId: "s1.n1" }));
    expect(n1.connected).toBe(true);
    await expect(connectClient(g.brokerUrl, { username: "n1", password: "pw-n1", clientId: "anything-else" })).rejects.toThrow(/Not authorized/i);
    expect(g.counters.rejects["auth-client-id"]).toBe(1);
  });

  it("another node's credentials with a node's client id are refused (CONNACK 5): the real node stays online", async () => {
    const g = await startGateway();
    const states: boolean[] = [];
    g.bus.on("node.state", (s) => states.push(s.online));
    const n1 = await keep(nodeClient(g.brokerUrl, "n1", { will: { topic: topic("n1", "state"), payload: Buffer.from("offline"), qos: 1, retain: true } }));
    await n1.publishAsync(topic("n1", "state"), "online", { qos: 1, retain: true });
    await expect(connectClient(g.brokerUrl, { username: "n2", password: "pw-n2", clientId: "s1.n1" })).rejects.toThrow(/Not authorized/i);
    await new Promise((r) => setTimeout(r, 100));
    expect(n1.connected).toBe(true);
    expect(states).not.toContain(false);
    expect(g.counters.rejects["auth-client-id"]).toBe(1);
  });

  it("commands queued for a node's session go to that node, never to another login", async () => {
    const g = await startGateway();
    const n1 = await nodeClient(g.brokerUrl, "n1", { clean: false });
    await n1.subscribeAsync(topic("n1", "cmd"), { qos: 1 });
    await n1.endAsync();
    await g.publisher.publish(topic("n1", "cmd"), JSON.stringify({ id: "c1", c: "cfg", a: { broker: { pass: "new" } } }), { qos: 1, retain: false });
    const intruderGot: string[] = [];
    await expect(
      keep(connectClient(g.brokerUrl, { username: "n2", password: "pw-n2", clientId: "s1.n1", clean: false })).then((c) => {
        c.on("message", (t) => intruderGot.push(t));
      }),
    ).rejects.toThrow(/Not authorized/i);
    const back = await keep(nodeClient(g.brokerUrl, "n1", { clean: false }));
    const got: string[] = [];
    back.on("message", (_t, p) => got.push(p.toString()));
    await waitFor(() => got.length === 1, 3000, "the queued command");
    expect(JSON.parse(got[0])).toMatchObject({ id: "c1", c: "cfg" });
    expect(intruderGot).toEqual([]);
  });

  it("in demo mode anonymous clients may use any client id except a configured node's", async () => {
    const g = await startGateway({ demo: true });
    const watcher = await keep(connectClient(g.brokerUrl, { clientId: "watcher" }));
    expect(watcher.connected).toBe(true);
    const simulated = await keep(connectClient(g.brokerUrl, { clientId: "s9.sim" }));
    expect(simulated.connected).toBe(true);
    await expect(connectClient(g.brokerUrl, { clientId: "s1.n1" })).rejects.toThrow(/Not authorized/i);
    expect(g.counters.rejects["auth-client-id"]).toBe(1);
  });
});
