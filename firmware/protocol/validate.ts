// Checks of payloads from the wire (gateway side; pure, shared so that the firmware's tests use them too). Each
// returns a reason code on rejection: the gateway counts rejections by code (docs/design.md guarantee 6).
import { BatchPayload, BirthPayload, CommandPayload, AckPayload, EventPayload } from "./messages";

export type Checked<T> = { ok: true; value: T } | { ok: false; reason: string; detail: string };

function fail<T>(reason: string, detail: string): Checked<T> {
  return { ok: false, reason: reason, detail: detail };
}

function isInt(n: unknown): n is number {
  return typeof n === "number" && n === n && Math.floor(n) === n && n > -1e15 && n < 1e15;
}

export function parseJson(text: string): Checked<any> {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (e) {
    return fail("malformed", "not JSON: " + e);
  }
}

export function checkBirth(p: any): Checked<BirthPayload> {
  if (!p || typeof p !== "object") return fail("malformed", "birth is not an object");
  if (p.v !== 1) return fail("unknown-schema", "birth protocol version " + p.v + " is not 1");
  if (!isInt(p.boot) || p.boot < 0) return fail("malformed", "birth.boot must be a non-negative integer");
  if (!Array.isArray(p.ch) || p.ch.length === 0 || p.ch.length > 128) return fail("malformed", "birth.ch must list 1..128 channels");
  const seen: { [id: string]: boolean } = {};
  for (let i = 0; i < p.ch.length; i++) {
    const c = p.ch[i];
    if (!Array.isArray(c) || !isInt(c[0]) || typeof c[1] !== "string" || typeof c[2] !== "string" || !isInt(c[3]))
      return fail("malformed", "birth.ch[" + i + "] must be [id, key, aggregation, scale]");
    if (seen[c[0]]) return fail("malformed", "birth.ch repeats channel id " + c[0]);
    seen[c[0]] = true;
  }
  if (typeof p.fw !== "string" || typeof p.bd !== "string") return fail("malformed", "birth.fw and birth.bd must be strings");
  return { ok: true, value: p as BirthPayload };
}

/** A batch, checked against the channel count of the node's birth. */
export function checkBatch(p: any, channelCount: number): Checked<BatchPayload> {
  if (!p || typeof p !== "object") return fail("malformed", "batch is not an object");
  if (!isInt(p.b) || p.b < 0 || !isInt(p.s) || p.s < 0) return fail("malformed", "batch.b and batch.s must be non-negative integers");
  if (typeof p.t !== "number" || !(p.t >= 0)) return fail("malformed", "batch.t must be a non-negative number");
  if (p.ts !== 0 && p.ts !== 1) return fail("malformed", "batch.ts must be 0 or 1");
  if (p.ts === 1 && p.t < 946684800) return fail("bad-time", "batch.t is wall-clock time before 2000: refused, never stored");
  if (typeof p.i !== "number" || !(p.i > 0)) return fail("malformed", "batch.i must be a positive interval in seconds");
  if (!Array.isArray(p.r) || !Array.isArray(p.q) || p.r.length !== p.q.length || p.r.length === 0)
    return fail("malformed", "batch.r and batch.q must be arrays of the same non-zero length");
  for (let k = 0; k < p.r.length; k++) {
    const row = p.r[k];
    if (!Array.isArray(row) || row.length !== channelCount)
      return fail("schema-mismatch", "batch row " + k + " has " + (Array.isArray(row) ? row.length : "no") + " values; the birth lists " + channelCount + " channels");
    for (let j = 0; j < row.length; j++) if (row[j] !== null && !isInt(row[j])) return fail("malformed", "batch row " + k + " value " + j + " is not an integer or null");
    if (typeof p.q[k] !== "string" || p.q[k].length !== channelCount || !/^[osef]*$/.test(p.q[k]))
      return fail("malformed", "batch quality " + k + " must be " + channelCount + " letters of o/s/e/f");
  }
  if (p.m !== undefined && (!isInt(p.m) || p.m < 1)) return fail("malformed", "batch.m must be a positive integer");
  return { ok: true, value: p as BatchPayload };
}

export function checkEvent(p: any): Checked<EventPayload> {
  if (!p || typeof p !== "object" || typeof p.e !== "string" || !isInt(p.b) || typeof p.t !== "number")
    return fail("malformed", "event must have e (string), b (integer) and t (number)");
  return { ok: true, value: p as EventPayload };
}

export function checkCommand(p: any): Checked<CommandPayload> {
  if (!p || typeof p !== "object" || typeof p.id !== "string" || typeof p.c !== "string" || typeof p.x !== "number")
    return fail("malformed", "command must have id, c and x");
  if (p.c !== "cfg" && p.c !== "time" && p.c !== "resend" && p.c !== "reboot" && p.c !== "fw") return fail("unknown-command", "unknown command " + p.c);
  return { ok: true, value: p as CommandPayload };
}

export function checkAck(p: any): Checked<AckPayload> {
  if (!p || typeof p !== "object" || typeof p.id !== "string" || typeof p.ok !== "boolean") return fail("malformed", "ack must have id and ok");
  return { ok: true, value: p as AckPayload };
}
