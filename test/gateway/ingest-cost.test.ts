// What ingest keeps in memory and how it commits: node rows and clock offsets cached with their writes and dropped
// on a rollback, a new birth's channel table used at once, a handler that throws part-way rolled back alone (counted
// once), samples in chunked multi-row INSERTs, and commits synced off the main thread in commit order.
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { BirthPayload } from "../../firmware/protocol/messages";
import { EventBus } from "../../gateway/events";
import { GatewayCounters } from "../../gateway/ingest/counters";
import { Ingest } from "../../gateway/ingest/ingest";
import { tuplesPerInsert } from "../../gateway/storage/samples";
import { Store } from "../../gateway/storage/store";
import { WalSync } from "../../gateway/storage/wal-sync";
import { batch, birth, tempDir, topic } from "./fixture";

let store: Store;
let counters: GatewayCounters;
let ingest: Ingest;

function send(t: string, payload: unknown): Promise<boolean> {
  return new Promise((resolve, reject) =>
    ingest.submit({ clientId: "test", topic: t, payload: Buffer.from(JSON.stringify(payload)), receivedAt: Date.now() }, (err, rejected) =>
      err ? reject(err) : resolve(rejected),
    ),
  );
}

const dbRow = (site: string, node: string) => store.db.prepare("SELECT * FROM nodes WHERE site=? AND node=?").get(site, node);
const count = (sql: string) => (store.db.prepare(sql).get() as { n: number }).n;

beforeEach(() => {
  store = Store.open(join(tempDir(), "gw.db"));
  counters = new GatewayCounters();
  ingest = new Ingest(store, new EventBus(), counters, { flushMs: 0, maxBatch: 100, isKnown: () => true, log: () => undefined });
  ingest.start();
});

afterEach(() => {
  ingest.stop();
  store.close();
});

describe("ingest caches", () => {
  it("a new birth replaces the cached node row and channel table: the next batch uses the new table", async () => {
    await send(topic("n1", "birth"), birth());
    await send(topic("n1", "t"), batch(1));
    expect(store.getNode("s1", "n1")?.fw).toBe("1.0.0");
    const ch: BirthPayload["ch"] = [
      [9, "pv_W", "mean", 0],
      [10, "load_W", "mean", 1],
    ];
    await send(topic("n1", "birth"), birth({ fw: "1.1.0", boot: 8, ch }));
    expect(store.getNode("s1", "n1")).toEqual(dbRow("s1", "n1"));
    expect(store.getNode("s1", "n1")?.fw).toBe("1.1.0");
    expect(await send(topic("n1", "t"), batch(1, { b: 8, r: [[500, 1234]], q: ["oo"] }))).toBe(false);
    const rows = store.db.prepare("SELECT channel_id, value FROM samples WHERE channel_id >= 9 ORDER BY channel_id").all();
    expect(rows).toEqual([
      { channel_id: 9, value: 500 },
      { channel_id: 10, value: 123.4 },
    ]);
  });

  it("the cached node row follows touch, online, stale and clock writes, as the table does", async () => {
    await send(topic("n1", "birth"), birth());
    const cached = store.getNode("s1", "n1");
    store.touch("s1", "n1", Date.now() + 5000, 90);
    store.setStale("s1", "n1", true);
    store.setOnline("s1", "n1", false, Date.now() + 6000);
    store.setClockSynced("s1", "n1", false);
    expect(store.getNode("s1", "n1")).toBe(cached);
    expect(cached).toEqual(dbRow("s1", "n1"));
    expect(cached).toMatchObject({ interval_s: 90, stale: 1, online: 0, clock_synced: 0 });
  });

  it("a rolled-back transaction drops what it cached", () => {
    store.saveBirth("s1", "n1", birth(), 1000);
    store.setClockOffset("s1", "n1", 7, 5000, "birth", 1000);
    expect(store.getNode("s1", "n1")?.interval_s).toBeNull();
    expect(() =>
      store.transaction(() => {
        store.setClockOffset("s1", "n1", 7, 9999, "sync", 2000);
        store.touch("s1", "n1", 2000, 30);
        expect(store.getClockOffset("s1", "n1", 7)?.offset_ms).toBe(9999);
        throw new Error("roll back");
      }),
    ).toThrow("roll back");
    expect(store.getClockOffset("s1", "n1", 7)).toEqual({ offset_ms: 5000, source: "birth" });
    expect(store.getNode("s1", "n1")?.interval_s).toBeNull();
    expect(store.getNode("s1", "n1")).toEqual(dbRow("s1", "n1"));
  });
});

