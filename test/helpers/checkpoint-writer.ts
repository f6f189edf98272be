// A gateway's store under write load, as a child process for test/gateway/wal-checkpoint.test.ts to kill: 40 nodes'
// batches go through ingest as fast as it commits them, with small checkpoint rounds (every 300 pages). It prints
// "ack <node> <seq>" once a batch is durable (when the gateway would send its PUBACK) and "pass <left> <more>" after
// each checkpoint pass (pages left in the WAL uncopied, 1 when the next pass started at once). stdout is a pipe,
// written synchronously: a line the test read was printed after what it reports.
import { EventBus } from "../../gateway/events";
import { GatewayCounters } from "../../gateway/ingest/counters";
import { Ingest } from "../../gateway/ingest/ingest";
import { Store } from "../../gateway/storage/store";

// the payloads of test/gateway/fixture.ts (which imports vitest, so is not loaded here)
const channels = [
  [1, "battery_V", "mean", 3],
  [4, "battery_A", "mean", 3],
  [6, "battery_soc_pct", "last", 1],
];
const birth = () => ({ v: 1, fw: "1.0.0", bd: "pico", boot: 7, rr: "power", cfh: 0, cfg: {}, clk: 1, up: 100, ch: channels });
const batch = (s: number) => ({ b: 7, s, t: 1_750_000_000 + s * 60, ts: 1, i: 30, r: [[12800 + (s % 1000), -1500, 805]], q: ["ooo"] });
const topic = (node: string, leaf: string) => `mg/v1/s1/${node}/${leaf}`;

const path = process.argv[2];
const store = Store.open(path, { checkpoint: { startFrames: 300, finalFrames: 30, pollMs: 20, log: () => undefined } });
store.onCheckpoint = (p) => process.stdout.write(`pass ${p.log - p.checkpointed} ${p.more ? 1 : 0}\n`);
const ingest = new Ingest(store, new EventBus(), new GatewayCounters(), { flushMs: 1, maxBatch: 200, isKnown: () => true, log: () => undefined });
ingest.start();

const nodes = Array.from({ length: 40 }, (_, k) => "n" + k);
const submit = (node: string, kind: "birth" | "t", payload: unknown, acked: () => void) =>
  ingest.submit({ clientId: "s1." + node, topic: topic(node, kind), payload: Buffer.from(JSON.stringify(payload)), receivedAt: Date.now() }, (err) => {
    if (!err) acked();
  });

let births = 0;
for (const n of nodes) submit(n, "birth", birth(), () => ++births === nodes.length && next(0));

/** One batch per node, the next round once every batch of this one is durable. */
function next(seq: number): void {
  let waiting = nodes.length;
  for (const n of nodes)
    submit(n, "t", batch(seq), () => {
      process.stdout.write(`ack ${n} ${seq}\n`);
      if (--waiting === 0) setImmediate(() => next(seq + 1));
    });
}
