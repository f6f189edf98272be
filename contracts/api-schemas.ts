// The HTTP API's replies as JSON Schema (2020-12, the dialect of OpenAPI 3.1): what GET /api/openapi.json publishes
// and what the API tests validate real replies against. `obj<T>` takes one schema per field of the TypeScript
// type in gateway-api.ts, so a field added to a reply type without its schema does not compile, and
// `additionalProperties: false` makes a reply that carries an undeclared field fail the tests.
import type { AlarmRow, ConfigStateReply, HistoryPoint, LatestChannel, NodeStatus, SiteSummary } from "./gateway-api";

export type JsonSchema = { [k: string]: unknown };

export const str: JsonSchema = { type: "string" };
export const int: JsonSchema = { type: "integer" };
export const num: JsonSchema = { type: "number" };
export const bool: JsonSchema = { type: "boolean" };
export const anyObject: JsonSchema = { type: "object" };
/** Unix time, ms. */
export const ms: JsonSchema = { type: "integer", description: "Unix time, ms" };
export const nullable = (s: JsonSchema): JsonSchema => ({ ...s, type: [s.type as string, "null"] });
export const arrayOf = (items: JsonSchema): JsonSchema => ({ type: "array", items });
export const oneOfStrings = (values: readonly string[]): JsonSchema => ({ type: "string", enum: [...values] });

/** An object schema with one entry per field of T; every field required unless listed in `optional`. */
export function obj<T>(props: { [K in keyof T]-?: JsonSchema }, optional: (keyof T)[] = [], description?: string): JsonSchema {
  const keys = Object.keys(props) as (keyof T & string)[];
  return {
    type: "object",
    ...(description ? { description } : {}),
    additionalProperties: false,
    required: keys.filter((k) => !optional.includes(k)),
    properties: props,
  };
}

/** Loose object: fields listed, others allowed (replies whose extra fields are data, such as a node's settings). */
export function open(props: { [k: string]: JsonSchema }, required: string[] = []): JsonSchema {
  return { type: "object", required, properties: props };
}

export const errorReply: JsonSchema = obj<{ error: unknown }>({
  error: obj<{ code: string; message: string; param: string; errors: string[] }>(
    {
      code: { type: "string", description: "bad-parameter, bad-request, bad-json, unauthorized, not-found, method-not-allowed, too-large, busy, no-broker, internal" },
      message: str,
      param: { type: "string", description: "the parameter at fault" },
      errors: arrayOf(str),
    },
    ["param", "errors"],
  ),
});

export const siteSummary = obj<SiteSummary>({
  site: str,
  nodes: int,
  online: int,
  last_seen: nullable(ms),
  active_alarms: int,
  timezone: { type: "string", description: "the site's IANA time zone (default UTC)" },
});

export const nodeStatus = obj<NodeStatus>({
  node: str,
  online: bool,
  first_seen: nullable(ms),
  last_seen: nullable(ms),
  fw: nullable(str),
  board: nullable(str),
  boot: nullable(int),
  backlog: nullable(int),
  link_rssi: nullable(int),
  link_quality: { type: ["string", "null"], enum: ["good", "fair", "poor", null] },
  live_share_24h: nullable(num),
  clock_synced: { type: ["boolean", "null"], description: "null where it is not known (central)" },
  interval_s: nullable(num),
});

export const latestChannel = obj<LatestChannel>({
  id: int,
  key: str,
  agg: oneOfStrings(["mean", "min", "max", "last", "counter"]),
  unit: nullable(str),
  value: nullable(num),
  quality: { type: ["string", "null"], enum: ["o", "s", "e", "f", null] },
  ts: nullable(ms),
  stale: bool,
});

export const channelRef = obj<{ id: number; key: string; agg: string; unit: string | null }>({ id: int, key: str, agg: str, unit: nullable(str) });

export const historyPoint = obj<HistoryPoint>({ t: ms, n: int, min: nullable(num), mean: nullable(num), max: nullable(num) });

export const historySeries = {
  from: ms,
  to: ms,
  bucket_ms: int,
  source: { type: "string", description: '"samples" or the rollup level used, e.g. "rollup-10800000"' },
  points: arrayOf(historyPoint),
};

export const alarmRow = obj<AlarmRow>({
  id: int,
  site: str,
  node: str,
  rule: str,
  severity: oneOfStrings(["info", "warning", "critical"]),
  raised_at: ms,
  cleared_at: nullable(ms),
  acked_at: nullable(ms),
  acked_by: nullable(str),
  message: str,
  value: nullable(num),
});

export const commandRecord: JsonSchema = {
  type: "object",
  additionalProperties: false,
  required: ["id", "site", "node", "name", "args", "created_at", "expires_at", "acked_at", "ok", "result", "state"],
  properties: {
    id: str,
    site: str,
    node: str,
    name: oneOfStrings(["cfg", "time", "resend", "reboot"]),
    args: { type: ["object", "null"] },
    created_at: ms,
    expires_at: ms,
    acked_at: nullable(ms),
    ok: nullable(bool),
    result: {},
    state: oneOfStrings(["pending", "ok", "failed", "expired"]),
  },
};

export const desiredConfig: JsonSchema = obj<{ site: string; node: string; config: unknown; updated_at: number }>({ site: str, node: str, config: anyObject, updated_at: ms });

export const configState = obj<ConfigStateReply>({
  site: str,
  node: str,
  desired: { type: ["object", "null"] },
  desired_at: nullable(ms),
  applied: { type: ["object", "null"] },
  pending: arrayOf(str),
  refused: { type: ["object", "null"], additionalProperties: false, required: ["ts", "why"], properties: { ts: ms, why: str } },
  trial: { type: ["object", "null"], additionalProperties: false, required: ["ts", "ok"], properties: { ts: ms, ok: bool } },
});