describe("ingest commits", () => {
  it("a handler that throws part-way is rolled back alone and rejected; the others are stored and counted once", async () => {
    await send(topic("n1", "birth"), birth());
    await send(topic("n2", "birth"), birth());
    const touch = store.touch.bind(store);
    // n2's batch 2 fails after its batch and samples are written
    store.touch = (site, node, now, intervalS) => {
      if (node === "n2" && store.hasBatch("s1", "n2", 7, 2)) throw new Error("touch failed");
      touch(site, node, now, intervalS);
    };
    const received = counters.received.batch ?? 0;
    const results = await Promise.all([send(topic("n1", "t"), batch(1)), send(topic("n2", "t"), batch(2)), send(topic("n1", "t"), batch(3))]);
    expect(results).toEqual([false, true, false]);
    expect(counters.received.batch - received).toBe(3);
    expect(counters.batchesStored).toBe(2);
    expect(counters.samplesStored).toBe(2 * 2 * 3);
    expect(counters.rejects.malformed).toBe(1);
    expect(count("SELECT count(*) AS n FROM batches WHERE node='n2'")).toBe(0);
    expect(count("SELECT count(*) AS n FROM samples WHERE node='n2'")).toBe(0);
    expect(count("SELECT count(*) AS n FROM batches WHERE node='n1'")).toBe(2);
  });

  it("writes a batch's samples in chunks of multi-row INSERTs, every value once", () => {
    store.saveBirth("s1", "n1", birth(), 1000);
    const ids = [1, 2, 3, 4, 5];
    const rows = Array.from({ length: 100 }, (_, k) => ids.map((j) => k * 10 + j));
    const n = store.storeBatch(
      { site: "s1", node: "n1", boot: 7, seq: 1, receivedAt: 1, t0: 1_750_000_000_000, intervalS: 60, historical: true, merged: 1, timeEstimated: false },
      ids,
      [0, 0, 0, 0, 1],
      rows,
      rows.map(() => "ooooo"),
    );
    expect(rows.length * ids.length).toBeGreaterThan(2 * tuplesPerInsert);
    expect(n).toBe(100);
    expect(count("SELECT count(*) AS n FROM samples")).toBe(500);
    const last = store.db.prepare("SELECT channel_id, ts, value FROM samples ORDER BY ts DESC, channel_id DESC LIMIT 1").get();
    expect(last).toEqual({ channel_id: 5, ts: 1_750_000_000_000 + 99 * 60_000, value: 99.5 });
  });

  it("under synchronous FULL a commit is acknowledged after its sync, and the connection stays FULL for other writers", async () => {
    await send(topic("n1", "birth"), birth());
    let acked = false;
    ingest.submit({ clientId: "t", topic: topic("n1", "t"), payload: Buffer.from(JSON.stringify(batch(1))), receivedAt: Date.now() }, () => (acked = true));
    await new Promise((r) => setImmediate(r)); // the commit runs here; its fsync is in the thread pool
    expect(store.hasBatch("s1", "n1", 7, 1)).toBe(true);
    expect(acked).toBe(false);
    await new Promise<void>((r) => store.whenDurable(() => r()));
    expect(acked).toBe(true);
    expect(store.db.pragma("synchronous", { simple: true })).toBe(2);
  });
});

describe("synchronous levels", () => {
  it("ingest's transaction commits with NORMAL under FULL; the connection is FULL again after it", () => {
    const level = () => store.db.pragma("synchronous", { simple: true });
    expect(store.transactionDeferringSync(level)).toBe(1);
    expect(level()).toBe(2);
    expect(store.transaction(level)).toBe(2);
  });

  it("OFF and NORMAL stay as configured through ingest's transactions", async () => {
    for (const synchronous of ["OFF", "NORMAL"] as const) {
      const s = Store.open(join(tempDir(), "gw.db"), { synchronous });
      const want = synchronous === "OFF" ? 0 : 1;
      expect(s.transactionDeferringSync(() => s.db.pragma("synchronous", { simple: true }))).toBe(want);
      s.transaction(() => s.saveBirth("s1", "n1", birth(), 1));
      expect(s.db.pragma("synchronous", { simple: true })).toBe(want);
      s.close();
    }
  });
});

describe("WalSync", () => {
  it("calls back in commit order, never at once; now() syncs on the spot and calls each callback once", async () => {
    const dir = tempDir();
    const s = Store.open(join(dir, "w.db"));
    s.saveBirth("s1", "n1", birth(), 1); // the WAL file exists
    const sync = new WalSync(join(dir, "w.db-wal"));
    const order: number[] = [];
    for (let i = 0; i < 3; i++) sync.after((err) => order.push(err ? -1 : i));
    expect(order).toEqual([]);
    await new Promise<void>((r) => sync.after(() => r()));
    expect(order).toEqual([0, 1, 2]);
    sync.after(() => order.push(3));
    sync.after(() => order.push(4));
    sync.now();
    expect(order).toEqual([0, 1, 2, 3, 4]);
    await new Promise((r) => setTimeout(r, 50));
    expect(order).toEqual([0, 1, 2, 3, 4]);
    sync.close();
    s.close();
  });

  it("close() while an fsync runs calls its callbacks at once and closes the file only after that fsync returns", async () => {
    const dir = tempDir();
    const s = Store.open(join(dir, "w.db"));
    s.saveBirth("s1", "n1", birth(), 1);
    const sync = new WalSync(join(dir, "w.db-wal"));
    const got: (Error | null)[] = [];
    sync.after((err) => got.push(err));
    sync.close();
    expect(got).toEqual([null]);
    await new Promise((r) => setTimeout(r, 50));
    expect(got).toEqual([null]);
    s.close();
  });
});
