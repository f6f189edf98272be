// Descriptions of the routes behind the dashboard's fleet and site pages (GET /api/fleet, GET /api/sites/:site/daily
// and /series): their reply schemas, one per field of the reply types in gateway-api.ts, as api-schemas.ts does.
import { arrayOf, bool, int, ms, nullable, num, obj, oneOfStrings, str, type JsonSchema } from "./api-schemas";
import { siteParam, type RouteDoc } from "./api-routes";
import type { DailyEnergyDay, DailyEnergyReply, DayEnergy, FleetNode, FleetReply, FleetSite, SiteSeries, SiteSeriesReply } from "./gateway-api";

const fleetStatus = oneOfStrings(["critical", "offline", "warning", "ok"]);
const dayEnergy = obj<DayEnergy>({ Wh: nullable(num), measured: bool });
const wattHoursByKey: JsonSchema = { type: "object", additionalProperties: { type: ["number", "null"] }, description: "Wh per counter key; null: measured, no reading" };
const timeParamDoc = (what: string) => ({ description: `${what}: Unix ms, or ISO 8601 (2026-06-01T00:00:00Z)`, schema: { type: "string" } });

const fleetNode = obj<FleetNode>({
  node: str,
  status: fleetStatus,
  online: bool,
  last_seen: nullable(ms),
  soc: nullable(obj<NonNullable<FleetNode["soc"]>>({ value: nullable(num), quality: nullable(str), ts: nullable(ms), stale: bool })),
  pv_today: dayEnergy,
  load_today: dayEnergy,
  alarms: obj<FleetNode["alarms"]>({ critical: int, warning: int, info: int }),
});

const fleetSite = obj<FleetSite>({ site: str, timezone: str, day_start: ms, status: fleetStatus, nodes: arrayOf(fleetNode) });

export const fleetDoc: RouteDoc<never> = {
  tag: "sites",
  summary: "Every site and node at a glance: status, state of charge, PV and load energy in the site's today, last seen, open alarms",
  replies: { 200: { description: "the fleet", schema: obj<FleetReply>({ now: ms, sites: arrayOf(fleetSite) }) } },
};

const dailyDay = obj<DailyEnergyDay>({ day: str, from: ms, to: ms, Wh: wattHoursByKey });

export const dailyDoc: RouteDoc<"site"> = {
  tag: "sites",
  summary: "Energy per site day (PV, load, battery in and out) over the last N days of the site's time zone, the last one today",
  params: { site: siteParam },
  query: { days: { description: "how many days, 1..366 (default 30)", schema: { type: "integer", minimum: 1, maximum: 366 } } },
  replies: { 200: { description: "the days, oldest first", schema: obj<DailyEnergyReply>({ site: str, timezone: str, now: ms, measured: arrayOf(str), days: arrayOf(dailyDay) }) } },
  errors: { 400: "a bad site id or days", 404: "no such site" },
};

const siteSeries = obj<SiteSeries>({ id: str, label: str, unit: str, mean: arrayOf({ type: ["number", "null"] }), note: str }, ["note"]);

export const seriesDoc: RouteDoc<"site"> = {
  tag: "sites",
  summary: "The site's power flows (PV, load, inverter, battery), state of charge and named feeders with the unmetered share, in aligned buckets",
  params: { site: siteParam },
  query: {
    from: timeParamDoc("start (default: a day before to)"),
    to: timeParamDoc("end (default: now)"),
    points: { description: "at most this many buckets, 1..2000 (default 300)", schema: { type: "integer", minimum: 1, maximum: 2000 } },
  },
  replies: { 200: { description: "the series", schema: obj<SiteSeriesReply>({ site: str, from: ms, to: ms, bucket_ms: int, t: arrayOf(ms), series: arrayOf(siteSeries) }) } },
  errors: { 400: "a bad site id, time or points, or from not before to", 404: "no such site" },
};
