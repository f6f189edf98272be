// A small router: "METHOD /path/:param" patterns to handlers, in the order given.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { ApiDeps } from "./deps";

export interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  params: { [name: string]: string };
  query: URLSearchParams;
  deps: ApiDeps;
}

export type Handler = (ctx: Ctx) => void | Promise<void>;

export interface Route {
  method: string;
  parts: string[];
  handler: Handler;
}

export function route(spec: string, handler: Handler): Route {
  const [method, path] = spec.split(" ");
  return { method, parts: path.split("/").slice(1), handler };
}

/** The route and its parameters for a method and path; "method" when only the method is wrong; undefined otherwise. */
export function match(routes: Route[], method: string, path: string): { route: Route; params: { [k: string]: string } } | "method" | undefined {
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
