// How a route of the HTTP API is described (RouteDoc: every route of gateway/api/router.ts carries one), and the
// descriptions of the routes that the gateway and central both serve, so that the two publish the same OpenAPI
// operations and their replies are checked against the same schemas.
import {
  arrayOf,
  bool,
  channelRef,
  historySeries,
  int,
  latestChannel,
  nodeStatus,
  nullable,
  num,
  obj,
  siteSummary,
  str,
  ms,
  type JsonSchema,
} from "./api-schemas";
import type { LatestChannel, LatestReply } from "./gateway-api";

/** The `:name` segments of a path pattern, as a union of names ("GET /a/:site/b/:node" -> "site" | "node"). */
export type PathParams<S extends string> = S extends `${string}:${infer P}/${infer Rest}` ? P | PathParams<`/${Rest}`> : S extends `${string}:${infer P}` ? P : never;

export interface QueryDoc {
  description: string;
  schema: JsonSchema;
  required?: boolean;
}

export interface ReplyDoc {
  description: string;
  /** The body's schema; for JSON, the default content type. */
  schema?: JsonSchema;
  /** Another content type than application/json (text/csv, text/event-stream, text/plain). */
  contentType?: string;
}

/** Error statuses a route answers with, besides those every route may give (401, 405, 500). */
export type ErrorStatus = 400 | 404 | 409 | 413 | 503;

interface RouteDocBase {
  summary: string;
  description?: string;
  /** Groups in the OpenAPI description (sites, alarms, commands, ...). */
  tag: string;
  query?: { [name: string]: QueryDoc };
  /** The JSON request body's schema (POST, PUT). */
  body?: JsonSchema;
  /** Success replies by status. */
  replies: { [status: number]: ReplyDoc };
  /** Error replies ({error: {code, message, param?}}) by status, with what causes each. */
  errors?: { [S in ErrorStatus]?: string };
  /** Answered without the bearer token (the health check). */
  open?: boolean;
  /** An event stream's events: the schema of each event's JSON data, by event name (x-events in OpenAPI). */
  events?: { [name: string]: JsonSchema };
}

/** A route's description; `params` has one sentence per path parameter of the pattern (P), and is absent without any. */
export type RouteDoc<P extends string = string> = RouteDocBase & ([P] extends [never] ? { params?: undefined } : { params: { [K in P]: string } });

export const siteParam = "the site id (1..32 lower-case letters, digits, '-' or '_')";
export const nodeParam = "the node id (1..32 lower-case letters, digits, '-' or '_')";

const time = (what: string): { description: string; schema: JsonSchema } => ({ description: `${what}: Unix ms, or ISO 8601 (2026-06-01T00:00:00Z)`, schema: { type: "string" } });

export const sitesDoc: RouteDoc<never> = {
  tag: "sites",
  summary: "Sites with node count, nodes online, last seen, open alarms and time zone",
  replies: { 200: { description: "the sites", schema: obj<{ sites: unknown }>({ sites: arrayOf(siteSummary) }) } },
};

export const nodesDoc: RouteDoc<"site"> = {
  tag: "sites",
  summary: "A site's nodes: online, firmware, board, boot, clock, backlog, link quality, report interval",
  params: { site: siteParam },
  replies: { 200: { description: "the nodes", schema: obj<{ site: unknown; nodes: unknown }>({ site: str, nodes: arrayOf(nodeStatus) }) } },
  errors: { 400: "a site id that is not valid", 404: "no such site" },
};

export const latestReply = obj<LatestReply>({ site: str, node: str, now: ms, interval_s: nullable(num), channels: arrayOf(latestChannel) });

export const latestDoc: RouteDoc<"site" | "node"> = {
  tag: "values",
  summary: "Newest value of each channel of a node, with unit, quality and a stale flag",
  params: { site: siteParam, node: nodeParam },
  replies: { 200: { description: "the newest values", schema: latestReply } },
  errors: { 400: "a site or node id that is not valid", 404: "no such node" },
};

