// The central HTTP API: the gateway's read endpoints over PostgreSQL, for every site, served by the gateway's API
// code: its router and route descriptions (contracts/api-routes.ts: the same OpenAPI operations and reply schemas),
// its parameters (times, channels, history ranges: gateway/api/http.ts), errors ({error: {code, message, param?}}),
// CORS and token check (gateway/api/dispatch.ts), and its reply types (contracts/gateway-api.ts).
//   GET /api/sites, /api/sites/:site/nodes, /api/sites/:site/latest, /api/sites/:site/history?series=
//   GET /api/sites/:site/nodes/:node/latest, /api/sites/:site/nodes/:node/history?channel=&from=&to=&points=
//   GET /api/health (no token), /api/openapi.json, /api/ingest (this instance's counters)
// With a token set, every request but the health check needs `Authorization: Bearer <token>`.
import { createServer, type Server } from "node:http";
import type pg from "pg";
import { isValidId } from "../firmware/protocol/topics";
import { healthDoc, historyDoc, latestDoc, nodesDoc, siteHistoryDoc, siteLatestDoc, sitesDoc } from "../contracts/api-routes";
import { linkQuality, mainAggregations, unitOf, type HistoryPoint, type LatestChannel, type LatestReply, type NodeStatus, type SiteSummary } from "../contracts/gateway-api";
import { dispatcher, requestUrl, type CorsOptions } from "../gateway/api/dispatch";
import { badParam, channelSpec, historyParams, notFound, sendJson, seriesSpecs } from "../gateway/api/http";
import { openApiDocument } from "../gateway/api/openapi";
import { Ctx, route, Route } from "../gateway/api/router";
import { programVersion } from "../gateway/api/version";

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
const ms = (v: Date | null) => (v ? v.getTime() : null);

function id(v: string, what: string): string {
  if (!isValidId(v)) throw badParam(what, `not a valid ${what} id`);
  return v;
}

async function sites(db: pg.Pool): Promise<{ sites: SiteSummary[] }> {
  const r = await db.query(
    `SELECT n.site, count(*)::int AS nodes, sum(CASE WHEN n.online THEN 1 ELSE 0 END)::int AS online, max(n.last_seen) AS last_seen,
       (SELECT count(*)::int FROM alarms a WHERE a.site = n.site AND a.cleared_at IS NULL AND a.raised_at IS NOT NULL) AS active_alarms
     FROM nodes n GROUP BY n.site ORDER BY n.site`,
  );
  // central keeps no site settings: every site's day is UTC's here
  return { sites: r.rows.map((s) => ({ ...s, last_seen: ms(s.last_seen), timezone: "UTC" })) };
}

async function nodes(db: pg.Pool, site: string, now: number): Promise<{ site: string; nodes: NodeStatus[] }> {
  const r = await db.query(
    `SELECT n.node, coalesce(n.online, false) AS online, n.first_seen, n.last_seen, n.fw, n.board, n.boot,
       (SELECT interval_s FROM batches b WHERE b.site = n.site AND b.node = n.node ORDER BY t0 DESC LIMIT 1) AS interval_s,
       (SELECT count(*)::int FROM batches b WHERE b.site = n.site AND b.node = n.node AND b.t0 >= to_timestamp($2 / 1000.0)) AS day_batches,
       (SELECT count(*)::int FROM batches b WHERE b.site = n.site AND b.node = n.node AND b.t0 >= to_timestamp($2 / 1000.0) AND NOT b.historical) AS day_live
     FROM nodes n WHERE n.site = $1 ORDER BY n.node`,
    [site, now - 86_400_000],
  );
  if (!r.rowCount) throw notFound(`no site ${site}`, "site");
  return {
    site,
    nodes: r.rows.map((n): NodeStatus => {
      const live = n.day_batches > 0 ? Math.round((n.day_live / n.day_batches) * 1000) / 1000 : null;
      return {
        node: n.node,
        online: n.online,
        first_seen: ms(n.first_seen),
        last_seen: ms(n.last_seen),
        fw: n.fw,
        board: n.board,
        boot: num(n.boot),
        // the uplink carries neither the node's flash backlog, its signal strength nor its clock state
        backlog: null,
        link_rssi: null,
        link_quality: linkQuality(null, live),
        live_share_24h: live,
        clock_synced: null,
        interval_s: num(n.interval_s),
      };
    }),
  };
}

type ChannelRow = { channel_id: number; key: string | null; agg: string | null; scale: number };

