// History rollups: kept right when batches arrive late or out of order, and caught up at start for data stored
// while the API was not running; every level agrees with the samples.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { historyQuery } from "../../gateway/api/history";
import { backfillRollups, ensureRollupSchema, RollupUpkeep, updateRollups } from "../../gateway/api/rollup";
import type { Store } from "../../gateway/storage/store";
import type { EventBus } from "../../gateway/events";
import { addBatch, makeStore, T0 } from "./api-fixture";

const MIN = 60_000;
const DAY = 86_400_000;
let store: Store;
let bus: EventBus;

function rollupOnStore(): void {
  bus.on("batch.stored", (e) => {
    const b = store.db.prepare("SELECT t0, interval_s, rows FROM batches WHERE site=? AND node=? AND boot=? AND seq=?").get(e.site, e.node, e.boot, e.seq) as any;
    updateRollups(store.db, e.site, e.node, b.t0, b.t0 + b.rows * b.interval_s * 1000, T0);
  });
}

function exact(from: number, to: number): { n: number; min: number; max: number; sum: number } {
  return store.db.prepare("SELECT COUNT(value) n, MIN(value) min, MAX(value) max, SUM(value) sum FROM samples WHERE channel_id = 22 AND ts >= ? AND ts < ?").get(from, to) as any;
}

function totals(r: ReturnType<typeof historyQuery>) {
  const n = r.points.reduce((a, p) => a + p.n, 0);
  return { n, min: Math.min(...r.points.map((p) => p.min!)), max: Math.max(...r.points.map((p) => p.max!)), sum: r.points.reduce((a, p) => a + p.mean! * p.n, 0) };
}

beforeEach(() => {
  ({ store, bus } = makeStore());
  ensureRollupSchema(store.db);
});

afterEach(() => store.close());

describe("history rollups", () => {
  it("every level gives the same totals as the samples, and buckets never exceed the points asked", () => {
    rollupOnStore();
    for (let d = 0; d < 3; d++) addBatch(store, bus, { t0: T0 + d * DAY, rows: Array.from({ length: 1440 }, (_, k) => ({ 22: ((k * 7919) % 1000) + d })) });
    const e = exact(T0, T0 + 3 * DAY);
    for (const points of [5000, 400, 60, 20, 4]) {
      const r = historyQuery(store.db, "site-a", "ctl-1", 22, T0, T0 + 3 * DAY, points);
      expect(r.points.length, String(points)).toBeLessThanOrEqual(points);
      const t = totals(r);
      expect(t.n).toBe(e.n);
      expect(t.min).toBe(e.min);
      expect(t.max).toBe(e.max);
      expect(t.sum).toBeCloseTo(e.sum, 3);
    }
    expect(historyQuery(store.db, "site-a", "ctl-1", 22, T0, T0 + 3 * DAY, 4).source).toBe("rollup-10800000");
    expect(historyQuery(store.db, "site-a", "ctl-1", 22, T0, T0 + 3 * DAY, 400).source).toBe("rollup-600000");
    expect(historyQuery(store.db, "site-a", "ctl-1", 22, T0, T0 + 3 * DAY, 5000).source).toBe("samples");
  });
  it("a late batch for an earlier time (a node's backlog) is folded into the rollups", () => {
    rollupOnStore();
    addBatch(store, bus, { t0: T0 + DAY, rows: Array.from({ length: 60 }, () => ({ 22: 100 })) });
    addBatch(store, bus, { t0: T0, rows: Array.from({ length: 60 }, () => ({ 22: 900 })) });
    const r = historyQuery(store.db, "site-a", "ctl-1", 22, T0, T0 + 2 * DAY, 2);
    expect(r.source).toBe("rollup-10800000");
    expect(r.points.map((p) => [p.n, p.max])).toEqual([
      [60, 900],
      [60, 100],
    ]);
  });
  it("data stored while the API was away is caught up at start; nodes already up to date are left alone", () => {
    rollupOnStore();
    addBatch(store, bus, { t0: T0, rows: Array.from({ length: 30 }, () => ({ 22: 5 })) });
    // stored without the API listening (receivedAt is after the rollups' mark)
    addBatch(store, undefined, { t0: T0 + 30 * MIN, rows: Array.from({ length: 30 }, () => ({ 22: 7 })) });
    const before = historyQuery(store.db, "site-a", "ctl-1", 22, T0, T0 + DAY, 2);
    expect(totals(before).n).toBe(30);
    expect(backfillRollups(store.db, T0 + DAY)).toBe(1);
    const after = historyQuery(store.db, "site-a", "ctl-1", 22, T0, T0 + DAY, 2);
    expect(totals(after)).toMatchObject({ n: 60, max: 7 });
    expect(backfillRollups(store.db, T0 + DAY)).toBe(0);
  });
  it("narrow ranges read the samples with exact bucket edges", () => {
    addBatch(store, undefined, { t0: T0, rows: Array.from({ length: 10 }, (_, k) => ({ 22: k })) });
    const r = historyQuery(store.db, "site-a", "ctl-1", 22, T0 + 2 * MIN, T0 + 8 * MIN, 3);
    expect(r.source).toBe("samples");
    expect(r.points).toEqual([
      { t: T0 + 2 * MIN, n: 2, min: 2, mean: 2.5, max: 3 },
      { t: T0 + 4 * MIN, n: 2, min: 4, mean: 4.5, max: 5 },
      { t: T0 + 6 * MIN, n: 2, min: 6, mean: 6.5, max: 7 },
    ]);
  });
});