export const historyQueryDoc = {
  from: time("start of the range (default: 24 h before `to`)"),
  to: time("end of the range (default: now)"),
  points: { description: "at most this many buckets, 1..10000 (default 500)", schema: { type: "integer", minimum: 1, maximum: 10000 } },
};

export const historyDoc: RouteDoc<"site" | "node"> = {
  tag: "values",
  summary: "One channel downsampled to min/mean/max per time bucket",
  params: { site: siteParam, node: nodeParam },
  query: { channel: { description: "a channel id (22), key (pv_W: its main aggregation) or key:agg (pv_W:max)", schema: { type: "string" }, required: true }, ...historyQueryDoc },
  replies: { 200: { description: "the buckets", schema: obj<{ site: unknown; node: unknown; channel: unknown; from: unknown; to: unknown; bucket_ms: unknown; source: unknown; points: unknown }>({ site: str, node: str, channel: channelRef, ...historySeries }) } },
  errors: { 400: "a bad or missing channel, from, to or points (`param` names it)", 404: "no such node" },
};

export const healthReply = obj<{ status: string; version: string; now: number; uptime_s: number; database: string; broker: string; nodes: number; nodes_online: number }>({
  status: { type: "string", enum: ["ok", "degraded"] },
  version: str,
  now: ms,
  uptime_s: num,
  database: { type: "string", enum: ["ok", "error"] },
  broker: { type: "string", description: "ok, down, or none (an API without a broker, central)" },
  nodes: int,
  nodes_online: int,
});

export const healthDoc: RouteDoc<never> = {
  tag: "service",
  summary: "Liveness for load balancers and monitors: answers without the token; 503 when the database does not answer",
  open: true,
  replies: { 200: { description: "up", schema: healthReply }, 503: { description: "the database does not answer", schema: healthReply } },
};

/** At most this many series in one GET /api/sites/:site/history (each is one query of at most about 10,000 rows). */
export const SERIES_MAX = 50;

/** One node of GET /api/sites/:site/latest. */
export interface SiteNodeLatest {
  node: string;
  online: boolean;
  interval_s: number | null;
  channels: LatestChannel[];
}

export const siteLatestReply = obj<{ site: unknown; now: unknown; nodes: unknown }>({
  site: str,
  now: ms,
  nodes: arrayOf(obj<SiteNodeLatest>({ node: str, online: bool, interval_s: nullable(num), channels: arrayOf(latestChannel) })),
});

export const siteHistoryReply = obj<{ site: unknown; series: unknown }>({
  site: str,
  series: arrayOf(obj<{ node: unknown; channel: unknown; from: unknown; to: unknown; bucket_ms: unknown; source: unknown; points: unknown }>({ node: str, channel: channelRef, ...historySeries })),
});

export const siteLatestDoc: RouteDoc<"site"> = {
  tag: "values",
  summary: "Newest value of every channel of every node of a site, in one request",
  params: { site: siteParam },
  replies: { 200: { description: "per node, its channels' newest values", schema: siteLatestReply } },
  errors: { 400: "a site id that is not valid", 404: "no such site" },
};

export const siteHistoryDoc: RouteDoc<"site"> = {
  tag: "values",
  summary: `Several channels (of one or several nodes) downsampled over the same range, at most ${SERIES_MAX} in one request`,
  params: { site: siteParam },
  query: {
    series: { description: "node:channel pairs, comma-separated; channel as in .../history (id, key or key:agg): n1:pv_W,n1:battery_V:min,n2:22", schema: { type: "string" }, required: true },
    ...historyQueryDoc,
  },
  replies: { 200: { description: "one series per pair, in the order asked", schema: siteHistoryReply } },
  errors: { 400: "a bad series, from, to or points (`param` names it)", 404: "no such site" },
};