/** The node's channels; 404 naming `node` when the node is not known (as the gateway's API answers). */
async function channelsOf(db: pg.Pool, site: string, node: string): Promise<ChannelRow[]> {
  const n = await db.query("SELECT 1 FROM nodes WHERE site = $1 AND node = $2", [site, node]);
  if (!n.rowCount) throw notFound(`no node ${node} at site ${site}`, "node");
  const r = await db.query("SELECT channel_id, key, agg, scale FROM channels WHERE site = $1 AND node = $2 ORDER BY channel_id", [site, node]);
  return r.rows as ChannelRow[];
}

/** A channel by id, key (its main aggregation, as the gateway picks it) or key:agg; 400 naming `param` if unknown. */
function channelOf(chans: ChannelRow[], node: string, spec: string | null, param: string): ChannelRow & { key: string; agg: string } {
  const c = channelSpec(spec, param);
  const rank = (agg: string | null) => {
    const i = mainAggregations.indexOf(agg ?? "");
    return i < 0 ? mainAggregations.length : i;
  };
  const found =
    "id" in c
      ? chans.find((x) => x.channel_id === c.id)
      : chans.filter((x) => x.key === c.key && (c.agg === undefined || x.agg === c.agg)).sort((a, b) => rank(a.agg) - rank(b.agg))[0];
  // a channel's key and aggregation are null until the node's birth has arrived here: not yet a channel to read
  if (!found || found.key === null || found.agg === null) throw badParam(param, `node ${node} has no channel '${spec}'`);
  return found as ChannelRow & { key: string; agg: string };
}

async function latest(db: pg.Pool, site: string, node: string, now: number): Promise<LatestReply> {
  const chans = (await channelsOf(db, site, node)).filter((c) => c.key !== null && c.agg !== null);
  const iv = await db.query("SELECT interval_s FROM batches WHERE site = $1 AND node = $2 ORDER BY t0 DESC LIMIT 1", [site, node]);
  const interval_s = iv.rowCount ? Number(iv.rows[0].interval_s) : null;
  const out: LatestChannel[] = [];
  for (const c of chans) {
    const s = await db.query("SELECT ts, value, quality FROM samples WHERE site = $1 AND node = $2 AND channel_id = $3 ORDER BY ts DESC LIMIT 1", [site, node, c.channel_id]);
    const row = s.rows[0] as { ts: Date; value: number | null; quality: string } | undefined;
    const ts = row ? row.ts.getTime() : null;
    out.push({
      id: c.channel_id,
      key: c.key!,
      agg: c.agg!,
      unit: unitOf(c.key!),
      value: row ? row.value : null,
      quality: row ? row.quality : null,
      ts,
      stale: ts === null || interval_s === null || now - ts > 3 * interval_s * 1000,
    });
  }
  return { site, node, now, interval_s, channels: out };
}

async function series(db: pg.Pool, site: string, node: string, ch: ChannelRow & { key: string; agg: string }, from: number, to: number, points: number) {
  const w = Math.max(1, Math.ceil((to - from) / points));
  const r = await db.query(
    `SELECT floor((extract(epoch FROM ts) * 1000 - $4) / $6)::bigint AS b, count(value)::int AS n, avg(value) AS mean, min(value) AS min, max(value) AS max
     FROM samples WHERE site = $1 AND node = $2 AND channel_id = $3 AND ts >= to_timestamp($4 / 1000.0) AND ts < to_timestamp($5 / 1000.0)
     GROUP BY b ORDER BY b`,
    [site, node, ch.channel_id, from, to, w],
  );
  const pts = r.rows.map((p): HistoryPoint => ({ t: from + Number(p.b) * w, n: p.n, min: p.min, mean: p.mean, max: p.max }));
  return { channel: { id: ch.channel_id, key: ch.key, agg: ch.agg, unit: unitOf(ch.key) }, from, to, bucket_ms: w, source: "samples", points: pts };
}

async function history(db: pg.Pool, site: string, node: string, q: URLSearchParams, now: number) {
  const chans = await channelsOf(db, site, node);
  const ch = channelOf(chans, node, q.get("channel"), "channel");
  const { from, to, points } = historyParams(q, now);
  return { site, node, ...(await series(db, site, node, ch, from, to, points)) };
}

async function siteNodes(db: pg.Pool, site: string): Promise<{ node: string; online: boolean }[]> {
  const r = await db.query("SELECT node, coalesce(online, false) AS online FROM nodes WHERE site = $1 ORDER BY node", [site]);
  if (!r.rowCount) throw notFound(`no site ${site}`, "site");
  return r.rows;
}

export interface CentralApiOptions {
  pool: pg.Pool;
  token?: string;
  cors?: CorsOptions;
  now?: () => number;
  counters?: () => unknown;
  startedAt?: number;
}

type CentralCtx = Ctx<CentralApiOptions>;
const now = (ctx: CentralCtx) => (ctx.deps.now ?? Date.now)();
const nodeOf = (ctx: CentralCtx) => ({ site: id(ctx.params.site, "site"), node: id(ctx.params.node, "node") });

