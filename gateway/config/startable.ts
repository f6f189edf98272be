// Checks of settings that the schema cannot express but the gateway would refuse at start: check-config runs them
// too, so that a file it accepts also starts (a bearer token off loopback, TLS files that can be read).
import { accessSync, constants } from "node:fs";
import type { GatewayConfig } from "./load";

export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\./.test(host);
}

function readable(path: string): string | undefined {
  try {
    accessSync(path, constants.R_OK);
    return undefined;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code ?? (e as Error).message;
  }
}

/** Raw keys that are refused with a specific fix before the schema is checked (the schema would only say "unknown"). */
export function misplacedKeys(raw: unknown): { errors: string[]; cleaned: unknown } {
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) return { errors: [], cleaned: raw };
  const r = { ...(raw as { [k: string]: unknown }) };
  const errors: string[] = [];
  if ("api" in r) {
    errors.push("api: the HTTP API's settings are the `http` section; move host, port and token under http (a set http.token is checked on every route)");
    delete r.api;
  }
  const http = r.http;
  if (http && typeof http === "object" && !Array.isArray(http) && "requireToken" in http) {
    errors.push("http.requireToken: remove it; set http.token instead: once set, the token is checked on every route, on loopback too");
    const h = { ...(http as { [k: string]: unknown }) };
    delete h.requireToken;
    r.http = h;
  }
  return { errors, cleaned: r };
}

export function checkStartable(config: GatewayConfig): string[] {
  const errors: string[] = [];
  const h = config.http;
  if (!isLoopback(h.host) && !h.token)
    errors.push(
      `http.token: is required when http.host is ${JSON.stringify(h.host)} (beyond this PC); set http.token to a random string of 16 characters or more, or http.host to 127.0.0.1`,
    );
  if (h.cors?.origins.includes("*") && !h.token)
    errors.push('http.cors.origins: "*" lets any web page read this API from a browser on this PC; set http.token, or list the origins that may call it');
  const tls = config.broker.tls;
  if (tls && config.broker.mode === "embedded") {
    for (const k of ["cert", "key", "ca"] as const) {
      const p = tls[k];
      const why = p === undefined ? undefined : readable(p);
      if (why) errors.push(`broker.tls.${k}: cannot read ${JSON.stringify(p)} (${why}); set broker.tls.${k} to a PEM file the gateway's user can read`);
    }
  }
  if (config.broker.mode === "embedded" && config.broker.port === h.port && (config.broker.host === h.host || [config.broker.host, h.host].includes("0.0.0.0")))
    errors.push(`http.port: ${h.port} is broker.port too; set http.port to another port (default 8080)`);
  return errors;
}
