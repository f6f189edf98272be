// Ingest with real SQLite: merged batches (s..e) after a lost PUBACK store only what is missing, and the uptime
// batches of a boot that never set its clock are stored at an estimated time once a later boot's offset is known.
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { BatchPayload } from "../../firmware/protocol/messages";
import { EventBus } from "../../gateway/events";
import { GatewayCounters } from "../../gateway/ingest/counters";
import { Ingest } from "../../gateway/ingest/ingest";
import { Store } from "../../gateway/storage/store";
import { batch, birth, T0, tempDir, topic } from "./fixture";

let store: Store;
let counters: GatewayCounters;
let ingest: Ingest;

function send(t: string, payload: unknown, receivedAt = Date.now()): Promise<boolean> {
  return new Promise((resolve, reject) =>
    ingest.submit({ clientId: "test", topic: t, payload: Buffer.from(JSON.stringify(payload)), receivedAt }, (err, rejected) => (err ? reject(err) : resolve(rejected))),
  );
}

const all = (sql: string) => store.db.prepare(sql).all() as any[];
const count = (table: string) => (store.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;

/** Batch s of boot 7 at wall time: 2 rows of 30 s starting at T0 + s*60 (fixture), so seqs follow back to back. */
const plain = (s: number) => batch(s);

/** Seqs s..e merged pairwise as a full flash queue does: one row of 60 s per original batch, merge factor 2. */
function merged(s: number, e: number, over: Partial<BatchPayload> = {}): BatchPayload {
  const r: (number | null)[][] = [];
  const q: string[] = [];
  for (let k = s; k <= e; k++) {
    r.push([12805 + k, -1500, 805]);
    q.push("ooo");
  }
  return { b: 7, s, e, t: T0 + s * 60, ts: 1, i: 60, r, q, h: 1, m: 2, ...over };
}

beforeEach(() => {
  store = Store.open(join(tempDir(), "gw.db"));
  counters = new GatewayCounters();
  ingest = new Ingest(store, new EventBus(), counters, { flushMs: 1, maxBatch: 100, isKnown: () => true, log: () => undefined });
  ingest.start();
});

afterEach(() => {
  ingest.stop();
  store.close();
});

describe("merged batches after a lost PUBACK", () => {
  it("stores the rows of s+1..s+3 once when s is stored and the merged s..s+3 arrives", async () => {
    await send(topic("n1", "birth"), birth());
    await send(topic("n1", "t"), plain(10));
    await send(topic("n1", "t"), merged(10, 13));
    expect(counters.duplicates).toBe(0);
    expect(all("SELECT seq, seq_last, t0, rows FROM batches ORDER BY seq")).toEqual([
      { seq: 10, seq_last: 10, t0: (T0 + 600) * 1000, rows: 2 },
      { seq: 11, seq_last: 13, t0: (T0 + 660) * 1000, rows: 3 },
    ]);
    const ch1 = all("SELECT ts, value, quality FROM samples WHERE channel_id=1 ORDER BY ts");
    // s's two 30 s rows kept as they were, then one estimated 60 s row for each of s+1..s+3: no time twice
    expect(ch1.map((x) => x.ts)).toEqual([600, 630, 660, 720, 780].map((d) => (T0 + d) * 1000));
    expect(ch1.map((x) => x.quality)).toEqual(["o", "o", "e", "e", "e"]);
    expect(ch1[0].value).toBe(12.81);
    expect(ch1[2].value).toBe(12.816);
    expect(count("samples")).toBe(15);
    // the same merged batch again, and plain s+2: every seq covered, duplicates
    await send(topic("n1", "t"), merged(10, 13));
    await send(topic("n1", "t"), plain(12));
    expect(counters.duplicates).toBe(2);
    expect(count("batches")).toBe(2);
    expect(count("samples")).toBe(15);
  });

  it("keeps a plain repeat a duplicate, and a merged batch with nothing stored whole", async () => {
    await send(topic("n1", "birth"), birth());
    await send(topic("n1", "t"), plain(3));
    await send(topic("n1", "t"), plain(3));
    expect(counters.duplicates).toBe(1);
    await send(topic("n1", "t"), merged(20, 23));
    expect(all("SELECT seq, seq_last, rows FROM batches WHERE seq=20")).toEqual([{ seq: 20, seq_last: 23, rows: 4 }]);
    expect(all("SELECT DISTINCT quality FROM samples WHERE ts >= " + (T0 + 1200) * 1000)).toEqual([{ quality: "o" }]);
  });

  it("counts a merged batch whose seqs were all stored alone as covered, not as a duplicate; itself again is a duplicate", async () => {
    await send(topic("n1", "birth"), birth());
    for (const s of [30, 31, 32]) await send(topic("n1", "t"), plain(s));
    const samples = count("samples");
    await send(topic("n1", "t"), merged(30, 32));
    expect(counters.covered).toBe(1);
    expect(counters.duplicates).toBe(0);
    expect(count("batches")).toBe(3);
    expect(count("samples")).toBe(samples);
    // a merged batch stored in part (seq 40 alone, then 40..42): its own row holds 41..42; sent again, a duplicate
    await send(topic("n1", "t"), plain(40));
    await send(topic("n1", "t"), merged(40, 42));
    await send(topic("n1", "t"), merged(40, 42));
    expect(counters.duplicates).toBe(1);
    expect(counters.covered).toBe(1);
    // a plain batch again stays a duplicate
    await send(topic("n1", "t"), plain(31));
    expect(counters.duplicates).toBe(2);
    expect(counters.snapshot().covered).toBe(1);
  });

  it("a merged batch starting before a stored seq adds only its rows outside the stored time", async () => {
    await send(topic("n1", "birth"), birth());
    await send(topic("n1", "t"), plain(5)); // T0+300..360
    await send(topic("n1", "t"), merged(4, 5)); // rows T0+240..300 (seq 4) and T0+300..360 (seq 5, stored)
    expect(counters.duplicates).toBe(0);
    expect(all("SELECT seq, seq_last, t0, rows FROM batches ORDER BY seq")).toEqual([
      { seq: 4, seq_last: 5, t0: (T0 + 240) * 1000, rows: 1 },
      { seq: 5, seq_last: 5, t0: (T0 + 300) * 1000, rows: 2 },
    ]);
    expect(all("SELECT ts, quality FROM samples WHERE channel_id=1 ORDER BY ts")).toEqual([
      { ts: (T0 + 240) * 1000, quality: "e" },
      { ts: (T0 + 300) * 1000, quality: "o" },
      { ts: (T0 + 330) * 1000, quality: "o" },
    ]);
  });

  it("an uptime merged batch pending beside its first seq waits under the next seq, then stores the rest", async () => {
    await send(topic("n1", "birth"), birth({ clk: 0, up: 5 }));
    await send(topic("n1", "t"), batch(2, { ts: 0, t: 120 }));
    await send(topic("n1", "t"), merged(2, 4, { ts: 0, t: 120 }));
    await send(topic("n1", "t"), merged(2, 4, { ts: 0, t: 120 })); // every seq pending already
    expect(all("SELECT seq, seq_last FROM pending_batches ORDER BY seq")).toEqual([
      { seq: 2, seq_last: 2 },
      { seq: 3, seq_last: 4 },
    ]);
    expect(counters.duplicates).toBe(1);
    await send(topic("n1", "evt"), { b: 7, t: 300, ts: 0, e: "clock.synced", d: { off: T0 } });
    expect(count("pending_batches")).toBe(0);
    expect(all("SELECT ts FROM samples WHERE channel_id=1 ORDER BY ts").map((x) => x.ts / 1000 - T0)).toEqual([120, 150, 180, 240]);
  });
});

describe("a boot that never set its clock", () => {
  it("is stored at an estimated time ending where the next synced boot starts, in order before it", async () => {
    const start4 = T0 * 1000; // boot 4's wall time at uptime 0
    await send(topic("n1", "birth"), birth({ boot: 3, clk: 0, up: 2 }), start4 - 3_600_000);
    for (let s = 0; s < 3; s++) await send(topic("n1", "t"), batch(s, { b: 3, ts: 0, t: 10 + s * 60 }));
    expect(count("pending_batches")).toBe(3);
    // power lost; boot 4 syncs its clock and sends its birth first, then its own batches
    await send(topic("n1", "birth"), birth({ boot: 4, clk: 1, up: 20 }), start4 + 20_000);
    await send(topic("n1", "t"), batch(0, { b: 4, ts: 0, t: 30 }));
    expect(count("pending_batches")).toBe(0);
    const rows = all("SELECT boot, seq, t0, rows, interval_s, time_estimated FROM batches ORDER BY t0");
    expect(rows.map((r) => [r.boot, r.seq, r.time_estimated])).toEqual([
      [3, 0, 1],
      [3, 1, 1],
      [3, 2, 1],
      [4, 0, 0],
    ]);
    // boot 3's last row (uptime 160..190 s) ends where boot 4 starts; its first row starts 180 s earlier
    const last3 = rows[2];
    expect(last3.t0 + last3.rows * last3.interval_s * 1000).toBe(start4);
    expect(rows[0].t0).toBe(start4 - 180_000);
    expect(Math.min(...rows.map((r) => r.t0))).toBeGreaterThan(946684800000);
    const q3 = all(`SELECT DISTINCT quality FROM samples WHERE ts < ${start4}`).map((x) => x.quality).sort();
    expect(q3).toEqual(["e", "f"]); // ok became estimated; a failed sensor stays failed
    expect(all(`SELECT DISTINCT quality FROM samples WHERE ts >= ${start4}`).map((x) => x.quality).sort()).toEqual(["f", "o"]);
    expect(store.getClockOffset("s1", "n1", 3)?.source).toBe("estimated");
  });

  it("a backlog of the ended boot arriving after the next boot's birth is estimated too; an unsynced later boot changes nothing", async () => {
    await send(topic("n1", "birth"), birth({ boot: 5, clk: 0, up: 1 }));
    await send(topic("n1", "t"), batch(0, { b: 4, ts: 0, t: 10, h: 1 }));
    expect(count("pending_batches")).toBe(1); // boot 5 has no offset yet: nothing to place boot 4 against
    await send(topic("n1", "evt"), { b: 5, t: 40, ts: 0, e: "clock.synced", d: { off: T0 } });
    expect(count("pending_batches")).toBe(0);
    expect(all("SELECT boot, t0, time_estimated FROM batches")).toEqual([{ boot: 4, t0: T0 * 1000 - 60_000, time_estimated: 1 }]);
    await send(topic("n1", "t"), batch(1, { b: 4, ts: 0, t: 70, h: 1 })); // more of boot 4: same estimated offset
    expect(all("SELECT seq, t0, time_estimated FROM batches WHERE seq=1")).toEqual([{ seq: 1, t0: T0 * 1000, time_estimated: 1 }]);
  });
});
