// History rollups: kept right when batches arrive late or out of order, and caught up at start for data stored
// while the API was not running; every level agrees with the samples.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { historyQuery } from "../../gateway/api/history";
import { backfillRollups, ensureRollupSchema, updateRollups } from "../../gateway/api/rollup";
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
