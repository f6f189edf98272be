// One request through the API: CORS, the bearer token, the route, and every failure as {error: {code, message,
// param?}}. The gateway's API (server.ts) and central's (central/api.ts) both answer through it, so that the two
// agree on paths, parameters, errors, CORS and the token.
import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { ApiError, sendError } from "./http";
import { match, methodsOf, Route } from "./router";

export interface CorsOptions {
  /** Origins allowed to call the API from a browser ("https://grafana.example.org"); "*" allows any. */
  origins: string[];
}

export interface DispatchOptions {
  /** The bearer token every route asks for (but those described `open`); none: open. */
  token?: string;
  /** Called for each request refused for a missing or wrong token (GET /metrics counts them). */
  onRefused?: () => void;
  /** Cross-origin requests from browsers (Fetch standard, "CORS protocol"); none: no CORS headers. */
  cors?: CorsOptions;
  log: (line: string) => void;
}

function tokenMatches(given: string, token: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The Origin when the settings allow it (the reply then names it in Access-Control-Allow-Origin). */
function allowedOrigin(req: IncomingMessage, cors: CorsOptions | undefined): string | undefined {
  const origin = req.headers.origin;
  if (!cors || typeof origin !== "string") return undefined;
  return cors.origins.includes("*") || cors.origins.includes(origin) ? origin : undefined;
}

/** A request handler for `routes`, their handlers given `deps`. */
export function dispatcher<D>(routes: Route<D>[], deps: D, o: DispatchOptions): (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> {
  return async (req, res, url) => {
    try {
      const origin = allowedOrigin(req, o.cors);
      if (origin) {
        res.setHeader("access-control-allow-origin", origin);
        res.setHeader("vary", "Origin");
        res.setHeader("access-control-expose-headers", "Location, Content-Disposition");
      }
      if (req.method === "OPTIONS" && o.cors) {
        // a preflight carries no token (Fetch standard: "CORS-preflight request" has no credentials); without CORS
        // settings OPTIONS is a method like any other (the token first, then 405), and tells nothing about the paths
        const methods = methodsOf(routes, url.pathname);
        if (methods.length === 0) throw new ApiError(404, "not-found", `no endpoint ${url.pathname}`);
        if (req.headers.origin !== undefined && !origin)
          throw new ApiError(403, "cors-origin", `origin ${req.headers.origin} is not allowed; add it to the API's CORS origins (gateway setting http.cors.origins)`);
        res.writeHead(204, {
          allow: [...methods, "OPTIONS"].join(", "),
          ...(origin
            ? { "access-control-allow-methods": [...methods, "OPTIONS"].join(", "), "access-control-allow-headers": "Authorization, Content-Type", "access-control-max-age": "600" }
            : {}),
        });
        res.end();
        return;
      }
      const m = match(routes, req.method ?? "GET", url.pathname);
      const open = m !== undefined && m !== "method" && m.route.doc.open === true;
      if (o.token !== undefined && !open) {
        const h = req.headers.authorization ?? "";
        // EventSource and download links cannot set headers: the event stream and CSV export also take ?access_token=
        const viaQuery = req.method === "GET" && (url.pathname === "/api/events" || url.pathname.endsWith("/export.csv")) ? url.searchParams.get("access_token") : null;
        const given = h.startsWith("Bearer ") ? h.slice(7) : viaQuery;
        if (given === null || !tokenMatches(given, o.token)) {
          o.onRefused?.();
          res.setHeader("www-authenticate", 'Bearer realm="minigrid"');
          throw new ApiError(401, "unauthorized", "a valid bearer token is required (Authorization: Bearer <token>)");
        }
      }
      if (m === "method") throw new ApiError(405, "method-not-allowed", `${req.method} is not allowed on ${url.pathname}`);
      if (!m) throw new ApiError(404, "not-found", `no endpoint ${url.pathname}`);
      await m.route.handler({ req, res, params: m.params, query: url.searchParams, deps });
    } catch (e) {
      if (e instanceof ApiError) sendError(res, e);
      else if (e instanceof RangeError) sendError(res, new ApiError(400, "bad-request", e.message));
      else {
        o.log(`${req.method} ${url.pathname} failed: ${(e as Error).stack ?? e}`);
        sendError(res, new ApiError(500, "internal", "internal error: " + (e as Error).message));
      }
    }
  };
}

/** The URL of a request, or a 400 reply when its target is not a valid path (both APIs). */
export function requestUrl(req: IncomingMessage, res: ServerResponse): URL | undefined {
  try {
    return new URL(req.url ?? "/", "http://api");
  } catch {
    sendError(res, new ApiError(400, "bad-request", "the request's path is not a valid URL path"));
    return undefined;
  }
}
