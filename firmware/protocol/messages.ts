// Payloads of the v1 contract (JSON: native C code on the interpreter; positional arrays of scaled integers keep
// batches small). Short keys because these objects live in a board's few thousand variables.
import { Aggregation } from "./channels";

/** Quality of one value (docs/design.md guarantee 5): ok, stale, estimated, failed (the sensor gave nothing, or a reading
 *  that cannot be true: plausible.ts). Zero never means missing. */
export type Quality = "o" | "s" | "e" | "f";
export const qualityNames: { [q: string]: string } = { o: "ok", s: "stale", e: "estimated", f: "failed" };

/** A channel as the birth message lists it: [id, key, aggregation, scale]. */
export type WireChannel = [number, string, Aggregation, number];

/** birth (retained): who the node is and what its batches mean. */
export interface BirthPayload {
  v: number; // protocol version
  fw: string; // firmware version
  bd: string; // board id
  boot: number; // boot counter
  rr: string; // reset reason
  cfh: number; // hash (CRC-32) of the configuration applied
  cfg: { [k: string]: any }; // configuration applied
  clk: 0 | 1; // 1 when the clock is synchronised
  up: number; // uptime, s
  ch: WireChannel[]; // channel table; batch rows follow this order
  qcap?: number; // flash queue capacity, page files
  qs?: number[]; // flash queue: [records queued, page files in use, page files created this boot, torn records skipped at boot]
  rssi?: number; // the network link's signal, dBm (Wi-Fi), when the node has one
  upd?: string; // why the last update over the air was rolled back (docs/updates.md), until an update proves itself
}

/**
 * t: one batch. Keyed by (site, node, boot, seq). Row k covers [t + k*i, t + (k+1)*i) seconds; `t` is wall-clock
 * Unix seconds when `ts` is 1, else seconds of uptime of boot `b`. `h` marks a historical (backlog) batch; `m`
 * (when > 1) says the rows are merged summaries of m original intervals each (docs/design.md guarantee 2).
 */
export interface BatchPayload {
  b: number; // boot
  s: number; // seq within the boot
  e?: number; // merged batches: the last seq covered (s..e)
  t: number; // time anchor, s
  ts: 0 | 1; // 1 = t is wall-clock time
  i: number; // row interval, s
  r: (number | null)[][]; // rows of scaled integers in channel-table order
  q: string[]; // per row, one quality letter per channel
  h?: 1; // historical
  m?: number; // merge factor
  ch?: number; // CRC-32 of the channel table the rows follow (so a batch from an older birth is recognised)
}

/** evt: device events (faults, low-voltage disconnect, reboot, sensor lost/found). */
export interface EventPayload {
  b: number;
  t: number;
  ts: 0 | 1;
  e: string; // event code, e.g. "sensor.lost", "lvd", "fault", "reboot", "queue.merged", "reading.implausible"
  d?: { [k: string]: any };
}

export type CommandName = "cfg" | "time" | "resend" | "reboot" | "fw";

/** cmd (never retained): `x` is the expiry in wall-clock Unix seconds; a node ignores an expired command. */
export interface CommandPayload {
  id: string;
  c: CommandName;
  x: number;
  a?: { [k: string]: any };
}

/** ack: the node's answer to a command. */
export interface AckPayload {
  id: string;
  ok: boolean;
  r?: any; // result, or the reason when ok is false
}

/** What an ack's `r` carries when ok: time -> {off} (wall - uptime, s), cfg -> {applied}, resend -> {queued}. */
export interface AckResult {
  off?: number;
  applied?: { [k: string]: any };
  queued?: number;
}

/** state (retained): "online", or "offline" from the node's will. */
export type StatePayload = "online" | "offline";

/** Largest payload a gateway accepts on any node topic, bytes. */
export const maxPayloadBytes = 16 * 1024;