describe("rollup upkeep (the API's, for every stored batch)", () => {
  const span = (t0: number) => [t0, t0 + 30 * MIN] as const;
  const rows = () => store.db.prepare("SELECT level, t, n, sum, min, max FROM history_rollup ORDER BY level, t").all();

  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it("a node's batches are rebuilt together once they settle, in one transaction, as updateRollups would each, and marked built", async () => {
    const commits: number[] = [];
    const upkeep = new RollupUpkeep(store.db, (fn) => store.transaction(() => (commits.push(1), fn())), () => T0 + DAY, () => undefined, undefined, 80);
    // two neighbouring half hours and a day later: two ranges of one node
    const t0s = [T0, T0 + 30 * MIN, T0 + DAY];
    for (const t0 of t0s) {
      addBatch(store, undefined, { t0, rows: Array.from({ length: 30 }, (_, k) => ({ 22: k + t0 / MIN })) });
      upkeep.stored("site-a", "ctl-1", ...span(t0));
      await new Promise((r) => setImmediate(r));
    }
    expect(rows()).toEqual([]); // nothing while they settle
    expect(upkeep.waiting).toBe(3);
    await sleep(200);
    expect(commits).toHaveLength(1);
    expect(upkeep.waiting).toBe(0);
    const gathered = rows();
    expect(gathered.length).toBeGreaterThan(0);
    store.db.exec("DELETE FROM history_rollup");
    for (const t0 of t0s) updateRollups(store.db, "site-a", "ctl-1", ...span(t0));
    expect(rows()).toEqual(gathered);
    expect(store.db.prepare("SELECT built_at FROM history_rollup_built WHERE site = 'site-a' AND node = 'ctl-1'").get()).toEqual({ built_at: T0 + DAY });
  });

  it("many nodes waiting are rebuilt in slices, a transaction and a turn of the event loop each, until none waits", async () => {
    const commits: number[] = [];
    // slices of 0 ms: one node each
    const upkeep = new RollupUpkeep(store.db, (fn) => store.transaction(() => (commits.push(1), fn())), () => T0, () => undefined, undefined, 0, undefined, 0);
    for (let k = 1; k <= 5; k++) upkeep.stored("site-a", "ctl-" + k, ...span(T0));
    // this timer runs right after the upkeep's, in the same phase of the loop: the first slice only
    await sleep(0);
    expect(commits).toHaveLength(1);
    expect(upkeep.waiting).toBe(4);
    await sleep(50);
    expect(commits).toHaveLength(5);
    expect(upkeep.waiting).toBe(0);
    expect(store.db.prepare("SELECT COUNT(*) AS n FROM history_rollup_built").get()).toEqual({ n: 5 });
  });

  it("a read settles the node it reads at once (or every node of a site), not the others; not while commits are held", () => {
    let held = false;
    const upkeep = new RollupUpkeep(store.db, (fn) => store.transaction(fn), () => T0, () => undefined, undefined, 60_000, () => held);
    addBatch(store, undefined, { t0: T0, rows: [{ 22: 1 }] });
    upkeep.stored("site-a", "ctl-1", ...span(T0));
    upkeep.stored("site-a", "ctl-2", ...span(T0));
    upkeep.stored("site-b", "ctl-1", ...span(T0));
    held = true;
    upkeep.settle("site-a", "ctl-1");
    expect(upkeep.waiting).toBe(3);
    held = false;
    upkeep.settle("site-a", "ctl-1");
    expect(upkeep.waiting).toBe(2);
    expect(rows().length).toBeGreaterThan(0);
    const built = () => store.db.prepare("SELECT site || '/' || node AS k FROM history_rollup_built ORDER BY k").all();
    expect(built()).toEqual([{ k: "site-a/ctl-1" }]);
    upkeep.settle("site-a");
    expect(upkeep.waiting).toBe(1);
    expect(built()).toEqual([{ k: "site-a/ctl-1" }, { k: "site-a/ctl-2" }]);
    upkeep.flush();
    expect(upkeep.waiting).toBe(0);
  });

  it("waits while the store holds commits, and a stop's flush rebuilds what waits at once", async () => {
    let release: (() => void) | undefined;
    const upkeep = new RollupUpkeep(store.db, (fn) => store.transaction(fn), () => T0, () => undefined, (cb) => (release = cb), 0);
    addBatch(store, undefined, { t0: T0, rows: [{ 22: 1 }] });
    upkeep.stored("site-a", "ctl-1", ...span(T0));
    await sleep(20);
    expect(rows()).toEqual([]);
    release!();
    const first = rows().length;
    expect(first).toBeGreaterThan(0);
    addBatch(store, undefined, { t0: T0 + DAY, rows: [{ 22: 2 }] });
    upkeep.stored("site-a", "ctl-1", ...span(T0 + DAY));
    upkeep.flush();
    expect(rows().length).toBe(2 * first); // the same buckets a day later
  });

  it("a rebuild that fails is told, not thrown, and leaves the nodes to the next start's catch-up", async () => {
    const told: string[] = [];
    const upkeep = new RollupUpkeep(store.db, () => { throw new Error("disk I/O error"); }, () => T0, (l) => told.push(l), undefined, 0);
    upkeep.stored("site-a", "ctl-1", ...span(T0));
    upkeep.stored("site-a", "ctl-1", ...span(T0 + 30 * MIN));
    await sleep(20);
    expect(told).toEqual(["history rollups of 2 batch(es) could not be stored (disk I/O error); they are rebuilt at the next start"]);
  });
});
