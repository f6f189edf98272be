// What the dashboard shows for a value, without the DOM (so Node tests can check it): a reading with its quality
// (docs/design.md guarantee 5: ok, stale, estimated, sensor failed; zero never means missing) and the API's stale flag.
import type { HistoryPoint, LatestChannel } from "../../../contracts/gateway-api";
import { timeIn } from "../../time/zone";

export type { LatestChannel, HistoryPoint };

export type ValueState = "ok" | "estimated" | "stale" | "failed" | "none";

export interface ShownValue {
  /** The number as text, or an em dash when there is none (never "0"). */
  text: string;
  unit: string;
  state: ValueState;
  /** The badge next to the value, empty when the value is fine. */
  badge: string;
}

const decimals: { [unit: string]: number } = { V: 2, A: 2, W: 0, Wh: 0, "%": 0, "°C": 1, Ah: 1, min: 0, mV: 0, mA: 0, Hz: 1, kWh: 2 };

/** A number in a unit, with a sensible number of decimals (e.g. 13.38 V, 1168 W, 75 %). */
export function formatNumber(v: number, unit: string | null): string {
  if (unit === null && Math.round(v) === v) return String(v); // state and fault codes
  const d = unit !== null && decimals[unit] !== undefined ? decimals[unit] : Math.abs(v) >= 100 ? 0 : 2;
  return v.toFixed(d);
}

/**
 * Names of charge_state codes: VE.Direct's CS values (VE.Direct protocol, field CS), which the firmware also uses
 * for an EPEver's charger status (firmware/app/sensors.ts).
 */
const chargeStates: { [code: number]: string } = {
  0: "Off", 1: "Low power", 2: "Fault", 3: "Bulk", 4: "Absorption", 5: "Float", 6: "Storage", 7: "Equalize", 9: "Inverting",
  11: "Power supply", 245: "Starting up", 246: "Repeated absorption", 247: "Auto-equalize", 248: "BatterySafe", 252: "External control",
};

/** The name of a state code a channel carries (charge_state), or undefined. */
export function codeName(key: string, code: number): string | undefined {
  return key === "charge_state" ? chargeStates[code] : undefined;
}

/** How a latest value is shown: failed and missing readings show a dash with a badge, stale ones keep their number greyed with a badge. */
export function showValue(ch: LatestChannel | undefined): ShownValue {
  if (!ch) return { text: "—", unit: "", state: "none", badge: "no data" };
  const unit = ch.unit ?? "";
  if (ch.value === null || ch.quality === "f") return { text: "—", unit, state: "failed", badge: ch.quality === null ? "no data" : "failed" };
  const text = codeName(ch.key, ch.value) ?? formatNumber(ch.value, ch.unit);
  if (ch.stale || ch.quality === "s") return { text, unit, state: "stale", badge: "stale" };
  if (ch.quality === "e") return { text, unit, state: "estimated", badge: "estimated" };
  return { text, unit, state: "ok", badge: "" };
}

/** A channel by key and, optionally, aggregation; without one the main aggregation (mean, last, counter). */
export function findChannel(chs: LatestChannel[], key: string, agg?: string): LatestChannel | undefined {
  const order = ["mean", "last", "counter", "min", "max"];
  let best: LatestChannel | undefined;
  for (const c of chs) {
    if (c.key !== key || (agg && c.agg !== agg)) continue;
    if (!best || order.indexOf(c.agg) < order.indexOf(best.agg)) best = c;
  }
  return best;
}

/**
 * Energy of a monotonic Wh counter over a range from its downsampled history: the highest value minus the lowest.
 * Null when the range holds no reading.
 */
export function counterDelta(points: HistoryPoint[]): number | null {
  let lo = Infinity;
  let hi = -Infinity;
  for (const p of points) {
    if (p.min !== null && p.min < lo) lo = p.min;
    if (p.max !== null && p.max > hi) hi = p.max;
  }
  return hi >= lo ? hi - lo : null;
}

/** "12 s ago", "5 min ago", "3 h ago", "2 d ago" ("in the future" for clocks ahead of the browser's). */
export function ago(ts: number | null, now: number): string {
  if (ts === null) return "never";
  const s = Math.round((now - ts) / 1000);
  if (s < -5) return "in the future";
  if (s < 60) return `${Math.max(0, s)} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

/** Feeder numbers present among the channels: feederN_* (INA226) and ctN_* (CT clamps). */
export function feedersOf(chs: LatestChannel[]): { kind: "feeder" | "ct"; n: number }[] {
  const seen: { [k: string]: boolean } = {};
  const out: { kind: "feeder" | "ct"; n: number }[] = [];
  for (const c of chs) {
    const m = /^(feeder|ct)(\d+)_/.exec(c.key);
    if (m && !seen[m[1] + m[2]]) {
      seen[m[1] + m[2]] = true;
      out.push({ kind: m[1] as "feeder" | "ct", n: Number(m[2]) });
    }
  }
  return out.sort((a, b) => (a.kind === b.kind ? a.n - b.n : a.kind === "feeder" ? -1 : 1));
}

/** The time zone the page shows times in: the site's (GET /api/sites), never the browser's. */
let shownZone = "UTC";

export function setShownZone(zone: string): void {
  shownZone = zone;
}

export function shownZoneName(): string {
  return shownZone;
}

/** A time as the page shows it: "YYYY-MM-DD HH:MM", 24-hour, in the site's zone. */
export function showTime(ts: number): string {
  return timeIn(ts, shownZone);
}
