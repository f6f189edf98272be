// The site page's data: energy per site day over the last N days (GET /api/sites/:site/daily) and the site's power
// flows, state of charge and feeders over a time range in aligned buckets (GET /api/sites/:site/series). Values are
// summed over the site's nodes that measure them; derived series (the battery's power from V x A, the unmetered
// load) say how they were made.
import { isValidId } from "../../firmware/protocol/topics";
import { stmt, type Db } from "../storage/db";
import { dayIn, dayStartIn, startOfDayIn } from "../time/zone";
import { dailyKeys, type DailyEnergyDay, type DailyEnergyReply, type SiteSeries, type SiteSeriesReply } from "../../contracts/gateway-api";
import { counterRises, type DayReadings, type RiseAsk } from "./day-energy";
import { historyQuery } from "./history";
import { badParam, intParam, notFound, sendJson, timeParam } from "./http";
import { route, type Ctx, type Route } from "./router";
import { siteZone } from "./deps";
import { feederName } from "./site-feeders";
import { dailyDoc, seriesDoc } from "../../contracts/api-routes-pages";

interface Chan {
  node: string;
  channel_id: number;
  key: string;
  agg: string;
}

function siteOf(ctx: Ctx): string {
  const site = ctx.params.site;
  if (!isValidId(site)) throw badParam("site", "not a valid site id");
  if (!stmt(ctx.deps.db, "SELECT 1 FROM nodes WHERE site = ? LIMIT 1").get(site)) throw notFound(`no site ${site}`, "site");
  return site;
}

function siteChannels(db: Db, site: string): Chan[] {
  return stmt(db, "SELECT node, channel_id, key, agg FROM channels WHERE site = ? ORDER BY node, channel_id").all(site) as Chan[];
}

/**
 * The last `n` days of the site's zone, oldest first, each from its midnight to the next; the last one is today
 * (readings of a clock a little ahead of the gateway's count in it too).
 */
export function siteDays(now: number, zone: string, n: number): { day: string; from: number; to: number }[] {
  const out: { day: string; from: number; to: number }[] = [];
  let from = startOfDayIn(now, zone);
  let to = dayStartIn(dayIn(from + 36 * 3_600_000, zone), zone);
  for (let k = 0; k < n; k++) {
    out.unshift({ day: dayIn(from, zone), from, to });
    to = from;
    from = dayStartIn(dayIn(from - 12 * 3_600_000, zone), zone); // the day before (23, 24 or 25 hours long)
  }
  return out;
}

/** Sum of the values that are there; null when none is. */
function sumOf(values: (number | null)[]): number | null {
  let s: number | null = null;
  for (const v of values) if (v !== null) s = (s ?? 0) + v;
  return s;
}

export function dailyEnergy(db: Db, site: string, zone: string, now: number, n: number, known?: DayReadings): DailyEnergyReply {
  const days = siteDays(now, zone, n);
  const keys: readonly string[] = dailyKeys;
  const counters = siteChannels(db, site).filter((c) => c.agg === "counter" && keys.indexOf(c.key) >= 0);
  const asks: RiseAsk[] = [];
  for (const d of days) for (const c of counters) asks.push({ site, node: c.node, channel_id: c.channel_id, from: d.from, to: d.to });
  const rises = counterRises(db, asks, known, now);
  const measured = keys.filter((k) => counters.some((c) => c.key === k));
  let i = 0;
  const out: DailyEnergyDay[] = days.map((d) => {
    const per: { [key: string]: (number | null)[] } = {};
    for (const c of counters) (per[c.key] ??= []).push(rises[i++]);
    const Wh: { [key: string]: number | null } = {};
    for (const k of measured) Wh[k] = sumOf(per[k]);
    return { ...d, Wh };
  });
  return { site, timezone: zone, now, measured, days: out };
}

function daily(ctx: Ctx): void {
  const site = siteOf(ctx);
  const n = intParam(ctx.query, "days", 30, 1, 366);
  sendJson(ctx.res, 200, dailyEnergy(ctx.deps.db, site, siteZone(ctx.deps, site), ctx.deps.now(), n, ctx.deps.dayReadings));
}

/** Per-bucket sum over several aligned series (null where none has a value). */
function addUp(series: (number | null)[][], length: number): (number | null)[] {
  return Array.from({ length }, (_, k) => sumOf(series.map((s) => s[k])));
}

