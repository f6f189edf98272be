// The HTTP API's replies, as the gateway (gateway/api/) and central (central/api.ts) send them and the dashboard
// (gateway/dashboard/src/) reads them: declared once here. Times are Unix ms.

/** Unit from a channel key's suffix (style: units in names): battery_V -> "V", battery_soc_pct -> "%". */
const units: { [suffix: string]: string } = { V: "V", A: "A", W: "W", Wh: "Wh", Ah: "Ah", pct: "%", C: "°C", min: "min", s: "s", Hz: "Hz", mA: "mA", mV: "mV", kWh: "kWh" };

export function unitOf(key: string): string | null {
  const i = key.lastIndexOf("_");
  return i >= 0 ? (units[key.slice(i + 1)] ?? null) : null;
}

/**
 * Link quality: from the signal strength where the node reports it (good >= -67 dBm, fair >= -80); otherwise from what
 * the link did to the data, the share of the last day's batches that came in live rather than later from the node's
 * flash queue (a node behind a weak cellular link sends much of its day as backlog): good >= 98 %, fair >= 90 %.
 */
export function linkQuality(rssi: number | null, liveShare: number | null): "good" | "fair" | "poor" | null {
  if (rssi !== null && rssi !== undefined) return rssi >= -67 ? "good" : rssi >= -80 ? "fair" : "poor";
  if (liveShare === null) return null;
  return liveShare >= 0.98 ? "good" : liveShare >= 0.9 ? "fair" : "poor";
}

/** Which channel a key alone names when several aggregations share it: the first of these, then any other (max). */
export const mainAggregations = ["mean", "last", "counter", "min"];

/** One site of GET /api/sites. */
export interface SiteSummary {
  site: string;
  nodes: number;
  online: number;
  last_seen: number | null;
  active_alarms: number;
  /** The site's IANA time zone (gateway settings `sites.<site>.timezone`, default "UTC"): its day is "today". */
  timezone: string;
}

/** One node of GET /api/sites/:site/nodes. */
export interface NodeStatus {
  node: string;
  online: boolean;
  first_seen: number | null;
  last_seen: number | null;
  fw: string | null;
  board: string | null;
  boot: number | null;
  backlog: number | null;
  link_rssi: number | null;
  link_quality: string | null;
  live_share_24h: number | null;
  /** null where it is not known (central does not keep it). */
  clock_synced: boolean | null;
  interval_s: number | null;
}

/** One channel of GET .../latest. */
export interface LatestChannel {
  id: number;
  key: string;
  agg: string;
  unit: string | null;
  value: number | null;
  /** o ok, s stale (the node's reading did not update), e estimated, f sensor failed; null before any sample. */
  quality: string | null;
  ts: number | null;
  /** The newest value is older than three report intervals. */
  stale: boolean;
}

/** GET .../latest. */
export interface LatestReply {
  site: string;
  node: string;
  now: number;
  interval_s: number | null;
  channels: LatestChannel[];
}

/** One bucket of GET .../history. */
export interface HistoryPoint {
  /** Bucket start. */
  t: number;
  /** Values in the bucket (nulls, i.e. failed readings, are not counted). */
  n: number;
  min: number | null;
  mean: number | null;
  max: number | null;
}

/** GET .../history without its site, node and channel. */
export interface HistoryResult {
  from: number;
  to: number;
  bucket_ms: number;
  /** "samples" or the rollup level used, e.g. "rollup-10800000". */
  source: string;
  points: HistoryPoint[];
}

export type Severity = "info" | "warning" | "critical";

/** One alarm of GET /api/alarms (a row of the alarms table). */
export interface AlarmRow {
  id: number;
  site: string;
  node: string;
  rule: string;
  severity: Severity;
  raised_at: number;
  cleared_at: number | null;
  acked_at: number | null;
  acked_by: string | null;
  message: string;
  value: number | null;
}

