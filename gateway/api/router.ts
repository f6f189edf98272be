// A small router: "METHOD /path/:param" patterns to handlers, in the order given. `D` is what the handlers work
// with: the gateway's ApiDeps (SQLite), or central's (PostgreSQL), which serves the same paths with this router.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { ApiDeps } from "./deps";

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
  parts: string[];
  handler: Handler<D>;
}

export function route<D = ApiDeps>(spec: string, handler: Handler<D>): Route<D> {
  const [method, path] = spec.split(" ");
  return { method, parts: path.split("/").slice(1), handler };
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
