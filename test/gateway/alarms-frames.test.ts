// The alarm rules see a stored batch as frames (one per row time). Ingest hands over the samples it wrote with
// "batch.stored"; the frames built from them are the frames read back from the store, batch after batch through
// real ingest on a real SQLite file (plain, with failed readings, a merged batch stored in part, a node born again
// with another channel table). Where a merged batch's rows leave a hole that an earlier batch had filled, the frames
// are those of the rows it wrote: the hole's were judged with the batch that stored them.
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EventBus, GatewayEvents } from "../../gateway/events";
import { GatewayCounters } from "../../gateway/ingest/counters";
import { Ingest } from "../../gateway/ingest/ingest";
import { Store } from "../../gateway/storage/store";
import { batchFrames, channelNamesOf, framesOfWritten } from "../../gateway/alarms/frames";
import { AlarmService, type AlarmEvent } from "../../gateway/alarms/service";
import { batch, birth, T0, tempDir, topic } from "./fixture";

let store: Store;
let bus: EventBus;
let ingest: Ingest;
let stored: GatewayEvents["batch.stored"][];

function send(t: string, payload: unknown): Promise<boolean> {
  return new Promise((resolve, reject) =>
    ingest.submit({ clientId: "test", topic: t, payload: Buffer.from(JSON.stringify(payload)), receivedAt: Date.now() }, (err, rejected) => (err ? reject(err) : resolve(rejected))),
  );
}

const readBack = (e: GatewayEvents["batch.stored"]) => batchFrames(store.db, e.site, e.node, e.boot, e.seq);
const ofWritten = (e: GatewayEvents["batch.stored"]) => framesOfWritten(e.written!, channelNamesOf(store.db, e.site, e.node));

beforeEach(() => {
  store = Store.open(join(tempDir(), "gw.db"));
  bus = new EventBus();
  stored = [];
  bus.on("batch.stored", (e) => stored.push(e));
  ingest = new Ingest(store, bus, new GatewayCounters(), { flushMs: 2, maxBatch: 100, isKnown: (s) => s === "s1", log: () => {} });
  ingest.start();
});

afterEach(() => {
  ingest.stop();
  store.close();
});

describe("alarm frames of what ingest wrote", () => {
  it("are the frames read back from the store", async () => {
    await send(topic("n1", "birth"), birth());
    await send(topic("n1", "t"), batch(1));
    await send(topic("n1", "t"), batch(2, { r: [[null, null, 805], [12000, -900, null]], q: ["ffo", "oof"] }));
    // a merged batch (seqs 4..5) after seq 5 was stored alone: only its rows before seq 5 are written
    await send(topic("n1", "t"), batch(5, { r: [[12805, -1500, 805]], q: ["ooo"] }));
    await send(topic("n1", "t"), batch(4, { e: 5, m: 2, i: 60, r: [[12804, -1400, 806], [12805, -1500, 805]], q: ["ooo", "ooo"] }));
    // another node, born with its own table
    await send(topic("n2", "birth"), birth({ ch: [[1, "battery_V", "min", 2], [2, "battery_V", "mean", 3], [9, "pv_W", "mean", 0]] }));
    await send(topic("n2", "t"), batch(1, { r: [[1280, 12801, 350], [1279, 12790, null]], q: ["ooo", "oos"] }));
    expect(stored.map((e) => `${e.node}:${e.seq}:${e.rows}`)).toEqual(["n1:1:2", "n1:2:2", "n1:5:1", "n1:4:1", "n2:1:2"]);
    for (const e of stored) {
      expect(e.written!.rows).toHaveLength(e.rows);
      expect(ofWritten(e), `${e.node} seq ${e.seq}`).toEqual(readBack(e));
    }
    // the quantity's own reading is its mean, beside each aggregation's
    const n2 = ofWritten(stored[4])[0];
    expect(n2.r["battery_V"]).toEqual({ v: 12.801, q: "o" });
    expect(n2.r["battery_V:min"]).toEqual({ v: 12.8, q: "o" });
  });

  it("leave out a hole an earlier batch had filled", async () => {
    await send(topic("n1", "birth"), birth());
    await send(topic("n1", "t"), batch(41, { i: 60, r: [[12841, -1500, 805]], q: ["ooo"] }));
    // 40..42 merged, one row a seq: the row of 41 is stored already
    await send(topic("n1", "t"), batch(40, { e: 42, m: 3, i: 60, r: [[12840, -1, 800], [99999, -2, 801], [12842, -3, 802]], q: ["ooo", "ooo", "ooo"] }));
    const e = stored[1];
    const written = ofWritten(e);
    const back = readBack(e);
    expect(written.map((f) => f.ts)).toEqual([back[0].ts, back[2].ts]);
    expect(written).toEqual([back[0], back[2]]);
    expect(back[1].r["battery_V"].v).toBe(12.841); // the hole holds what the earlier batch stored
  });

  it("follow a node born again with another channel table", async () => {
    const events: AlarmEvent[] = [];
    bus.on("alarm", (a) => void events.push(a));
    const alarms = new AlarmService({ db: store.db, bus, config: { enabled: true, defaults: {}, sites: {} }, now: () => (T0 + 3600) * 1000 });
    alarms.start();
    await send(topic("n1", "birth"), birth({ ch: [[1, "battery_V", "mean", 3], [6, "charger_fault", "last", 0]] }));
    await send(topic("n1", "t"), batch(1, { r: [[12800, 0]], q: ["oo"] }));
    expect(events).toEqual([]);
    // a new boot with a new table: id 6 is now the state of charge (0 %), the fault is id 7
    await send(topic("n1", "birth"), birth({ boot: 8, ch: [[1, "battery_V", "mean", 3], [6, "battery_soc_pct", "last", 1], [7, "charger_fault", "last", 0]] }));
    await send(topic("n1", "t"), batch(1, { b: 8, t: T0 + 600, r: [[12800, 0, 3]], q: ["ooo"] }));
    expect(stored.at(-1)!.written).toBeDefined();
    expect(events.map((a) => [a.rule, a.state])).toContainEqual(["charger_fault", "raised"]);
    alarms.stop();
  });
});
