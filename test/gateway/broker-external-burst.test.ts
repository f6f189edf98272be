// A burst of batches from several nodes through mosquitto (skipped when it is not installed): every batch stored
// exactly once with group commits, and every one acknowledged after its commit, so that the gateway's resumed
// session gets nothing again.
import type { MqttClient } from "mqtt";
import { afterEach, expect, it } from "vitest";
import { Gateway } from "../../gateway/gateway";
import { startMosquitto, type Mosquitto } from "../helpers/mosquitto";
import { batch, birth, connectClient, tempDir, testConfig, topic, waitFor } from "./fixture";
import { needs } from "../helpers/prerequisites";

let broker: Mosquitto | undefined;
let gw: Gateway | undefined;
const clients: MqttClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.end(true);
  await gw?.stop();
  gw = undefined;
  await broker?.close();
  broker = undefined;
});

const NODES = ["n1", "n2", "n3"];
const PER_NODE = 400;

needs("mosquitto").describe("external broker (mosquitto): a burst", () => {
  it("stores a burst from three nodes exactly once and leaves no message unacknowledged", async () => {
    broker = await startMosquitto({ conf: ["max_queued_messages 100000"] });
    const dir = tempDir();
    const config = testConfig(dir, { broker: { mode: "external", url: broker!.url, clientId: "gw-burst" } }, NODES);
    gw = new Gateway(config);
    await gw.start();
    const pubs = await Promise.all(NODES.map((n) => connectClient(broker!.url, { clientId: "c-" + n })));
    clients.push(...pubs);
    await Promise.all(pubs.map((c, k) => c.publishAsync(topic(NODES[k], "birth"), JSON.stringify(birth()), { qos: 1 })));
    const flushes = gw.counters.flushes;
    await Promise.all(pubs.flatMap((c, k) => Array.from({ length: PER_NODE }, (_, s) => c.publishAsync(topic(NODES[k], "t"), JSON.stringify(batch(s)), { qos: 1 }))));
    const total = NODES.length * PER_NODE;
    const stored = () => (gw!.store!.db.prepare("SELECT count(*) AS n FROM batches").get() as { n: number }).n;
    await waitFor(() => stored() === total, 30_000, "the burst stored");
    expect(gw.counters.batchesStored).toBe(total);
    expect(gw.counters.duplicates).toBe(0);
    expect(gw.counters.flushes - flushes).toBeLessThan(total / 4); // commits in groups
    const perNode = gw.store!.db.prepare("SELECT node, count(*) AS n, count(DISTINCT seq) AS seqs FROM batches GROUP BY node ORDER BY node").all();
    expect(perNode).toEqual(NODES.map((node) => ({ node, n: PER_NODE, seqs: PER_NODE })));
    expect(gw.store!.db.prepare("SELECT count(*) AS n FROM samples").get()).toEqual({ n: total * 2 * 3 });

    // every PUBACK went out after its commit: the resumed session brings nothing again
    await gw.stop();
    gw = new Gateway(config);
    await gw.start();
    await new Promise((r) => setTimeout(r, 500));
    expect(gw.counters.received.batch ?? 0).toBe(0);
    expect(stored()).toBe(total);
  });
});