/**
 * GET .../config/state: a node's configuration as the gateway wants it, as the node last reported applying it, and
 * what the node last refused or tried.
 */
export interface ConfigStateReply {
  site: string;
  node: string;
  /** The desired configuration (PUT .../config), null when none was set; when it was set. */
  desired: { [k: string]: unknown } | null;
  desired_at: number | null;
  /** The settings the node reports applying (its birth's `cfg`), null before its first birth. */
  applied: { [k: string]: unknown } | null;
  /** Desired keys whose applied value differs (or is missing): empty when the node runs what is desired. */
  pending: string[];
  /** The node's last refusal of a cfg (evt cfg.refused): when, and why. */
  refused: { ts: number; why: string } | null;
  /** The last trial of a network or broker change (evt cfg.trial): when, and whether the node kept it. */
  trial: { ts: number; ok: boolean } | null;
}

/** A node's or site's colour on the fleet page: an open critical alarm, offline, an open warning alarm, else ok. */
export type FleetStatus = "critical" | "offline" | "warning" | "ok";

/** Energy of a counter over a day of the site: its rise from the day's first to its last reading (Wh). */
export interface DayEnergy {
  /** Null when the node measures it but sent no reading that day. */
  Wh: number | null;
  /** False when the node has no such counter (not measured, as opposed to no reading). */
  measured: boolean;
}

/** One node of GET /api/fleet. */
export interface FleetNode {
  node: string;
  status: FleetStatus;
  online: boolean;
  last_seen: number | null;
  /** The newest battery state of charge: value, quality (o/s/e/f), time, and stale (older than 3 report intervals). */
  soc: { value: number | null; quality: string | null; ts: number | null; stale: boolean } | null;
  pv_today: DayEnergy;
  load_today: DayEnergy;
  alarms: { critical: number; warning: number; info: number };
}

/** One site of GET /api/fleet. */
export interface FleetSite {
  site: string;
  timezone: string;
  /** The start of the site's today (its midnight in its time zone). */
  day_start: number;
  status: FleetStatus;
  nodes: FleetNode[];
}

/** GET /api/fleet: every site and node at a glance. */
export interface FleetReply {
  now: number;
  sites: FleetSite[];
}

/** The counters the site page totals per day (summed over the site's nodes). */
export const dailyKeys = ["pv_Wh", "load_Wh", "battery_charge_Wh", "battery_discharge_Wh"] as const;

/** One site day of GET /api/sites/:site/daily. */
export interface DailyEnergyDay {
  /** YYYY-MM-DD in the site's zone. */
  day: string;
  from: number;
  to: number;
  /** Wh per key (pv_Wh, load_Wh, battery_charge_Wh, battery_discharge_Wh): null when measured but no reading. */
  Wh: { [key: string]: number | null };
}

/** GET /api/sites/:site/daily?days=N: the last N site days, oldest first, the last one today (so far). */
export interface DailyEnergyReply {
  site: string;
  timezone: string;
  now: number;
  /** The keys some node of the site measures (the others are left out of `Wh`). */
  measured: string[];
  days: DailyEnergyDay[];
}

/** One series of GET /api/sites/:site/series: a channel of one node, or a value derived from several. */
export interface SiteSeries {
  /** "pv_W", "load_W", "battery_W", "battery_soc_pct", "feeder:<node>:feeder1", "unmetered_W", ... */
  id: string;
  label: string;
  unit: string;
  /** Mean per bucket, aligned with `t`; null where the bucket holds no reading. */
  mean: (number | null)[];
  /** How the series was made, e.g. "battery_V x battery_A" when battery_W is not measured. */
  note?: string;
}

/** GET /api/sites/:site/series?from=&to=&points=: the site's power flows and state of charge, aligned buckets. */
export interface SiteSeriesReply {
  site: string;
  from: number;
  to: number;
  bucket_ms: number;
  t: number[];
  series: SiteSeries[];
}
