// A small router: "METHOD /path/:param" patterns to handlers, in the order given. `D` is what the handlers work
// with: the gateway's ApiDeps (SQLite), or central's (PostgreSQL), which serves the same paths with this router.
// Every route carries its description (RouteDoc): what GET /api/openapi.json publishes (openapi.ts) and what the API
// tests check real replies against. route() cannot be called without one, and the description must name each path
// parameter of the pattern (a type error otherwise).
import type { IncomingMessage, ServerResponse } from "node:http";
import type { PathParams, RouteDoc } from "../../contracts/api-routes";
import type { ApiDeps } from "./deps";

export type { RouteDoc };

export interface Ctx<D = ApiDeps> {
  req: IncomingMessage;
  res: ServerResponse;
  params: { [name: string]: string };
  query: URLSearchParams;
  deps: D;
}

export type Handler<D = ApiDeps> = (ctx: Ctx<D>) => void | Promise<void>;

export interface Route<D = ApiDeps> {
  method: string;
  /** The pattern as written, e.g. "/api/sites/:site/nodes". */
  path: string;
  parts: string[];
  doc: RouteDoc;
  handler: Handler<D>;
}

export function route<S extends string, D = ApiDeps>(spec: S, doc: RouteDoc<PathParams<S>>, handler: Handler<D>): Route<D> {
  const [method, path] = spec.split(" ");
  return { method, path, parts: path.split("/").slice(1), doc: doc as RouteDoc, handler };
}

/** The route and its parameters for a method and path; "method" when only the method is wrong; undefined otherwise. */
export function match<D>(routes: Route<D>[], method: string, path: string): { route: Route<D>; params: { [k: string]: string } } | "method" | undefined {
  const parts = path.split("/").slice(1);
  let wrongMethod = false;
  for (const r of routes) {
    if (r.parts.length !== parts.length) continue;
    const params: { [k: string]: string } = {};
    let ok = true;
    for (let i = 0; i < parts.length && ok; i++) {
      const p = r.parts[i];
      if (p.startsWith(":")) {
        try {
          params[p.slice(1)] = decodeURIComponent(parts[i]);
        } catch {
          ok = false;
        }
      } else ok = p === parts[i];
    }
    if (!ok) continue;
    if (r.method !== method && !(r.method === "GET" && method === "HEAD")) {
      wrongMethod = true;
      continue;
    }
    return { route: r, params };
  }
  return wrongMethod ? "method" : undefined;
}

/** The methods a path answers to (for a CORS preflight's Access-Control-Allow-Methods). */
export function methodsOf<D>(routes: Route<D>[], path: string): string[] {
  const out = new Set<string>();
  for (const method of ["GET", "POST", "PUT", "DELETE", "PATCH"]) {
    const m = match(routes, method, path);
    if (m && m !== "method" && m.route.method === method) out.add(method);
  }
  return [...out];
}