async function health(ctx: CentralCtx): Promise<void> {
  const t = now(ctx);
  let database = "ok";
  let counts = { n: 0, up: 0 };
  try {
    const r = await ctx.deps.pool.query("SELECT count(*)::int AS n, coalesce(sum(CASE WHEN online THEN 1 ELSE 0 END), 0)::int AS up FROM nodes");
    counts = r.rows[0];
  } catch {
    database = "error";
  }
  sendJson(ctx.res, database === "ok" ? 200 : 503, {
    status: database === "ok" ? "ok" : "degraded",
    version: programVersion(),
    now: t,
    uptime_s: Math.round((t - (ctx.deps.startedAt ?? t)) / 1000),
    database,
    broker: "none",
    nodes: counts.n,
    nodes_online: counts.up,
  });
}

/** The gateway's read paths, and this instance's ingest counters. */
export const centralRoutes: Route<CentralApiOptions>[] = [
  route("GET /api/sites", sitesDoc, async (ctx: CentralCtx) => sendJson(ctx.res, 200, await sites(ctx.deps.pool))),
  route("GET /api/sites/:site/nodes", nodesDoc, async (ctx: CentralCtx) => sendJson(ctx.res, 200, await nodes(ctx.deps.pool, id(ctx.params.site, "site"), now(ctx)))),
  route("GET /api/sites/:site/nodes/:node/latest", latestDoc, async (ctx: CentralCtx) => {
    const { site, node } = nodeOf(ctx);
    sendJson(ctx.res, 200, await latest(ctx.deps.pool, site, node, now(ctx)));
  }),
  route("GET /api/sites/:site/nodes/:node/history", historyDoc, async (ctx: CentralCtx) => {
    const { site, node } = nodeOf(ctx);
    sendJson(ctx.res, 200, await history(ctx.deps.pool, site, node, ctx.query, now(ctx)));
  }),
  route("GET /api/sites/:site/latest", siteLatestDoc, async (ctx: CentralCtx) => {
    const site = id(ctx.params.site, "site");
    const t = now(ctx);
    const out = [];
    for (const n of await siteNodes(ctx.deps.pool, site)) {
      const l = await latest(ctx.deps.pool, site, n.node, t);
      out.push({ node: n.node, online: n.online, interval_s: l.interval_s, channels: l.channels });
    }
    sendJson(ctx.res, 200, { site, now: t, nodes: out });
  }),
  route("GET /api/sites/:site/history", siteHistoryDoc, async (ctx: CentralCtx) => {
    const site = id(ctx.params.site, "site");
    const known = new Set((await siteNodes(ctx.deps.pool, site)).map((n) => n.node));
    const specs = seriesSpecs(ctx.query.get("series"));
    const { from, to, points } = historyParams(ctx.query, now(ctx));
    const out = [];
    for (const s of specs) {
      if (!known.has(s.node)) throw badParam("series", `site ${site} has no node '${s.node}'`);
      const ch = channelOf(await channelsOf(ctx.deps.pool, site, s.node), s.node, s.channel, "series");
      out.push({ node: s.node, ...(await series(ctx.deps.pool, site, s.node, ch, from, to, points)) });
    }
    sendJson(ctx.res, 200, { site, series: out });
  }),
  route("GET /api/health", healthDoc, health),
  route(
    "GET /api/openapi.json",
    { tag: "service", summary: "This API's OpenAPI 3.1 description, built from its route table", replies: { 200: { description: "the OpenAPI document", schema: { type: "object", required: ["openapi", "info", "paths"] } } } },
    (ctx: CentralCtx) => sendJson(ctx.res, 200, openApiDocument(centralRoutes, { title: "minigrid central API", version: programVersion(), token: ctx.deps.token !== undefined })),
  ),
  route(
    "GET /api/ingest",
    { tag: "service", summary: "This central instance's ingest counters", replies: { 200: { description: "messages, batches, duplicates, rejected by reason, database errors", schema: { type: "object" } } } },
    (ctx: CentralCtx) => sendJson(ctx.res, 200, ctx.deps.counters?.() ?? {}),
  ),
];

export function startCentralApi(o: CentralApiOptions, host: string, port: number): Promise<Server> {
  const deps = { ...o, startedAt: o.startedAt ?? Date.now() };
  const dispatch = dispatcher(centralRoutes, deps, { token: o.token, cors: o.cors, log: (l) => console.error("central api: " + l) });
  const server = createServer((req, res) => {
    const url = requestUrl(req, res);
    if (url) void dispatch(req, res, url);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve(server));
  });
}