export function siteSeries(db: Db, site: string, from: number, to: number, points: number, names: Parameters<typeof feederName>[0]): SiteSeriesReply {
  const chans = siteChannels(db, site);
  // buckets no finer than the slowest node's report interval: a bucket between two reports is not a gap in the data
  const slowest = stmt(db, "SELECT MAX((SELECT b.interval_s FROM batches b WHERE b.site = n.site AND b.node = n.node ORDER BY b.t0 DESC LIMIT 1)) AS s FROM nodes n WHERE n.site = ?").get(site) as { s: number | null };
  if (slowest.s) points = Math.max(1, Math.min(points, Math.floor((to - from) / (slowest.s * 1000))));
  let bucket = 0;
  let start = from;
  let end = to;
  const raw = new Map<Chan, (number | null)[]>();
  // each channel downsampled alike: same range, points and rollup level give the same buckets
  const read = (c: Chan) => {
    let s = raw.get(c);
    if (s) return s;
    const h = historyQuery(db, site, c.node, c.channel_id, from, to, points);
    bucket = h.bucket_ms;
    start = h.from;
    end = h.to;
    const n = Math.ceil((end - start) / bucket);
    s = new Array<number | null>(n).fill(null);
    for (const p of h.points) {
      const k = Math.round((p.t - start) / bucket);
      if (k >= 0 && k < n) s[k] = p.mean;
    }
    raw.set(c, s);
    return s;
  };
  const of = (key: string, agg = "mean") => chans.filter((c) => c.key === key && c.agg === agg);
  const wanted = [...of("pv_W"), ...of("load_W"), ...of("battery_W"), ...of("battery_V"), ...of("battery_A"), ...of("ac_out_W"), ...of("battery_soc_pct", "last")];
  const feeders = chans.filter((c) => c.agg === "mean" && /^(feeder\d+|ct\d+)_W$/.test(c.key));
  for (const c of [...wanted, ...feeders]) read(c);
  if (bucket === 0) {
    // a site without any of these channels: the buckets the history would use
    const h = historyQuery(db, site, "", -1, from, to, points);
    [bucket, start, end] = [h.bucket_ms, h.from, h.to];
  }
  const length = Math.ceil((end - start) / bucket);
  const t = Array.from({ length }, (_, k) => start + k * bucket);
  const series: SiteSeries[] = [];
  const sum = (key: string, agg?: string) => addUp(of(key, agg).map((c) => raw.get(c)!), length);
  if (of("pv_W").length) series.push({ id: "pv_W", label: "PV", unit: "W", mean: sum("pv_W") });
  if (of("load_W").length) series.push({ id: "load_W", label: "DC load", unit: "W", mean: sum("load_W") });
  if (of("ac_out_W").length) series.push({ id: "ac_out_W", label: "Inverter output", unit: "W", mean: sum("ac_out_W") });
  // the battery's power: + charging, - discharging; its own channel where it has readings, else volts x amps
  const measuredW = of("battery_W").filter((c) => raw.get(c)!.some((v) => v !== null));
  const fromVA: (number | null)[][] = [];
  for (const v of of("battery_V")) {
    const a = of("battery_A").find((c) => c.node === v.node);
    if (!a || measuredW.some((w) => w.node === v.node)) continue;
    const vs = raw.get(v)!;
    const as = raw.get(a)!;
    const va = vs.map((x, k) => (x === null || as[k] === null ? null : Math.round(x * as[k]! * 10) / 10));
    if (va.some((x) => x !== null)) fromVA.push(va);
  }
  if (!measuredW.length && !fromVA.length && of("battery_W").length) measuredW.push(...of("battery_W")); // measured, no readings in range
  if (measuredW.length || fromVA.length) {
    const s: SiteSeries = { id: "battery_W", label: "Battery", unit: "W", mean: addUp([...measuredW.map((c) => raw.get(c)!), ...fromVA], length) };
    if (fromVA.length) s.note = measuredW.length ? "partly battery_V x battery_A" : "battery_V x battery_A (no battery_W readings)";
    series.push(s);
  }
  if (of("battery_soc_pct", "last").length) {
    const socs = of("battery_soc_pct", "last").map((c) => raw.get(c)!);
    const mean = Array.from({ length }, (_, k) => {
      const v = socs.map((s) => s[k]).filter((x): x is number => x !== null);
      return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null;
    });
    series.push({ id: "battery_soc_pct", label: "State of charge", unit: "%", mean });
  }
  const withFeeders = new Set(feeders.map((f) => f.node));
  for (const f of feeders) {
    const prefix = f.key.slice(0, -2);
    const name = feederName(names, f.node, prefix);
    series.push({ id: `feeder:${f.node}:${prefix}`, label: withFeeders.size > 1 ? `${name} (${f.node})` : name, unit: "W", mean: raw.get(f)!, ...(prefix.startsWith("ct") ? { note: "AC, behind the inverter" } : {}) });
  }
  // unmetered: the node's DC load less its DC feeders (INA226); a bucket where any of them has no reading has none
  const unmetered: (number | null)[][] = [];
  for (const node of withFeeders) {
    const load = of("load_W").find((c) => c.node === node);
    const dc = feeders.filter((f) => f.node === node && f.key.startsWith("feeder"));
    if (!load || !dc.length) continue;
    const l = raw.get(load)!;
    unmetered.push(l.map((x, k) => (x === null || dc.some((f) => raw.get(f)![k] === null) ? null : Math.round((x - dc.reduce((a, f) => a + raw.get(f)![k]!, 0)) * 10) / 10)));
  }
  if (unmetered.length) series.push({ id: "unmetered_W", label: "Unmetered", unit: "W", mean: addUp(unmetered, length), note: "DC load minus the DC feeders" });
  return { site, from: start, to: end, bucket_ms: bucket, t, series };
}

function seriesRoute(ctx: Ctx): void {
  const site = siteOf(ctx);
  const q = ctx.query;
  const to = timeParam(q, "to", ctx.deps.now());
  const from = timeParam(q, "from", to - 86_400_000);
  if (from >= to) throw badParam("from", "must be before to");
  const points = intParam(q, "points", 300, 1, 2000);
  ctx.deps.settleRollups?.(site);
  sendJson(ctx.res, 200, siteSeries(ctx.deps.db, site, from, to, points, ctx.deps.sites?.[site]?.feeders));
}

export const sitePageRoutes: Route[] = [route("GET /api/sites/:site/daily", dailyDoc, daily), route("GET /api/sites/:site/series", seriesDoc, seriesRoute)];
