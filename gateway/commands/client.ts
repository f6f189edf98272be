// The gateway API as the `minigrid node` commands use it: a token, a base URL, and JSON over fetch.
import type { CommandRecord, DesiredConfig } from "./service";

export interface ApiClient {
  /** Base URL of the gateway API, e.g. http://127.0.0.1:8080. */
  url: string;
  token?: string;
}

export class ApiRequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Every problem, when the gateway lists several (a refused configuration). */
    readonly errors?: string[],
  ) {
    super(message);
  }
}

export async function apiRequest(c: ApiClient, method: string, path: string, body?: unknown): Promise<any> {
  const headers: { [k: string]: string } = {};
  if (c.token) headers.authorization = "Bearer " + c.token;
  if (body !== undefined) headers["content-type"] = "application/json";
  let r: Response;
  try {
    r = await fetch(c.url.replace(/\/$/, "") + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new ApiRequestError(0, "unreachable", `cannot reach the gateway API at ${c.url}: ${(e as Error).cause ?? (e as Error).message}`);
  }
  const text = await r.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (!r.ok) {
    const err = json?.error;
    const errors = Array.isArray(err?.errors) ? (err.errors as unknown[]).map(String) : undefined;
    throw new ApiRequestError(r.status, err?.code ?? "http-" + r.status, err?.message ?? `HTTP ${r.status}: ${text.slice(0, 200)}`, errors);
  }
  return json;
}

/** key=value pairs to settings; a value that parses as JSON (30, true, [1,2], "x") is taken as such, else as text. */
export function parseSettings(pairs: string[]): { [k: string]: any } {
  const out: { [k: string]: any } = {};
  for (const p of pairs) {
    const i = p.indexOf("=");
    if (i <= 0) throw new RangeError(`'${p}' is not key=value`);
    const v = p.slice(i + 1);
    let parsed: any;
    try {
      parsed = JSON.parse(v);
    } catch {
      parsed = v;
    }
    out[p.slice(0, i)] = parsed;
  }
  return out;
}

function nodePath(site: string, node: string): string {
  return `/api/sites/${encodeURIComponent(site)}/nodes/${encodeURIComponent(node)}`;
}

export async function sendNodeCommand(c: ApiClient, site: string, node: string, name: string, args?: { [k: string]: any }, ttl_s?: number): Promise<CommandRecord> {
  const r = await apiRequest(c, "POST", nodePath(site, node) + "/commands", { c: name, a: args, ttl_s });
  return r.command as CommandRecord;
}

export async function getNodeCommand(c: ApiClient, site: string, node: string, id: string): Promise<CommandRecord> {
  return (await apiRequest(c, "GET", nodePath(site, node) + "/commands/" + encodeURIComponent(id))).command as CommandRecord;
}

/** Poll until the command is answered or expired, or timeout_ms passes; the last state seen. */
export async function waitForAnswer(c: ApiClient, site: string, node: string, id: string, timeout_ms: number, poll_ms = 250): Promise<CommandRecord> {
  const until = Date.now() + timeout_ms;
  for (;;) {
    const rec = await getNodeCommand(c, site, node, id);
    if (rec.state !== "pending" || Date.now() >= until) return rec;
    await new Promise((r) => setTimeout(r, poll_ms));
  }
}

/** Merge settings into the node's desired configuration (or replace it) and publish it. */
export async function setNodeConfig(c: ApiClient, site: string, node: string, settings: { [k: string]: any }, replace = false): Promise<DesiredConfig> {
  let current: { [k: string]: any } = {};
  if (!replace) {
    try {
      current = (await apiRequest(c, "GET", nodePath(site, node) + "/config")).config;
    } catch (e) {
      if (!(e instanceof ApiRequestError && e.status === 404 && e.message.includes("desired config"))) throw e;
    }
  }
  return (await apiRequest(c, "PUT", nodePath(site, node) + "/config", { config: { ...current, ...settings } })) as DesiredConfig;
}
