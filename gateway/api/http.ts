// Small HTTP helpers of the API: JSON replies, errors as {error: {code, message, param?}}, bodies and parameters.
import type { IncomingMessage, ServerResponse } from "node:http";
import { SERIES_MAX } from "../../contracts/api-routes";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly param?: string,
    /** Every problem, when there are several (a refused configuration). */
    readonly errors?: string[],
  ) {
    super(message);
  }
}

/** 400 naming the parameter at fault. */
export function badParam(param: string, message: string): ApiError {
  return new ApiError(400, "bad-parameter", param + ": " + message, param);
}

export function notFound(what: string, param?: string): ApiError {
  return new ApiError(404, "not-found", what, param);
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text), "cache-control": "no-store" });
  res.end(text);
}

export function sendError(res: ServerResponse, e: ApiError): void {
  const error: { code: string; message: string; param?: string; errors?: string[] } = { code: e.code, message: e.message };
  if (e.param) error.param = e.param;
  if (e.errors) error.errors = e.errors;
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, e.status, { error });
}

/** Read a JSON object body of at most maxBytes. */
export async function readJson(req: IncomingMessage, maxBytes = 64 * 1024): Promise<{ [k: string]: any }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > maxBytes) throw new ApiError(413, "too-large", "request body over " + maxBytes + " bytes");
    chunks.push(c as Buffer);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  if (text.trim() === "") return {};
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new ApiError(400, "bad-json", "body is not JSON: " + (e as Error).message, "body");
  }
  if (v === null || typeof v !== "object" || Array.isArray(v)) throw new ApiError(400, "bad-json", "body must be a JSON object", "body");
  return v as { [k: string]: any };
}

const isoTime = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,3})?)?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * A time: Unix ms (digits), or ISO 8601 (RFC 3339) as a date or a date and time; without an offset it is UTC, on any
 * host (Date.parse would take the host's zone for a date-time without one). NaN when it is neither.
 */
export function parseTime(s: string): number {
  if (/^-?\d{1,16}$/.test(s)) return Number(s);
  const m = isoTime.exec(s);
  if (!m) return NaN;
  const [, y, mo, d, h = "00", mi = "00", sec = "00", frac = "", zone = "Z"] = m;
  const offset = zone.toUpperCase() === "Z" ? "Z" : zone.length === 5 ? zone.slice(0, 3) + ":" + zone.slice(3) : zone;
  const t = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${sec}${frac}${offset}`);
  // Date.parse rolls 2026-02-30 over to March: refuse a day or an hour that does not exist
  const back = new Date(Date.parse(`${y}-${mo}-${d}T00:00:00Z`));
  if (!Number.isFinite(t) || back.getUTCDate() !== Number(d) || Number(h) > 23 || Number(mi) > 59 || Number(sec) > 59) return NaN;
  return t;
}

/** A time parameter (parseTime); `fallback` when absent; 400 naming the parameter otherwise. */
export function timeParam(q: URLSearchParams, name: string, fallback: number): number {
  const s = q.get(name);
  if (s === null || s === "") return fallback;
  const t = parseTime(s);
  if (!Number.isFinite(t)) throw badParam(name, `'${s}' is not a time (Unix ms or ISO 8601, e.g. 2026-06-01T00:00:00Z; UTC when no offset is given)`);
  return t;
}

/** from, to and points of a history query (the gateway's and central's): default the last 24 h and 500 points. */
export function historyParams(q: URLSearchParams, now: number): { from: number; to: number; points: number } {
  const to = timeParam(q, "to", now);
  const from = timeParam(q, "from", to - 86_400_000);
  if (from >= to) throw badParam("from", "must be before to");
  return { from, to, points: intParam(q, "points", 500, 1, 10_000) };
}

/** A channel as a parameter names it: an id ("22"), a key ("pv_W": its main aggregation) or key:agg ("pv_W:max"). */
export function channelSpec(spec: string | null, param = "channel"): { id: number } | { key: string; agg?: string } {
  if (spec === null || spec === "") throw badParam(param, "required: a channel id or key");
  if (/^\d+$/.test(spec)) return { id: Number(spec) };
  const [key, agg] = spec.split(":");
  return agg ? { key, agg } : { key };
}

/** An integer parameter within [min, max]; `fallback` when absent. */
export function intParam(q: URLSearchParams, name: string, fallback: number, min: number, max: number): number {
  const s = q.get(name);
  if (s === null || s === "") return fallback;
  const n = Number(s);
  if (!/^-?\d+$/.test(s) || n < min || n > max) throw badParam(name, `'${s}' must be an integer from ${min} to ${max}`);
  return n;
}

/** A boolean flag parameter: 1/true/yes or 0/false/no. */
export function flagParam(q: URLSearchParams, name: string): boolean {
  const s = q.get(name);
  if (s === null || s === "" || s === "0" || s === "false" || s === "no") return false;
  if (s === "1" || s === "true" || s === "yes") return true;
  throw badParam(name, `'${s}' must be 1 or 0`);
}


/** "n1:pv_W,n1:battery_V:min,n2:22": node and channel (id, key or key:agg) of each series. */
export function seriesSpecs(spec: string | null): { node: string; channel: string }[] {
  if (spec === null || spec.trim() === "") throw badParam("series", "required: node:channel pairs, comma-separated (n1:pv_W,n2:battery_V)");
  const out = spec.split(",").map((part) => {
    const s = part.trim();
    const i = s.indexOf(":");
    if (i <= 0 || i === s.length - 1) throw badParam("series", `'${s}' is not node:channel (e.g. n1:pv_W or n1:22)`);
    return { node: s.slice(0, i), channel: s.slice(i + 1) };
  });
  if (out.length > SERIES_MAX) throw badParam("series", `${out.length} series; at most ${SERIES_MAX} in one request`);
  return out;
}
