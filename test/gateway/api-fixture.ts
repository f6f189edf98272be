// A gateway store in memory with one node and its channels, and batches written the way ingest writes them.
import { Store } from "../../gateway/storage/store";
import { EventBus } from "../../gateway/events";
import type { BirthPayload, WireChannel } from "../../firmware/protocol/messages";

export const T0 = Date.UTC(2026, 5, 1, 6, 0, 0);

export const fixtureChannels: WireChannel[] = [
  [1, "battery_V", "mean", 3],
  [2, "battery_V", "min", 3],
  [6, "battery_soc_pct", "last", 1],
  [22, "pv_W", "mean", 1],
  [26, "charger_fault", "last", 0],
  [41, "ac_out_W", "mean", 0],
];

export function birth(ch: WireChannel[] = fixtureChannels): BirthPayload {
  return { v: 1, fw: "0.3.1", bd: "esp32", boot: 4, rr: "power", cfh: 0, cfg: {}, clk: 1, up: 10, ch };
}

export function makeStore(site = "site-a", node = "ctl-1", now = T0): { store: Store; bus: EventBus } {
  const store = Store.open(":memory:");
  store.saveBirth(site, node, birth(), now);
  return { store, bus: new EventBus() };
}

let seqCounter = 0;

/**
 * Store a batch of rows (values in units, by channel id; missing ids are null with quality f) and announce it.
 * Returns the batch's seq.
 */
export function addBatch(
  store: Store,
  bus: EventBus | undefined,
  o: { site?: string; node?: string; t0: number; interval_s?: number; rows: Record<number, number | null>[]; quality?: Record<number, string>[] },
): number {
  const site = o.site ?? "site-a";
  const node = o.node ?? "ctl-1";
  const ids = fixtureChannels.map((c) => c[0]);
  const scales = fixtureChannels.map((c) => c[3]);
  const rows = o.rows.map((r) => ids.map((id, j) => (r[id] === undefined || r[id] === null ? null : Math.round(r[id]! * Math.pow(10, scales[j])))));
  const q = o.rows.map((r, k) => ids.map((id) => o.quality?.[k]?.[id] ?? (r[id] === undefined || r[id] === null ? "f" : "o")).join(""));
  const seq = ++seqCounter;
  const interval_s = o.interval_s ?? 60;
  store.storeBatch({ site, node, boot: 4, seq, receivedAt: o.t0 + o.rows.length * interval_s * 1000, t0: o.t0, intervalS: interval_s, historical: false, merged: 1, timeEstimated: false }, ids, scales, rows, q);
  store.touch(site, node, o.t0, interval_s);
  bus?.emit("batch.stored", { site, node, boot: 4, seq, rows: rows.length });
  return seq;
}
