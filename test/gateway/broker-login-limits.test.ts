// Wrong-password logins are verified off the main thread, one at a time, and limited per remote address and per
// user name: during a back-off window a login is refused at once (CONNACK 5, counted auth-rate-limited) without
// running scrypt; a flood from one address beyond its queue share is refused at once (CONNACK 3, auth-busy).
// Real aedes broker, real TCP; the attacker connects from 127.0.0.2, the real node from 127.0.0.1.
import { describe, expect, it } from "vitest";
import { FailureLimiter } from "../../gateway/broker/failure-limiter";
import { VerifyQueue } from "../../gateway/broker/verify-queue";
import { birth, batch, gatewayPerTest, nodeClient, topic } from "./fixture";
import { connectFrom } from "./attack-client";

const per = gatewayPerTest();

describe("login limits", () => {
  it("a stream of wrong passwords from one address is rate-limited; a real node elsewhere logs in and is acknowledged", async () => {
    const gw = await per.start();
    const url = gw.brokerUrl;
    const codes: number[] = [];
    for (let i = 0; i < 40; i++) codes.push((await connectFrom(url, "127.0.0.2", { username: "n1", password: "guess-" + i, clientId: "x" + i })).code);
    const r = gw.counters.rejects;
    expect(r["auth-bad-credentials"]).toBe(5); // scrypt ran 5 times, then the address waits
    expect(r["auth-rate-limited"]).toBe(35);
    expect(codes.slice(0, 5)).toEqual([4, 4, 4, 4, 4]);
    expect(new Set(codes.slice(5))).toEqual(new Set([5]));
    // the real node, from its own address, with its own user name: in at once, and its batches acknowledged
    const n1 = await per.keep(nodeClient(url, "n1"));
    await n1.publishAsync(topic("n1", "birth"), JSON.stringify(birth()), { qos: 1 });
    await n1.publishAsync(topic("n1", "t"), JSON.stringify(batch(1)), { qos: 1 });
    expect(gw.store!.hasBatch("s1", "n1", 7, 1)).toBe(true);
  });

  it("CONNECTs sent all at once from one address: a bounded share waits, the rest are refused at once", async () => {
    const gw = await per.start();
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => connectFrom(gw.brokerUrl, "127.0.0.3", { username: "n2", password: "guess-" + i, clientId: "y" + i })),
    );
    const r = gw.counters.rejects;
    // 8 may wait for the address (a few more when a slot frees before the last CONNECTs arrive): the rest are busy
    expect(r["auth-busy"]).toBeGreaterThanOrEqual(15);
    expect(r["auth-bad-credentials"]).toBe(5); // then the address is in back-off: those still waiting run no scrypt
    expect(r["auth-busy"] + r["auth-rate-limited"]).toBe(25);
    expect(results.every((x) => x.code === 3 || x.code === 4 || x.code === 5)).toBe(true);
  });

  it("several nodes behind one address log in together after a restart", async () => {
    const nodes = ["n1", "n2", "n3", "n4", "n5"];
    const gw = await per.start({}, nodes);
    const all = await Promise.all(nodes.map((n) => per.keep(nodeClient(gw.brokerUrl, n))));
    expect(all.every((c) => c.connected)).toBe(true);
  });

  it("a user name under attack from other addresses still lets its node in from the address it last logged in from", async () => {
    const gw = await per.start();
    const first = await nodeClient(gw.brokerUrl, "n1");
    await first.endAsync();
    for (let k = 0; k < 4; k++)
      for (let i = 0; i < 5; i++) await connectFrom(gw.brokerUrl, `127.0.1.${k + 1}`, { username: "n1", password: "guess", clientId: "z" });
    expect(gw.counters.rejects["auth-rate-limited"]).toBeGreaterThan(0); // the user name is in its back-off
    const again = await per.keep(nodeClient(gw.brokerUrl, "n1"));
    expect(again.connected).toBe(true);
  });
});

describe("the limiter and the queue", () => {
  it("backs off after the threshold, doubling up to the maximum, and forgets after a quiet period", () => {
    let t = 0;
    const l = new FailureLimiter({ threshold: 3, baseMs: 1000, maxMs: 4000, forgetMs: 60_000, maxKeys: 2 }, () => t);
    for (let i = 0; i < 2; i++) l.fail("a");
    expect(l.blockedFor("a")).toBe(0);
    l.fail("a");
    expect(l.blockedFor("a")).toBe(1000);
    l.fail("a");
    expect(l.blockedFor("a")).toBe(2000);
    l.fail("a");
    l.fail("a");
    expect(l.blockedFor("a")).toBe(4000);
    t += 61_000;
    expect(l.blockedFor("a")).toBe(0);
    l.fail("b");
    l.fail("c");
    l.fail("d");
    expect(l.size).toBe(2);
  });

  it("runs one job at a time, addresses in turn, and refuses beyond the per-address and total bounds", async () => {
    const q = new VerifyQueue({ concurrency: 1, maxQueued: 3, maxPerSource: 3 });
    const order: string[] = [];
    const gates: (() => void)[] = [];
    const job = (name: string) => () =>
      new Promise<void>((r) => {
        order.push(name);
        gates.push(r);
      });
    const settle = () => new Promise((r) => setImmediate(r));
    const done = [q.submit("a", job("a1")), q.submit("a", job("a2")), q.submit("a", job("a3")), q.submit("b", job("b1"))];
    expect(q.submit("a", job("a4"))).toBeUndefined(); // the address's share
    expect(q.submit("c", job("c1"))).toBeUndefined(); // the whole queue: a1 runs, a2, a3 and b1 wait
    for (let i = 0; i < 4; i++) {
      gates[i]();
      await settle();
    }
    await Promise.all(done);
    expect(order).toEqual(["a1", "a2", "b1", "a3"]); // b1 did not wait behind all of a's
    expect(q.depth).toBe(0);
  });
});
