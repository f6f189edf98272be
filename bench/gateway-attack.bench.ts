// A real node's acknowledgement delay while an intruder on the site network guesses passwords, next to the same
// figure without the attack, measured in one run (the ratio is the figure to compare between machines).
// The node (127.0.0.1, already logged in, as a node stays connected) publishes a QoS 1 batch every 20 ms and
// waits for nothing; each batch's delay is from its PUBLISH to its PUBACK (which follows the commit). The attacker
// keeps 20 wrong-password CONNECTs open at a time from 50 loopback addresses (127.0.2.1-50), each answered by a new
// one: what one intruder's PC with a few aliases could send. Real aedes broker, real TCP, a real SQLite file.
import { rmSync } from "node:fs";
import { Gateway } from "../gateway/gateway";
import { batch, birth, nodeClient, tempDir, testConfig, topic } from "../test/gateway/fixture";
import { connectFrom } from "../test/gateway/attack-client";

const BATCHES = 200;
const EVERY_MS = 20;
const ATTACKERS = 20;
const ADDRESSES = 50;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const round1 = (x: number) => Math.round(x * 10) / 10;

/** Delays (ms) of a node's batches, with or without a stream of wrong-password CONNECTs meanwhile. */
async function pubackDelays(dir: string, attack: boolean): Promise<{ delays: number[]; connects: number; rejects: { [reason: string]: number } }> {
  const gw = new Gateway(testConfig(dir));
  await gw.start();
  const url = gw.brokerUrl;
  const node = await nodeClient(url, "n1");
  let stop = false;
  let connects = 0;
  const attackers = attack
    ? Array.from({ length: ATTACKERS }, async (_, k) => {
        for (let i = 0; !stop; i++) {
          const from = `127.0.2.${1 + ((k + i * ATTACKERS) % ADDRESSES)}`;
          const r = await connectFrom(url, from, { username: i % 2 ? "n1" : "nobody", password: "guess-" + i, clientId: `x${k}-${i}` });
          if (r.code === 0) throw new Error("the attacker got in");
          connects++;
        }
      })
    : [];
  try {
    await node.publishAsync(topic("n1", "birth"), JSON.stringify(birth()), { qos: 1 });
    await new Promise((r) => setTimeout(r, 300)); // the attack is under way
    const delays: Promise<number>[] = [];
    for (let s = 1; s <= BATCHES; s++) {
      const t0 = performance.now();
      delays.push(node.publishAsync(topic("n1", "t"), JSON.stringify(batch(s)), { qos: 1 }).then(() => performance.now() - t0));
      await new Promise((r) => setTimeout(r, EVERY_MS));
    }
    const all = await Promise.all(delays);
    return { delays: all.sort((a, b) => a - b), connects, rejects: { ...gw.counters.rejects } };
  } finally {
    stop = true;
    await Promise.all(attackers);
    node.end(true);
    await gw.stop();
  }
}

export async function bench(): Promise<Record<string, number>> {
  const dir = tempDir("mg-bench-attack-");
  try {
    const quiet = await pubackDelays(dir + "/q", false);
    const t1 = performance.now();
    const under = await pubackDelays(dir + "/a", true);
    const attackS = (performance.now() - t1) / 1000;
    const p95q = percentile(quiet.delays, 95);
    const p95a = percentile(under.delays, 95);
    return {
      "gateway.attack.baseline.pubackDelayMs.p50": round1(percentile(quiet.delays, 50)),
      "gateway.attack.baseline.pubackDelayMs.p95": round1(p95q),
      "gateway.attack.pubackDelayMs.p50": round1(percentile(under.delays, 50)),
      "gateway.attack.pubackDelayMs.p95": round1(p95a),
      "gateway.attack.pubackDelayMs.max": round1(under.delays.at(-1)!),
      "gateway.attack.pubackDelayRatio.p95": Math.round((p95a / Math.max(p95q, 0.1)) * 100) / 100,
      "gateway.attack.connectsPerSecond": Math.round(under.connects / attackS),
      "gateway.attack.scryptRuns": under.rejects["auth-bad-credentials"] ?? 0,
      "gateway.attack.rateLimited": under.rejects["auth-rate-limited"] ?? 0,
      "gateway.attack.busy": under.rejects["auth-busy"] ?? 0,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
