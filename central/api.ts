// The central HTTP API: the gateway's read endpoints (gateway/api/routes-nodes.ts) over PostgreSQL, for every site,
// served by the gateway's API code: its router, parameters, errors ({error: {code, message, param?}}) and token
// check (gateway/api/dispatch.ts), and its reply types (contracts/gateway-api.ts).
//   GET /api/sites                                   sites with node counts, online nodes, last seen, active alarms
//   GET /api/sites/:site/nodes                       nodes of a site
//   GET /api/sites/:site/nodes/:node/latest          newest value of each channel
//   GET /api/sites/:site/nodes/:node/history?channel=ID|KEY&from=ms&to=ms&points=N   min/mean/max per bucket
//   GET /api/ingest                                  this instance's counters
// With a token set, every request needs `Authorization: Bearer <token>`.
import { createServer, type Server } from "node:http";
import type pg from "pg";
import { isValidId } from "../firmware/protocol/topics";
import { unitOf, type HistoryPoint, type LatestChannel } from "../contracts/gateway-api";
import { dispatcher } from "../gateway/api/dispatch";
import { ApiError, badParam, intParam, notFound, sendError, sendJson, timeParam } from "../gateway/api/http";
import { Ctx, route, Route } from "../gateway/api/router";

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
const ms = (v: Date | null) => (v ? v.getTime() : null);

function id(v: string, what: string): string {
  if (!isValidId(v)) throw badParam(what, `not a valid ${what} id`);
  return v;
}

async function sites(db: pg.Pool) {
  const r = await db.query(
    `SELECT n.site, count(*)::int AS nodes, sum(CASE WHEN n.online THEN 1 ELSE 0 END)::int AS online, max(n.last_seen) AS last_seen,
       (SELECT count(*)::int FROM alarms a WHERE a.site = n.site AND a.cleared_at IS NULL AND a.raised_at IS NOT NULL) AS active_alarms
     FROM nodes n GROUP BY n.site ORDER BY n.site`,
  );
  return { sites: r.rows.map((s) => ({ ...s, last_seen: ms(s.last_seen) })) };
}

async function nodes(db: pg.Pool, site: string) {
  const r = await db.query(
    `SELECT n.node, coalesce(n.online, false) AS online, n.first_seen, n.last_seen, n.fw, n.board, n.boot,
       (SELECT interval_s FROM batches b WHERE b.site = n.site AND b.node = n.node ORDER BY t0 DESC LIMIT 1) AS interval_s
     FROM nodes n WHERE n.site = $1 ORDER BY n.node`,
    [site],
  );
  if (!r.rowCount) throw notFound(`no site ${site}`, "site");
  return { site, nodes: r.rows.map((n) => ({ ...n, first_seen: ms(n.first_seen), last_seen: ms(n.last_seen), boot: num(n.boot) })) };
}

async function channelsOf(db: pg.Pool, site: string, node: string) {
  const r = await db.query("SELECT channel_id, key, agg, scale FROM channels WHERE site = $1 AND node = $2 ORDER BY channel_id", [site, node]);
  if (!r.rowCount) throw notFound(`no node ${node} at site ${site}`, "node");
  return r.rows as { channel_id: number; key: string | null; agg: string | null; scale: number }[];
}

async function latest(db: pg.Pool, site: string, node: string, now: number) {
  const chans = await channelsOf(db, site, node);
  const iv = await db.query("SELECT interval_s FROM batches WHERE site = $1 AND node = $2 ORDER BY t0 DESC LIMIT 1", [site, node]);
  const interval_s = iv.rowCount ? Number(iv.rows[0].interval_s) : null;
  // a channel's key and aggregation are null until the node's birth has arrived here
  const out: (Omit<LatestChannel, "key" | "agg"> & { key: string | null; agg: string | null })[] = [];
  for (const c of chans) {
    const s = await db.query("SELECT ts, value, quality FROM samples WHERE site = $1 AND node = $2 AND channel_id = $3 ORDER BY ts DESC LIMIT 1", [site, node, c.channel_id]);
    const row = s.rows[0] as { ts: Date; value: number | null; quality: string } | undefined;
    const ts = row ? row.ts.getTime() : null;
    out.push({
      id: c.channel_id,
      key: c.key,
      agg: c.agg,
      unit: c.key ? unitOf(c.key) : null,
      value: row ? row.value : null,
      quality: row ? row.quality : null,
      ts,
      stale: ts === null || interval_s === null || now - ts > 3 * interval_s * 1000,
    });
  }
  return { site, node, now, interval_s, channels: out };
}

