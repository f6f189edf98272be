// MQTT 3.1.1 control packets (OASIS standard, 29 October 2014): the encoders the node needs and a streaming
// decoder for what a broker sends to a client. Pure: strings in, strings and callbacks out.
//
// Bytes are Espruino "binary strings" (one char per byte, 0..255) both ways: that is what socket.write(str) takes
// and what require("net") 'data' events give on the interpreter (in Node: buf.toString("latin1")).
// Text: topics, the client id and the user name are UTF-8 strings on the wire (1.5.3). utf8() encodes them from
// UTF-16 code units; ASCII (everything the contract uses: mg/v1/<site>/<node>/...) goes through untouched. On an
// interpreter build without Unicode a string is already bytes, so non-ASCII there would be encoded twice: keep
// topics and ids ASCII. Payloads and the password are binary (3.3.3, 3.1.3.5) and are sent as given: a byte
// string, which the node's JSON is (ASCII). Incoming topics and payloads are delivered as the raw bytes received.

/** Packet types (2.2.1, Table 2.1) the client receives. */
export const CONNACK = 2;
export const PUBLISH = 3;
export const PUBACK = 4;
export const SUBACK = 9;
export const PINGRESP = 13;

/** PINGREQ (3.12) and DISCONNECT (3.14): fixed header only, remaining length 0. */
export const PINGREQ = "\xc0\x00";
export const DISCONNECT = "\xe0\x00";

/** CONNACK return codes (3.2.2.3, Table 3.1); 6..255 are reserved. */
const CONNACK_NAMES = [
  "accepted",
  "unacceptable protocol version",
  "identifier rejected",
  "server unavailable",
  "bad user name or password",
  "not authorized",
];

export function connackName(rc: number): string {
  return CONNACK_NAMES[rc] || "reserved";
}

/** Largest remaining length the spec allows (2.2.3): four length bytes. */
export const MQTT_MAX_REMAINING = 268435455;

/** Two bytes, most significant first (1.5.2). */
function u16(n: number): string {
  return String.fromCharCode((n >> 8) & 255, n & 255);
}

/** A length-prefixed field (1.5.3); `s` is already bytes. */
function field(s: string): string {
  return u16(s.length) + s;
}

/** Remaining length (2.2.3): 7 bits a byte, least significant group first, bit 7 = more bytes follow. */
function remLen(n: number): string {
  let s = "";
  do {
    let b = n % 128;
    n = (n - b) / 128;
    if (n > 0) b |= 128;
    s += String.fromCharCode(b);
  } while (n > 0);
  return s;
}

function frame(first: number, body: string): string {
  return String.fromCharCode(first) + remLen(body.length) + body;
}

/** True for a string that cannot be a topic name: empty, or with a wildcard or U+0000 in it ([MQTT-4.7.3-1],
 *  [MQTT-3.3.2-2], [MQTT-1.5.3-2]). Loops rather than a RegExp: the interpreter's RegExp engine is small. */
export function badTopic(t: string): boolean {
  if (!t) return true;
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c === 0x2b || c === 0x23 || c === 0) return true;
  }
  return false;
}

/** UTF-8 bytes of a string (1.5.3); ASCII comes out as it went in. A lone surrogate becomes three bytes. */
export function utf8(s: string): string {
  let o = "";
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) o += s.charAt(i);
    else if (c < 0x800) o += String.fromCharCode(0xc0 | (c >> 6), 0x80 | (c & 63));
    else {
      const d = s.charCodeAt(i + 1);
      if (c >= 0xd800 && c < 0xdc00 && d >= 0xdc00 && d < 0xe000) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
        o += String.fromCharCode(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
      } else o += String.fromCharCode(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    }
  }
  return o;
}

export interface MqttWill {
  topic: string;
  /** Will message: bytes (3.1.3.3). */
  msg: string;
  qos?: 0 | 1;
  retain?: boolean;
}

export interface MqttConnectFields {
  id: string;
  /** CleanSession (3.1.2.4); false keeps subscriptions and in-flight QoS 1 state across connections. */
  clean?: boolean;
  keepalive_s: number;
  will?: MqttWill;
  user?: string;
  /** Sent only with a user name [MQTT-3.1.2-22]. */
  pass?: string;
}

/** CONNECT (3.1): protocol name "MQTT", level 4 [MQTT-3.1.2-2], flags, keep alive, then the payload fields in
 *  the order client id, will topic, will message, user name, password [MQTT-3.1.3-1]. */
