// Attacks on the embedded broker's logins by an intruder on the site network: taking over a node's session with
// another node's credentials, and guessing passwords while a real node sends its data. Real aedes broker, real TCP
// sockets, the mqtt npm client as the attacker (from other loopback addresses), a real SQLite file.
import { describe, expect, it } from "vitest";
import { batch, birth, gatewayPerTest, nodeClient, topic, waitFor } from "../gateway/fixture";
import { connectFrom } from "../gateway/attack-client";
import { recordAttack } from "./record";

const per = gatewayPerTest();
const start = () => per.start();

describe("attack: broker logins", () => {
  it("client id takeover: another node's credentials with the real node's client id", async () => {
    const g = await start();
    const offline: string[] = [];
    g.bus.on("node.state", (s) => !s.online && offline.push(s.node));
    const will = { topic: topic("n1", "state"), payload: Buffer.from("offline"), qos: 1 as const, retain: true };
    const real = await per.keep(nodeClient(g.brokerUrl, "n1", { clean: false, will }));
    const got: string[] = [];
    real.on("message", (_t, p) => got.push(p.toString()));
    await real.subscribeAsync(topic("n1", "cmd"), { qos: 1 });
    await real.publishAsync(topic("n1", "birth"), JSON.stringify(birth()), { qos: 1 });
    await real.publishAsync(topic("n1", "state"), "online", { qos: 1, retain: true });
    const ATTEMPTS = 50;
    let refused = 0;
    const intruderGot: string[] = [];
    for (let i = 0; i < ATTEMPTS; i++) {
      const r = await connectFrom(g.brokerUrl, "127.0.3.1", { username: "n2", password: "pw-n2", clientId: "s1.n1", clean: false });
      if (r.code === 5) refused++;
      else r.client.on("message", (t) => intruderGot.push(t));
      if (r.code === 0) await per.keep(r.client);
      // what the attack was after: a new broker password in a cfg command, queued for the session
      await g.publisher.publish(topic("n1", "cmd"), JSON.stringify({ id: "c" + i, c: "cfg", a: { broker: { pass: "new-" + i } } }), { qos: 1, retain: false });
    }
    await waitFor(() => got.length === ATTEMPTS, 5000, "the commands at the real node");
    const lost = ATTEMPTS - got.length + offline.length + intruderGot.length;
    recordAttack({
      attack: "client id takeover",
      tried: `${ATTEMPTS} CONNECTs with node n2's login and node n1's client id (clean session off)`,
      refused,
      attempts: ATTEMPTS,
      lost,
      note: `auth-client-id ${g.counters.rejects["auth-client-id"] ?? 0}; real node offline ${offline.length} times; ${got.length} cfg commands reached it, ${intruderGot.length} the intruder`,
    });
    expect(refused).toBe(ATTEMPTS);
    expect(lost).toBe(0);
    expect(real.connected).toBe(true);
  });

  it("password guessing while a real node sends its batches", async () => {
    const g = await start();
    const real = await per.keep(nodeClient(g.brokerUrl, "n1"));
    await real.publishAsync(topic("n1", "birth"), JSON.stringify(birth()), { qos: 1 });
    const GUESSES = 300;
    const ADDRESSES = 10;
    let refused = 0;
    let done = 0;
    const guessing = Array.from({ length: 10 }, async (_, k) => {
      for (let i = k; i < GUESSES; i += 10) {
        const r = await connectFrom(g.brokerUrl, `127.0.4.${1 + (i % ADDRESSES)}`, { username: i % 3 ? "n1" : "n2", password: "guess-" + i, clientId: "g" + i });
        if (r.code !== 0) refused++;
        else r.client.end(true);
        done++;
      }
    });
    const BATCHES = 100;
    const delays: number[] = [];
    for (let s = 1; s <= BATCHES; s++) {
      const t0 = performance.now();
      await real.publishAsync(topic("n1", "t"), JSON.stringify(batch(s)), { qos: 1 });
      delays.push(performance.now() - t0);
    }
    await Promise.all(guessing);
    const stored = (g.store!.db.prepare("SELECT count(*) AS n FROM batches WHERE node = 'n1'").get() as { n: number }).n;
    const r = g.counters.rejects;
    delays.sort((a, b) => a - b);
    recordAttack({
      attack: "password guessing",
      tried: `${GUESSES} wrong-password CONNECTs from ${ADDRESSES} addresses, 10 at a time, while a node sent ${BATCHES} QoS 1 batches`,
      refused,
      attempts: done,
      lost: BATCHES - stored,
      note: `scrypt runs ${r["auth-bad-credentials"] ?? 0}, rate-limited ${r["auth-rate-limited"] ?? 0}, busy ${r["auth-busy"] ?? 0}; node's PUBACK p95 ${Math.round(delays[Math.floor(0.95 * delays.length)])} ms`,
    });
    expect(refused).toBe(GUESSES);
    expect(stored).toBe(BATCHES);
    expect((r["auth-rate-limited"] ?? 0) + (r["auth-busy"] ?? 0)).toBeGreaterThan(0);
  });
});
