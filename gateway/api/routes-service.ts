// The service's own routes: health (no token), the live event stream, Prometheus metrics, and the OpenAPI
// description of the whole route table (routes.ts), built from the routes' own descriptions.
import { healthDoc } from "../../contracts/api-routes";
import { alarmRow, anyObject, arrayOf, channelRef, int, ms, nullable, num, obj, str, type JsonSchema } from "../../contracts/api-schemas";
import { stmt } from "../storage/db";
import { sendJson } from "./http";
import { renderMetrics } from "./metrics";
import { openApiDocument } from "./openapi";
import { Ctx, route, Route } from "./router";
import { programVersion } from "./version";

function health(ctx: Ctx): void {
  const now = ctx.deps.now();
  let database: "ok" | "error" = "ok";
  let nodes = 0;
  let online = 0;
  try {
    const r = stmt(ctx.deps.db, "SELECT COUNT(*) AS n, SUM(CASE WHEN online = 1 THEN 1 ELSE 0 END) AS up FROM nodes").get() as { n: number; up: number | null };
    nodes = r.n;
    online = r.up ?? 0;
  } catch {
    database = "error";
  }
  const broker = ctx.deps.brokerUp ? (ctx.deps.brokerUp() ? "ok" : "down") : "none";
  const status = database === "ok" && broker !== "down" ? "ok" : "degraded";
  sendJson(ctx.res, database === "ok" ? 200 : 503, {
    status,
    version: programVersion(),
    now,
    uptime_s: Math.round((now - (ctx.deps.startedAt ?? now)) / 1000),
    database,
    broker,
    nodes,
    nodes_online: online,
  });
}

/** Payloads of the event stream's events, by event name (published as x-events on GET /api/events). */
export const eventSchemas: { [name: string]: JsonSchema } = {
  "batch.stored": obj<{ site: unknown; node: unknown; boot: unknown; seq: unknown; rows: unknown; t0: unknown; interval_s: unknown; channels: unknown; samples: unknown }>({
    site: str,
    node: str,
    boot: int,
    seq: int,
    rows: int,
    t0: ms,
    interval_s: num,
    channels: arrayOf(channelRef),
    samples: arrayOf(
      obj<{ ts: unknown; values: unknown; quality: unknown }>({ ts: ms, values: arrayOf(nullable(num)), quality: { type: "string", description: "one letter per channel: o ok, s stale, e estimated, f failed, - none" } }),
    ),
  }),
  alarm: {
    type: "object",
    required: ["id", "site", "node", "rule", "severity", "state", "ts", "message", "value"],
    properties: { ...(alarmRow.properties as object), state: { type: "string", enum: ["raised", "cleared", "acked"] }, ts: ms },
  },
  "node.state": obj<{ site: unknown; node: unknown; online: unknown; reason: unknown }>({ site: str, node: str, online: { type: "boolean" }, reason: str }),
  command: { type: "object", required: ["command"], properties: { command: anyObject } },
};

export const serviceRoutes: Route[] = [
  route("GET /api/health", healthDoc, health),
  route(
    "GET /api/openapi.json",
    {
      tag: "service",
      summary: "This API's OpenAPI 3.1 description, built from its route table",
      replies: { 200: { description: "the OpenAPI document", schema: { type: "object", required: ["openapi", "info", "paths"] } } },
    },
    (ctx) => sendJson(ctx.res, 200, openApiDocument(ctx.deps.routes ?? [], { title: "minigrid gateway API", version: programVersion(), token: ctx.deps.tokenSet === true })),
  ),
  route(
    "GET /api/events",
    {
      tag: "service",
      summary: "Server-Sent Events: batch.stored (with the stored values), alarm, node.state, command",
      description: "Each event's data is JSON; its schema per event name is under x-events. A comment line every 15 s keeps proxies from closing the stream.",
      query: { access_token: { description: "the bearer token, for EventSource (which cannot set headers)", schema: { type: "string" } } },
      replies: { 200: { description: "the event stream", contentType: "text/event-stream", schema: { type: "string" } } },
      events: eventSchemas,
    },
    (ctx) => ctx.deps.live?.add(ctx.res),
  ),
  route(
    "GET /metrics",
    {
      tag: "service",
      summary: "Prometheus text: ingest, rejects, queues, nodes online, alarms; with http.metrics.channels, every channel's newest value",
      replies: { 200: { description: "Prometheus text exposition format 0.0.4", contentType: "text/plain", schema: { type: "string" } } },
    },
    (ctx) => {
      ctx.res.writeHead(200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" });
      ctx.res.end(renderMetrics(ctx.deps.db, ctx.deps.counters, { sseClients: ctx.deps.live?.count() ?? 0, httpRefused: ctx.deps.httpRefused, channels: ctx.deps.metricsChannels }, ctx.deps.now()));
    },
  ),
];
