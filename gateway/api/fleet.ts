// GET /api/fleet: every site and node at a glance (the dashboard's fleet page), in a fixed number of statements
// whatever the number of nodes: the nodes with their report interval, the channels that matter with the newest state
// of charge, the counters' rise since each site's midnight (day-energy.ts), the open alarms by severity.
import { fleetDoc } from "../../contracts/api-routes-pages";
import { stmt, type Db } from "../storage/db";
import { counterRises, type DayReadings, type RiseAsk } from "./day-energy";
import type { DayEnergy, FleetNode, FleetReply, FleetSite, FleetStatus } from "../../contracts/gateway-api";
import { sendJson } from "./http";
import { route, type Ctx, type Route } from "./router";
import { siteZone } from "./deps";
import { siteDays } from "./routes-site-page";

const nodesSql =
  "SELECT n.site AS site, n.node AS node, n.online AS online, n.last_seen AS last_seen," +
  " (SELECT b.interval_s FROM batches b WHERE b.site = n.site AND b.node = n.node ORDER BY b.t0 DESC LIMIT 1) AS interval_s" +
  " FROM nodes n ORDER BY n.site, n.node";

// the state of charge's newest sample rides along as [ts, value, quality]: one seek from the end of its key range
const channelsSql =
  "SELECT c.site AS site, c.node AS node, c.channel_id AS channel_id, c.key AS key," +
  " CASE WHEN c.key = 'battery_soc_pct' THEN (SELECT json_array(s.ts, s.value, s.quality) FROM samples s" +
  "  WHERE s.site = c.site AND s.node = c.node AND s.channel_id = c.channel_id ORDER BY s.ts DESC LIMIT 1) END AS newest" +
  " FROM channels c WHERE (c.key = 'battery_soc_pct' AND c.agg = 'last') OR (c.agg = 'counter' AND c.key IN ('pv_Wh', 'load_Wh'))";

const alarmsSql = "SELECT site, node, severity, COUNT(*) AS n FROM alarms WHERE cleared_at IS NULL GROUP BY site, node, severity";

/** Worst first: the order in which a status wins over another (a node's, and a site's over its nodes). */
const rank: FleetStatus[] = ["critical", "offline", "warning", "ok"];

/** A node's colour: an open critical alarm, else offline, else an open warning alarm, else ok. */
export function nodeStatus(online: boolean, alarms: FleetNode["alarms"]): FleetStatus {
  if (alarms.critical > 0) return "critical";
  if (!online) return "offline";
  if (alarms.warning > 0) return "warning";
  return "ok";
}

/** A site's colour: its worst node's, except that a site with some nodes still online is not "offline" but "warning". */
export function siteStatus(nodes: Pick<FleetNode, "status">[]): FleetStatus {
  let worst = 3;
  for (const n of nodes) worst = Math.min(worst, rank.indexOf(n.status));
  if (rank[worst] === "offline" && nodes.some((n) => n.status !== "offline")) return "warning";
  return rank[worst];
}

export function fleetQuery(db: Db, zoneOf: (site: string) => string, now: number, known?: DayReadings): FleetReply {
  const nodes = stmt(db, nodesSql).all() as { site: string; node: string; online: number | null; last_seen: number | null; interval_s: number | null }[];
  const sites = new Map<string, FleetSite>();
  // each zone's midnight once (Intl's date formatting costs tens of microseconds a call)
  const days = new Map<string, { from: number; to: number }>();
  const today = (zone: string) => {
    let d = days.get(zone);
    if (d === undefined) days.set(zone, (d = siteDays(now, zone, 1)[0]));
    return d;
  };
  const byNode = new Map<string, FleetNode>();
  const intervals = new Map<FleetNode, number | null>();
  for (const n of nodes) {
    let s = sites.get(n.site);
    if (!s) {
      const timezone = zoneOf(n.site);
      sites.set(n.site, (s = { site: n.site, timezone, day_start: today(timezone).from, status: "ok", nodes: [] }));
    }
    const f: FleetNode = {
      node: n.node,
      status: "ok",
      online: n.online === 1,
      last_seen: n.last_seen,
      soc: null,
      pv_today: { Wh: null, measured: false },
      load_today: { Wh: null, measured: false },
      alarms: { critical: 0, warning: 0, info: 0 },
    };
    intervals.set(f, n.interval_s);
    s.nodes.push(f);
    byNode.set(n.site + "\u0000" + n.node, f);
  }
  const chans = stmt(db, channelsSql).all() as { site: string; node: string; channel_id: number; key: string; newest: string | null }[];
  const asks: RiseAsk[] = [];
  const targets: DayEnergy[] = [];
  for (const c of chans) {
    const f = byNode.get(c.site + "\u0000" + c.node);
    if (!f) continue;
    if (c.key === "battery_soc_pct") {
      const [ts, value, quality] = c.newest ? (JSON.parse(c.newest) as [number, number | null, string]) : [null, null, null];
      const interval_s = intervals.get(f) ?? null;
      f.soc = { value, quality, ts, stale: ts === null || interval_s === null || now - ts > 3 * interval_s * 1000 };
    } else {
      const e = c.key === "pv_Wh" ? f.pv_today : f.load_today;
      e.measured = true;
      const day = today(sites.get(c.site)!.timezone);
      asks.push({ site: c.site, node: c.node, channel_id: c.channel_id, from: day.from, to: day.to });
      targets.push(e);
    }
  }
  // one node could carry two counters of a key only with two aggregations; channelsSql asks for counters alone
  counterRises(db, asks, known, now).forEach((wh, i) => (targets[i].Wh = wh));
  for (const a of stmt(db, alarmsSql).all() as { site: string; node: string; severity: string; n: number }[]) {
    const f = byNode.get(a.site + "\u0000" + a.node);
    if (f && (a.severity === "critical" || a.severity === "warning" || a.severity === "info")) f.alarms[a.severity] += a.n;
  }
  const out: FleetSite[] = [];
  for (const s of sites.values()) {
    for (const n of s.nodes) n.status = nodeStatus(n.online, n.alarms);
    s.status = siteStatus(s.nodes);
    out.push(s);
  }
  return { now, sites: out };
}

function fleet(ctx: Ctx): void {
  sendJson(ctx.res, 200, fleetQuery(ctx.deps.db, (site) => siteZone(ctx.deps, site), ctx.deps.now(), ctx.deps.dayReadings));
}

export const fleetRoutes: Route[] = [route("GET /api/fleet", fleetDoc, fleet)];
