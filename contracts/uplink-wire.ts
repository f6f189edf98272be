// The central contract: topics and payloads the gateway uplink (gateway/uplink/) publishes and `minigrid central`
// (central/) reads; both take it from here as equals.
//
//   mgc/v1/<site>/<node>/<kind>[z]     qos 1, never retained
//     kind t  stored batches of one node     b  a node's birth (channel table)
//          s  node state (online/offline)    a  alarms raised/cleared/acked (node "_gw" for site-wide ones)
//     a trailing "z": the payload is zlib deflate (RFC 1951, raw) of the JSON below.
//
// Payload (JSON): { "I": [item, ...] } and, for kind t, "c": channel ids and "x": their scales (value = raw / 10^x),
// shared by every batch of the message. Several stored batches share one message (uplink batching).
// A batch item keeps the node's own fields (firmware/protocol/messages.ts BatchPayload): b boot, s seq, t start of
// row 0 in wall-clock Unix seconds (the gateway has re-anchored uptime batches), i interval s, r rows of scaled
// integers, q per-row quality letters (absent: all "o"), h historical, m merge factor, e last seq merged.
// Version rule as for mg/v1: a change a v1 reader cannot ignore needs a new root.
//
//   mgc/v2/<site>/<node>/t             qos 1, never retained: batches in columns (contracts/uplink-columns.ts), binary,
//                                      possibly written against an earlier batch of the node (its "state")
// Only batches have a v2 form; births, states and alarms stay v1. Central reads both roots, so a fleet moves over
// one gateway at a time (uplink.format); central must be upgraded first.
import { deflateRawSync, inflateRawSync } from "node:zlib";
import { isValidId } from "../firmware/protocol/topics";
import { openColumns, type OpenedColumns } from "./uplink-columns";

export const centralRoot = "mgc/v1";
export const columnsRoot = "mgc/v2";
export type CentralKind = "t" | "b" | "s" | "a";
const kinds: CentralKind[] = ["t", "b", "s", "a"];

export interface BatchItem {
  b: number;
  s: number;
  t: number;
  i: number;
  r: (number | null)[][];
  q?: string[];
  h?: 1;
  m?: number;
  e?: number;
}
export interface BirthItem {
  boot: number;
  fw: string;
  bd: string;
  ch: [number, string, string, number][];
}
export interface StateItem {
  on: 0 | 1;
  r: string;
  t: number; // ms
}
export interface AlarmItem {
  id: number;
  rule: string;
  sev: string;
  st: "raised" | "cleared" | "acked";
  t: number; // ms
  msg: string;
  val: number | null;
}

export interface CentralMessage {
  site: string;
  node: string;
  kind: CentralKind;
  /** kind t: channel ids and scales the rows follow. */
  c?: number[];
  x?: number[];
  items: unknown[];
  /** An mgc/v2 batch message, opened: its items are decoded once the state it names is known (central/write.ts). */
  columns?: OpenedColumns;
}

export function centralTopic(site: string, node: string, kind: CentralKind, compressed: boolean): string {
  return `${centralRoot}/${site}/${node}/${kind}${compressed ? "z" : ""}`;
}

export function columnsTopic(site: string, node: string): string {
  return `${columnsRoot}/${site}/${node}/t`;
}

/** The subscriptions of one ingest group: instances with the same group share the messages (MQTT 5 4.8.2). */
export function sharedSubscriptions(group: string): string[] {
  return [`$share/${group}/${centralRoot}/#`, `$share/${group}/${columnsRoot}/#`];
}

export function encodeCentral(m: CentralMessage, compress: boolean): { topic: string; payload: Buffer } {
  const body = m.c ? { c: m.c, x: m.x, I: m.items } : { I: m.items };
  const json = Buffer.from(JSON.stringify(body), "utf8");
  // level 9: the payload is written once and the link is the scarce part
  return { topic: centralTopic(m.site, m.node, m.kind, compress), payload: compress ? deflateRawSync(json, { level: 9 }) : json };
}

export type Decoded = { ok: true; msg: CentralMessage } | { ok: false; reason: string; detail: string };

/** Parse a topic and payload; a clear rejection (never a throw) for anything that is not a v1 central message. */
export function decodeCentral(topic: string, payload: Buffer, maxInflated = 16 * 1024 * 1024): Decoded {
  const parts = topic.split("/");
  const root = parts[0] + "/" + parts[1];
  if (parts.length !== 5 || (root !== centralRoot && root !== columnsRoot)) return { ok: false, reason: "topic", detail: `not ${centralRoot}|${columnsRoot}/<site>/<node>/<kind>: ${topic}` };
  const [, , site, node, leaf] = parts;
  if (!isValidId(site) || !isValidId(node)) return { ok: false, reason: "topic", detail: `bad site or node id in ${topic}` };
  if (root === columnsRoot) {
    if (leaf !== "t") return { ok: false, reason: "topic", detail: `${columnsRoot} has batches (t) only: ${topic}` };
    try {
      return { ok: true, msg: { site, node, kind: "t", items: [], columns: openColumns(payload, maxInflated) } };
    } catch (e) {
      return { ok: false, reason: "columns", detail: (e as Error).message };
    }
  }
  const z = leaf.length === 2 && leaf[1] === "z";
  const kind = leaf[0] as CentralKind;
  if (kinds.indexOf(kind) < 0 || (leaf.length === 2 && !z) || leaf.length > 2) return { ok: false, reason: "topic", detail: `unknown kind ${leaf}` };
  let text: string;
  try {
    text = (z ? inflateRawSync(payload, { maxOutputLength: maxInflated }) : payload).toString("utf8");
  } catch (e) {
    return { ok: false, reason: "inflate", detail: (e as Error).message };
  }
  let body: { I?: unknown; c?: unknown; x?: unknown };
  try {
    body = JSON.parse(text);
  } catch (e) {
    return { ok: false, reason: "json", detail: (e as Error).message };
  }
  if (!body || typeof body !== "object" || !Array.isArray(body.I)) return { ok: false, reason: "shape", detail: "no item list I" };
  const msg: CentralMessage = { site, node, kind, items: body.I };
  if (kind === "t") {
    if (!isIntList(body.c) || !isIntList(body.x) || body.c.length !== body.x.length) return { ok: false, reason: "shape", detail: "batches need c and x of equal length" };
    msg.c = body.c;
    msg.x = body.x;
  }
  return { ok: true, msg };
}

function isIntList(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((n) => typeof n === "number" && Number.isInteger(n));
}

/** A batch item is well formed for channel count n (rows of n numbers or nulls). */
export function isBatchItem(v: unknown, n: number): v is BatchItem {
  const b = v as BatchItem;
  if (!b || typeof b !== "object") return false;
  if (![b.b, b.s, b.t, b.i].every((x) => typeof x === "number" && Number.isFinite(x)) || b.i <= 0) return false;
  if (!Array.isArray(b.r) || !b.r.every((row) => Array.isArray(row) && row.length === n)) return false;
  if (b.q !== undefined && (!Array.isArray(b.q) || b.q.length !== b.r.length)) return false;
  return true;
}