export function encodeConnect(o: MqttConnectFields): string {
  let flags = o.clean ? 2 : 0;
  let pay = field(utf8(o.id));
  const w = o.will;
  if (w) {
    // will flag, will QoS, will retain (3.1.2.5-3.1.2.7) [MQTT-3.1.2-9]
    flags |= 4 | ((w.qos || 0) << 3) | (w.retain ? 32 : 0);
    pay += field(utf8(w.topic)) + field(w.msg);
  }
  if (o.user != null) {
    flags |= 128;
    pay += field(utf8(o.user));
    if (o.pass != null) {
      flags |= 64;
      pay += field(o.pass);
    }
  }
  return frame(0x10, "\x00\x04MQTT\x04" + String.fromCharCode(flags) + u16(o.keepalive_s) + pay);
}

/** PUBLISH (3.3). A packet id only for QoS 1 [MQTT-2.3.1-5]; DUP only with QoS > 0 [MQTT-3.3.1-2]. */
export function encodePublish(topic: string, payload: string, qos: 0 | 1, retain: boolean, dup: boolean, id: number): string {
  const first = 0x30 | (qos && dup ? 8 : 0) | (qos << 1) | (retain ? 1 : 0);
  return frame(first, field(utf8(topic)) + (qos ? u16(id) : "") + payload);
}

/** The same PUBLISH with DUP set, for a re-delivery [MQTT-3.3.1-1] with the same packet id [MQTT-2.3.1-3]. */
export function markDup(pkt: string): string {
  return String.fromCharCode(pkt.charCodeAt(0) | 8) + pkt.substr(1);
}

/** PUBACK (3.4) for a QoS 1 PUBLISH received [MQTT-3.3.4-1]. */
export function encodePuback(id: number): string {
  return "\x40\x02" + u16(id);
}

/** SUBSCRIBE (3.8): fixed header flags 0010 [MQTT-3.8.1-1], every filter asking for QoS 1. */
export function encodeSubscribe(id: number, filters: string[]): string {
  let body = u16(id);
  for (let i = 0; i < filters.length; i++) body += field(utf8(filters[i])) + "\x01";
  return frame(0x82, body);
}

// ---- decoder ----

export interface MqttConnack {
  type: 2;
  /** Session present (3.2.2.2). */
  sp: boolean;
  rc: number;
}
export interface MqttPublish {
  type: 3;
  topic: string;
  payload: string;
  qos: 0 | 1;
  retain: boolean;
  dup: boolean;
  /** 0 for QoS 0. */
  id: number;
}
export interface MqttPuback {
  type: 4;
  id: number;
}
export interface MqttSuback {
  type: 9;
  id: number;
  /** One per filter: granted QoS 0..2, or 0x80 failure (3.9.3). */
  codes: number[];
}
export interface MqttPingresp {
  type: 13;
}
export type MqttPacket = MqttConnack | MqttPublish | MqttPuback | MqttSuback | MqttPingresp;

/**
 * Why a packet was refused. "length": a remaining length of more than four bytes; the stream cannot be framed
 * again, so everything up to reset() is dropped. "oversize": over the decoder's cap, skipped whole. The others
 * refuse one well-framed packet and the stream goes on: "flags" reserved or invalid fixed-header flags
 * [MQTT-2.2.2-2], "size" a remaining length wrong for the type, "topic" empty or wildcard topic name
 * [MQTT-3.3.2-2], "id" packet id 0 [MQTT-2.3.1-1], "code" a SUBACK code not in 3.9.3, "qos" a QoS 2 PUBLISH
 * (the client never subscribes above QoS 1, so a broker may not send one: 3.8.4), "type" a packet a broker
 * never sends to a client of ours.
 */
export type MqttReject = "length" | "oversize" | "flags" | "size" | "topic" | "id" | "code" | "qos" | "type";

export interface MqttDecoderCounters {
  bytes: number;
  packets: number;
  rejected: number;
  /** Bytes thrown away: oversize packets and everything after a framing loss. */
  dropped: number;
}

export interface MqttDecoder {
  /** Feed bytes as they come; packets split across chunks or several in one chunk are both fine. */
  push(chunk: string): void;
  /** A new connection: forget any partial packet and a framing loss. */
  reset(): void;
  readonly counters: MqttDecoderCounters;
}

