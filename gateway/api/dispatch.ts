// One request through the API: the bearer token, the route, and every failure as {error: {code, message, param?}}.
// The gateway's API (server.ts) and central's (central/api.ts) both answer through it, so that the two agree on
// paths, parameters, errors and the token.
import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { ApiError, sendError } from "./http";
import { match, Route } from "./router";

export interface DispatchOptions {
  /** The bearer token every route asks for; none: open. */
  token?: string;
  /** Called for each request refused for a missing or wrong token (GET /metrics counts them). */
  onRefused?: () => void;
  log: (line: string) => void;
}

function tokenMatches(given: string, token: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A request handler for `routes`, their handlers given `deps`. */
export function dispatcher<D>(routes: Route<D>[], deps: D, o: DispatchOptions): (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> {
  return async (req, res, url) => {
    try {
      if (o.token !== undefined) {
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
      const m = match(routes, req.method ?? "GET", url.pathname);
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
