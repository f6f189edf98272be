// Small HTTP helpers of the API: JSON replies, errors as {error: {code, message, param?}}, bodies and parameters.
import type { IncomingMessage, ServerResponse } from "node:http";

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

/** A time parameter: Unix ms (digits) or an ISO 8601 date/time; `fallback` when absent. */
export function timeParam(q: URLSearchParams, name: string, fallback: number): number {
  const s = q.get(name);
  if (s === null || s === "") return fallback;
  const t = /^-?\d+$/.test(s) ? Number(s) : /^\d{4}-\d{2}-\d{2}/.test(s) ? Date.parse(s) : NaN;
  if (!Number.isFinite(t)) throw badParam(name, `'${s}' is not a time (Unix ms or ISO 8601, e.g. 2026-06-01T00:00:00Z)`);
  return t;
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