function rd16(s: string, i: number): number {
  return (s.charCodeAt(i) << 8) | s.charCodeAt(i + 1);
}

/** One packet from its first byte and its body (the bytes after the remaining length), or why not. */
export function parsePacket(first: number, body: string): MqttPacket | MqttReject {
  const type = first >> 4;
  const fl = first & 15;
  const n = body.length;
  if (type === PUBLISH) {
    const qos = (fl >> 1) & 3;
    if (qos === 3 || (!qos && fl & 8)) return "flags"; // [MQTT-3.3.1-4], [MQTT-3.3.1-2]
    if (qos === 2) return "qos";
    if (n < 2) return "size";
    const tl = rd16(body, 0);
    const at = 2 + tl + (qos ? 2 : 0);
    if (at > n) return "size";
    const topic = body.substr(2, tl);
    if (badTopic(topic)) return "topic";
    const id = qos ? rd16(body, 2 + tl) : 0;
    if (qos && !id) return "id";
    return { type: 3, topic: topic, payload: body.substr(at), qos: qos as 0 | 1, retain: !!(fl & 1), dup: !!(fl & 8), id: id };
  }
  if (fl) return type === CONNACK || type === PUBACK || type === SUBACK || type === PINGRESP ? "flags" : "type";
  if (type === CONNACK) {
    if (n !== 2) return "size";
    const af = body.charCodeAt(0);
    if (af & 0xfe) return "flags"; // 3.2.2.1: bits 7-1 reserved, 0
    return { type: 2, sp: !!af, rc: body.charCodeAt(1) };
  }
  if (type === PUBACK) {
    if (n !== 2) return "size";
    const id = rd16(body, 0);
    return id ? { type: 4, id: id } : "id";
  }
  if (type === SUBACK) {
    if (n < 3) return "size";
    const codes: number[] = [];
    for (let i = 2; i < n; i++) {
      const c = body.charCodeAt(i);
      if (c > 2 && c !== 0x80) return "code";
      codes.push(c);
    }
    const id = rd16(body, 0);
    return id ? { type: 9, id: id, codes: codes } : "id";
  }
  if (type === PINGRESP) return n ? "size" : { type: 13 };
  return "type";
}

/**
 * Streaming decoder. `maxPacket` caps the remaining length of a packet kept in memory (default 2048 bytes: a
 * command or configuration for the node is far smaller). Never throws; every refusal is counted and reported.
 * The packet's bytes leave the buffer before onPacket runs, so a throwing callback loses nothing.
 */
export function createMqttDecoder(
  onPacket: (p: MqttPacket) => void,
  onReject?: (reason: MqttReject, first: number) => void,
  maxPacket?: number,
): MqttDecoder {
  const cap = maxPacket || 2048;
  const c: MqttDecoderCounters = { bytes: 0, packets: 0, rejected: 0, dropped: 0 };
  let buf = "";
  let skip = 0;
  let lost = false;

  function reject(r: MqttReject, first: number) {
    c.rejected++;
    if (onReject) onReject(r, first);
  }

  function push(chunk: string) {
    c.bytes += chunk.length;
    if (lost) {
      c.dropped += chunk.length;
      return;
    }
    if (skip) {
      const k = skip < chunk.length ? skip : chunk.length;
      skip -= k;
      c.dropped += k;
      chunk = chunk.substr(k);
    }
    buf += chunk;
    while (buf.length >= 2) {
      let len = 0;
      let mul = 1;
      let i = 1;
      let b: number;
      do {
        if (i >= buf.length) return;
        b = buf.charCodeAt(i++);
        len += (b & 127) * mul;
        mul *= 128;
      } while (b & 128 && i < 5);
      const first = buf.charCodeAt(0);
      if (b & 128) {
        lost = true;
        c.dropped += buf.length;
        buf = "";
        reject("length", first);
        return;
      }
      const total = i + len;
      if (len > cap) {
        const have = buf.length < total ? buf.length : total;
        c.dropped += have;
        skip = total - have;
        buf = buf.substr(have);
        reject("oversize", first);
        continue;
      }
      if (buf.length < total) return;
      const body = buf.substr(i, len);
      buf = buf.substr(total);
      const p = parsePacket(first, body);
      if (typeof p === "string") reject(p, first);
      else {
        c.packets++;
        onPacket(p);
      }
    }
  }

  return {
    push: push,
    reset: function () {
      buf = "";
      skip = 0;
      lost = false;
    },
    counters: c,
  };
}
