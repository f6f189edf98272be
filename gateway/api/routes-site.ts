// What an integrator reads a whole site with, in one request each: the newest value of every channel of every node,
// and the history of several channels (of one or several nodes) over the same range and buckets.
import { isValidId } from "../../firmware/protocol/topics";
import { siteHistoryDoc, siteLatestDoc, type SiteNodeLatest } from "../../contracts/api-routes";
import { unitOf } from "../../contracts/gateway-api";
import { stmt } from "../storage/db";
import { badParam, historyParams, notFound, sendJson, seriesSpecs } from "./http";
import { historyQuery } from "./history";
import { Ctx, route, Route } from "./router";
import { channelOf, latestOf } from "./routes-nodes";

function siteOf(ctx: Ctx): { site: string; nodes: { node: string; online: number }[] } {
  const site = ctx.params.site;
  if (!isValidId(site)) throw badParam("site", "not a valid site id");
  const nodes = stmt(ctx.deps.db, "SELECT node, online FROM nodes WHERE site = ? ORDER BY node").all(site) as { node: string; online: number }[];
  if (nodes.length === 0) throw notFound(`no site ${site}`, "site");
  return { site, nodes };
}

function siteLatest(ctx: Ctx): void {
  const { site, nodes } = siteOf(ctx);
  const now = ctx.deps.now();
  const out = nodes.map((n): SiteNodeLatest => {
    const l = latestOf(ctx.deps.db, site, n.node, now);
    return { node: n.node, online: n.online === 1, interval_s: l.interval_s, channels: l.channels };
  });
  sendJson(ctx.res, 200, { site, now, nodes: out });
}

function siteHistory(ctx: Ctx): void {
  const { site, nodes } = siteOf(ctx);
  const specs = seriesSpecs(ctx.query.get("series"));
  const { from, to, points } = historyParams(ctx.query, ctx.deps.now());
  const known = new Set(nodes.map((n) => n.node));
  const series = specs.map(({ node, channel }) => {
    if (!known.has(node)) throw badParam("series", `site ${site} has no node '${node}'`);
    const ch = channelOf(ctx.deps.db, site, node, channel, "series");
    ctx.deps.settleRollups?.(site, node);
    const r = historyQuery(ctx.deps.db, site, node, ch.channel_id, from, to, points);
    return { node, channel: { id: ch.channel_id, key: ch.key, agg: ch.agg, unit: unitOf(ch.key) }, ...r };
  });
  sendJson(ctx.res, 200, { site, series });
}

export const siteRoutes: Route[] = [route("GET /api/sites/:site/latest", siteLatestDoc, siteLatest), route("GET /api/sites/:site/history", siteHistoryDoc, siteHistory)];