async function history(db: pg.Pool, site: string, node: string, q: URLSearchParams, now: number) {
  const chans = await channelsOf(db, site, node);
  const spec = q.get("channel") ?? "";
  const ch = /^\d+$/.test(spec) ? chans.find((c) => c.channel_id === Number(spec)) : chans.find((c) => c.key === spec.split(":")[0] && (!spec.includes(":") || c.agg === spec.split(":")[1]));
  if (!ch) throw badParam("channel", `node ${node} has no channel '${spec}'`);
  const to = timeParam(q, "to", now);
  const from = timeParam(q, "from", to - 86_400_000);
  if (from >= to) throw badParam("from", "must be before to");
  const points = intParam(q, "points", 500, 1, 10_000);
  const w = Math.max(1, Math.ceil((to - from) / points));
  const r = await db.query(
    `SELECT floor((extract(epoch FROM ts) * 1000 - $4) / $6)::bigint AS b, count(value)::int AS n, avg(value) AS mean, min(value) AS min, max(value) AS max
     FROM samples WHERE site = $1 AND node = $2 AND channel_id = $3 AND ts >= to_timestamp($4 / 1000.0) AND ts < to_timestamp($5 / 1000.0)
     GROUP BY b ORDER BY b`,
    [site, node, ch.channel_id, from, to, w],
  );
  const pts = r.rows.map((p): HistoryPoint => ({ t: from + Number(p.b) * w, n: p.n, min: p.min, mean: p.mean, max: p.max }));
  return { site, node, channel: { id: ch.channel_id, key: ch.key, agg: ch.agg, unit: ch.key ? unitOf(ch.key) : null }, from, to, bucket_ms: w, source: "samples", points: pts };
}

export interface CentralApiOptions {
  pool: pg.Pool;
  token?: string;
  now?: () => number;
  counters?: () => unknown;
}

type CentralCtx = Ctx<CentralApiOptions>;
const now = (ctx: CentralCtx) => (ctx.deps.now ?? Date.now)();
const nodeOf = (ctx: CentralCtx) => ({ site: id(ctx.params.site, "site"), node: id(ctx.params.node, "node") });

/** The gateway's read paths, and this instance's ingest counters. */
export const centralRoutes: Route<CentralApiOptions>[] = [
  route("GET /api/sites", async (ctx: CentralCtx) => sendJson(ctx.res, 200, await sites(ctx.deps.pool))),
  route("GET /api/sites/:site/nodes", async (ctx: CentralCtx) => sendJson(ctx.res, 200, await nodes(ctx.deps.pool, id(ctx.params.site, "site")))),
  route("GET /api/sites/:site/nodes/:node/latest", async (ctx: CentralCtx) => {
    const { site, node } = nodeOf(ctx);
    sendJson(ctx.res, 200, await latest(ctx.deps.pool, site, node, now(ctx)));
  }),
  route("GET /api/sites/:site/nodes/:node/history", async (ctx: CentralCtx) => {
    const { site, node } = nodeOf(ctx);
    sendJson(ctx.res, 200, await history(ctx.deps.pool, site, node, ctx.query, now(ctx)));
  }),
  route("GET /api/ingest", (ctx: CentralCtx) => sendJson(ctx.res, 200, ctx.deps.counters?.() ?? {})),
];

export function startCentralApi(o: CentralApiOptions, host: string, port: number): Promise<Server> {
  const dispatch = dispatcher(centralRoutes, o, { token: o.token, log: (l) => console.error("central api: " + l) });
  const server = createServer((req, res) => {
    let url: URL;
    try {
      url = new URL(req.url ?? "/", "http://central");
    } catch {
      sendError(res, new ApiError(400, "bad-request", "the request's path is not a valid URL path"));
      return;
    }
    void dispatch(req, res, url);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve(server));
  });
}
