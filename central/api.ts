// The central HTTP API: the gateway's read endpoints (gateway/api/routes-nodes.ts) over PostgreSQL, for every site.
//   GET /api/sites                                   sites with node counts, online nodes, last seen, active alarms
//   GET /api/sites/:site/nodes                       nodes of a site
//   GET /api/sites/:site/nodes/:node/latest          newest value of each channel
//   GET /api/sites/:site/nodes/:node/history?channel=ID|KEY&from=ms&to=ms&points=N   min/mean/max per bucket
//   GET /api/ingest                                  this instance's counters
// With a token set, every request needs `Authorization: Bearer <token>`.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type pg from "pg";
import { isValidId } from "../firmware/protocol/topics";
import { unitOf } from "../contracts/gateway-api";

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
const ms = (v: Date | null) => (v ? v.getTime() : null);

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

function id(v: string, what: string): string {
  if (!isValidId(v)) throw new HttpError(400, "bad-param", `${what}: not a valid id`);
  return v;
}

function intParam(q: URLSearchParams, name: string, dflt: number, min: number, max: number): number {
  const v = q.get(name);
  if (v === null || v === "") return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new HttpError(400, "bad-param", `${name}: must be an integer ${min}..${max}`);
  return n;
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
  if (!r.rowCount) throw new HttpError(404, "site", `no site ${site}`);
  return { site, nodes: r.rows.map((n) => ({ ...n, first_seen: ms(n.first_seen), last_seen: ms(n.last_seen), boot: num(n.boot) })) };
}

async function channelsOf(db: pg.Pool, site: string, node: string) {
  const r = await db.query("SELECT channel_id, key, agg, scale FROM channels WHERE site = $1 AND node = $2 ORDER BY channel_id", [site, node]);
  if (!r.rowCount) throw new HttpError(404, "node", `no node ${node} at site ${site}`);
  return r.rows as { channel_id: number; key: string | null; agg: string | null; scale: number }[];
}

async function latest(db: pg.Pool, site: string, node: string, now: number) {
  const chans = await channelsOf(db, site, node);
  const iv = await db.query("SELECT interval_s FROM batches WHERE site = $1 AND node = $2 ORDER BY t0 DESC LIMIT 1", [site, node]);
  const interval_s = iv.rowCount ? Number(iv.rows[0].interval_s) : null;
  const out = [];
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
  if (!ch) throw new HttpError(400, "bad-param", `channel: node ${node} has no channel '${spec}'`);
  const to = intParam(q, "to", now, 0, 8.64e15);
  const from = intParam(q, "from", to - 86_400_000, 0, 8.64e15);
  if (from >= to) throw new HttpError(400, "bad-param", "from: must be before to");
  const points = intParam(q, "points", 500, 1, 10_000);
  const w = Math.max(1, Math.ceil((to - from) / points));
  const r = await db.query(
    `SELECT floor((extract(epoch FROM ts) * 1000 - $4) / $6)::bigint AS b, count(value)::int AS n, avg(value) AS mean, min(value) AS min, max(value) AS max
     FROM samples WHERE site = $1 AND node = $2 AND channel_id = $3 AND ts >= to_timestamp($4 / 1000.0) AND ts < to_timestamp($5 / 1000.0)
     GROUP BY b ORDER BY b`,
    [site, node, ch.channel_id, from, to, w],
  );
  const pts = r.rows.map((p) => ({ t: from + Number(p.b) * w, n: p.n, min: p.min, mean: p.mean, max: p.max }));
  return { site, node, channel: { id: ch.channel_id, key: ch.key, agg: ch.agg, unit: ch.key ? unitOf(ch.key) : null }, from, to, bucket_ms: w, source: "samples", points: pts };
}

export interface CentralApiOptions {
  pool: pg.Pool;
  token?: string;
  now?: () => number;
  counters?: () => unknown;
}

export async function handle(o: CentralApiOptions, req: IncomingMessage): Promise<{ status: number; body: unknown }> {
  const now = (o.now ?? Date.now)();
  if (o.token && req.headers.authorization !== `Bearer ${o.token}`) throw new HttpError(401, "token", "send Authorization: Bearer <token>");
  if (req.method !== "GET") throw new HttpError(405, "method", "only GET");
  const url = new URL(req.url ?? "/", "http://central");
  const p = url.pathname.split("/").slice(1).map(decodeURIComponent);
  if (p[0] !== "api") throw new HttpError(404, "path", "not found");
  if (p.length === 2 && p[1] === "sites") return { status: 200, body: await sites(o.pool) };
  if (p.length === 2 && p[1] === "ingest") return { status: 200, body: o.counters?.() ?? {} };
  if (p[1] === "sites" && p.length === 4 && p[3] === "nodes") return { status: 200, body: await nodes(o.pool, id(p[2], "site")) };
  if (p[1] === "sites" && p.length === 6 && p[3] === "nodes") {
    const site = id(p[2], "site");
    const node = id(p[4], "node");
    if (p[5] === "latest") return { status: 200, body: await latest(o.pool, site, node, now) };
    if (p[5] === "history") return { status: 200, body: await history(o.pool, site, node, url.searchParams, now) };
  }
  throw new HttpError(404, "path", "not found");
}

export function startCentralApi(o: CentralApiOptions, host: string, port: number): Promise<Server> {
  const server = createServer((req, res) => {
    handle(o, req).then(
      (r) => send(res, r.status, r.body),
      (e: Error) => {
        if (e instanceof HttpError) send(res, e.status, { error: { code: e.code, message: e.message } });
        else send(res, 500, { error: { code: "internal", message: e.message } });
      },
    );
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve(server));
  });
}
