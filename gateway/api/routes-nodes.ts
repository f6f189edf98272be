// Read endpoints: sites, nodes, latest values and downsampled history.
import { isValidId } from "../../firmware/protocol/topics";
import { stmt, type Db } from "../storage/db";
import { badParam, channelSpec, historyParams, notFound, sendJson } from "./http";
import { historyQuery } from "./history";
import { Ctx, route, Route } from "./router";
import { siteZone } from "./deps";
import { linkQuality, mainAggregations, unitOf, type LatestChannel, type LatestReply, type NodeStatus } from "../../contracts/gateway-api";
import { historyDoc, latestDoc, nodesDoc, sitesDoc } from "../../contracts/api-routes";

export interface ChannelRow {
  channel_id: number;
  key: string;
  agg: string;
  scale: number;
}

const aggOrder = `CASE agg ${mainAggregations.map((a, i) => `WHEN '${a}' THEN ${i}`).join(" ")} ELSE ${mainAggregations.length} END`;

/** Site and node of the path, checked; 404 when the node is not known. */
export function nodeOf(ctx: Ctx): { site: string; node: string } {
  const { site, node } = ctx.params;
  if (!isValidId(site)) throw badParam("site", "not a valid site id");
  if (!isValidId(node)) throw badParam("node", "not a valid node id");
  const n = ctx.deps.db.prepare("SELECT 1 FROM nodes WHERE site = ? AND node = ?").get(site, node);
  if (!n) throw notFound(`no node ${node} at site ${site}`, "node");
  return { site, node };
}

/** A channel by id ("22"), key ("pv_W": its main aggregation) or key:agg ("pv_W:max"); 400 naming `param` if unknown. */
export function channelOf(db: Db, site: string, node: string, spec: string | null, param = "channel"): ChannelRow {
  const c = channelSpec(spec, param);
  let row: ChannelRow | undefined;
  if ("id" in c) row = db.prepare("SELECT channel_id, key, agg, scale FROM channels WHERE site = ? AND node = ? AND channel_id = ?").get(site, node, c.id) as ChannelRow | undefined;
  else {
    const { key, agg } = c;
    row = db
      .prepare(`SELECT channel_id, key, agg, scale FROM channels WHERE site = ? AND node = ? AND key = ?${agg ? " AND agg = ?" : ""} ORDER BY ${aggOrder} LIMIT 1`)
      .get(...[site, node, key, ...(agg ? [agg] : [])]) as ChannelRow | undefined;
  }
  if (!row) throw badParam(param, `node ${node} has no channel '${spec}'`);
  return row;
}

/** Share (0..1) of the batches of the last 24 h (by their time) that arrived live; null when there were none. */
function liveShare24h(db: Db, site: string, node: string, now: number): number | null {
  const r = stmt(db, "SELECT COUNT(*) AS n, SUM(CASE WHEN historical = 0 THEN 1 ELSE 0 END) AS live FROM batches WHERE site = ? AND node = ? AND t0 >= ?").get(
    site,
    node,
    now - 86400_000,
  ) as { n: number; live: number | null };
  return r.n > 0 ? Math.round(((r.live ?? 0) / r.n) * 1000) / 1000 : null;
}

/** Interval of the node's newest batch, s (null before any). */
export function intervalOf(db: Db, site: string, node: string): number | null {
  const r = db.prepare("SELECT interval_s FROM batches WHERE site = ? AND node = ? ORDER BY t0 DESC LIMIT 1").get(site, node) as { interval_s: number } | undefined;
  return r ? r.interval_s : null;
}

function sites(ctx: Ctx): void {
  const rows = ctx.deps.db
    .prepare(
      "SELECT n.site AS site, COUNT(*) AS nodes, SUM(CASE WHEN n.online = 1 THEN 1 ELSE 0 END) AS online, MAX(n.last_seen) AS last_seen," +
        " (SELECT COUNT(*) FROM alarms a WHERE a.site = n.site AND a.cleared_at IS NULL) AS active_alarms FROM nodes n GROUP BY n.site ORDER BY n.site",
    )
    .all() as { site: string }[];
  sendJson(ctx.res, 200, { sites: rows.map((r) => ({ ...r, timezone: siteZone(ctx.deps, r.site) })) });
}

function nodes(ctx: Ctx): void {
  const site = ctx.params.site;
  if (!isValidId(site)) throw badParam("site", "not a valid site id");
  const rows = ctx.deps.db
    .prepare("SELECT node, online, first_seen, last_seen, fw, board, boot, clock_synced, backlog, link_rssi FROM nodes WHERE site = ? ORDER BY node")
    .all(site) as (Omit<NodeStatus, "online" | "clock_synced" | "live_share_24h" | "link_quality" | "interval_s"> & { online: number; clock_synced: number })[];
  if (rows.length === 0) throw notFound(`no site ${site}`, "site");
  const now = ctx.deps.now();
  const out = rows.map((r): NodeStatus => {
    const live = liveShare24h(ctx.deps.db, site, r.node, now);
    return {
      ...r,
      online: r.online === 1,
      clock_synced: r.clock_synced === 1,
      live_share_24h: live,
      link_quality: linkQuality(r.link_rssi, live),
      interval_s: intervalOf(ctx.deps.db, site, r.node),
    };
  });
  sendJson(ctx.res, 200, { site, nodes: out });
}

/** The newest value of each channel of a node (one seek per channel, from the end of its key range). */
export function latestOf(db: Db, site: string, node: string, now: number): LatestReply {
  const interval_s = intervalOf(db, site, node);
  const chans = stmt(db, "SELECT channel_id, key, agg, scale FROM channels WHERE site = ? AND node = ? ORDER BY channel_id").all(site, node) as ChannelRow[];
  const last = stmt(db, "SELECT ts, value, quality FROM samples WHERE site = ? AND node = ? AND channel_id = ? ORDER BY ts DESC LIMIT 1");
  const channels = chans.map((c): LatestChannel => {
    const s = last.get(site, node, c.channel_id) as { ts: number; value: number | null; quality: string } | undefined;
    return {
      id: c.channel_id,
      key: c.key,
      agg: c.agg,
      unit: unitOf(c.key),
      value: s ? s.value : null,
      quality: s ? s.quality : null,
      ts: s ? s.ts : null,
      // stale: the newest value is older than three report intervals (or there is none)
      stale: !s || interval_s === null || now - s.ts > 3 * interval_s * 1000,
    };
  });
  return { site, node, now, interval_s, channels };
}

function latest(ctx: Ctx): void {
  const { site, node } = nodeOf(ctx);
  sendJson(ctx.res, 200, latestOf(ctx.deps.db, site, node, ctx.deps.now()));
}

function history(ctx: Ctx): void {
  const { site, node } = nodeOf(ctx);
  const q = ctx.query;
  const ch = channelOf(ctx.deps.db, site, node, q.get("channel"));
  const { from, to, points } = historyParams(q, ctx.deps.now());
  ctx.deps.settleRollups?.(site, node);
  const r = historyQuery(ctx.deps.db, site, node, ch.channel_id, from, to, points);
  sendJson(ctx.res, 200, { site, node, channel: { id: ch.channel_id, key: ch.key, agg: ch.agg, unit: unitOf(ch.key) }, ...r });
}

export const nodeRoutes: Route[] = [
  route("GET /api/sites", sitesDoc, sites),
  route("GET /api/sites/:site/nodes", nodesDoc, nodes),
  route("GET /api/sites/:site/nodes/:node/latest", latestDoc, latest),
  route("GET /api/sites/:site/nodes/:node/history", historyDoc, history),
];
