// MQTT 3.1.1 control packets (OASIS standard, 29 October 2014): the encoders the node needs and a streaming
// decoder for what a broker sends to a client. Pure: strings in, strings and plain objects out.
//
// Bytes are Espruino "binary strings" (one char per byte, 0..255) both ways: that is what socket.write(str) takes
// and what require("net") 'data' events give on the interpreter (in Node: buf.toString("latin1")).
// Text fields (topics, client id, user name) are UTF-8 on the wire (1.5.3) and are taken here as bytes: on the
// board a string already is bytes, and everything the contract uses (mg/v1/<site>/<node>/...) is ASCII. A Node
// caller with non-ASCII text encodes it first with utf8(). Payloads and the password are binary (3.3.3, 3.1.3.5).
// Incoming topics and payloads are delivered as the raw bytes received.
//
// The board's bundle holds five functions of this file: field, frame, encodeConnect, encodePublish, nextPacket.
// The rest (encodePuback, encodeSubscribe, createMqttDecoder, utf8, names) serve Node code and tests only.

/** One byte per argument (a static function: it needs no `this`, on the interpreter either). */
const chr = String.fromCharCode;

/** PINGREQ (3.12) and DISCONNECT (3.14): fixed header only, remaining length 0. */
export const PINGREQ = "\xc0\x00";
export const DISCONNECT = "\xe0\x00";

/** A number: two bytes, most significant first (1.5.2). A string: its length so, then its bytes (1.5.3).
 *  Numbers are 0..65535 (packet ids, keep alive, lengths), so x >> 8 is a byte already. */
export function field(x: number | string): string {
  return typeof x === "number" ? chr(x >> 8, x & 255) : field(x.length) + x;
}

/** A packet: first byte of the fixed header (type and flags, 2.2.1-2.2.2), remaining length (2.2.3: 7 bits a
 *  byte, least significant group first, bit 7 = more bytes follow), then the variable header and payload. */
export function frame(first: number, body: string): string {
  let out = chr(first);
  let n = body.length;
  for (; n > 127; n >>= 7) out += chr((n & 127) | 128);
  return out + chr(n) + body;
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
  will?: MqttWill;
  user?: string;
  /** Sent only with a user name [MQTT-3.1.2-22]. An empty user name or password counts as none. */
  pass?: string;
}

/** CONNECT (3.1): protocol name "MQTT", level 4 [MQTT-3.1.2-2], flags, keep alive (3.1.2.10), then the payload
 *  fields in the order client id, will topic, will message, user name, password [MQTT-3.1.3-1]. */
export function encodeConnect(o: MqttConnectFields, keepalive_s: number): string {
  const w = o.will;
  let flags = o.clean ? 2 : 0;
  let payload = field(o.id);
  if (w) {
    // will flag, will QoS, will retain (3.1.2.5-3.1.2.7) [MQTT-3.1.2-9]
    flags |= 4 | ((w.qos as number) << 3) | (+!!w.retain << 5);
    payload += field(w.topic) + field(w.msg);
  }
  if (o.user) {
    flags |= 128;
    payload += field(o.user);
    if (o.pass) {
      flags |= 64;
      payload += field(o.pass);
    }
  }
  return frame(0x10, field("MQTT") + chr(4, flags) + field(keepalive_s) + payload);
}

/** PUBLISH (3.3). `flags` are the fixed header's (3.3.1): DUP 8, QoS << 1, RETAIN 1. A packet id only with
 *  QoS 1 [MQTT-2.3.1-5]; DUP only with QoS 1 [MQTT-3.3.1-2], set on a re-delivery [MQTT-3.3.1-1], which keeps
 *  the packet id of the first [MQTT-2.3.1-3]. */
export function encodePublish(topic: string, payload: string, flags: number, id: number): string {
  return frame(0x30 | flags, field(topic) + (flags & 6 ? field(id) : "") + payload);
}

/** PUBACK (3.4) for a QoS 1 PUBLISH received [MQTT-3.3.4-1]. */
export function encodePuback(id: number): string {
  return "\x40\x02" + field(id);
}

/** SUBSCRIBE (3.8): fixed header flags 0010 [MQTT-3.8.1-1], every filter asking for QoS 1. */
export function encodeSubscribe(id: number, filters: string[]): string {
  let body = field(id);
  for (let i = 0; i < filters.length; i++) body += field(filters[i]) + "\x01";
  return frame(0x82, body);
}

// ---- decoder ----

/**
 * Why a packet was refused, as nextPacket returns it. 1 "length": a remaining length of more than four bytes;
 * the stream cannot be framed again. 2 "oversize": over the cap, skipped whole as it arrives. 3 "malformed": a
 * well-framed packet that breaks the rules nextPacket checks, refused alone; the stream could go on, but it is a
 * protocol violation, on which the client closes the connection [MQTT-4.8.0-1].
 */
export const MQTT_REJECTS = ["", "length", "oversize", "malformed"];
export type MqttReject = "length" | "oversize" | "malformed";

/**
 * A broker's byte stream being read, and the last packet read from it. Long-lived on the board, hence the short
 * names; the fields of a packet are set by nextPacket and hold until the next call.
 */
export interface MqttRx {
  /** Bytes received and not read yet: append each chunk. */
  b: string;
  /** Bytes of an oversize packet still to skip as they come. */
  s: number;
  /** The first two bytes of the variable header, most significant first: the packet identifier (2.3.1) of a
   *  PUBACK, a SUBACK and a QoS 1 PUBLISH (0 for QoS 0); for CONNACK the acknowledge flags (bit 0 = session
   *  present, 3.2.2.2) times 256 plus the return code (3.2.2.3, Table 3.1). */
  i: number;
  /** PUBLISH: the topic name (left as it was by other packets). */
  t: string;
  /** PUBLISH: the payload; SUBACK: its return codes, one byte per filter, 0..2 or 0x80 failure (3.9.3). */
  d: string;
}

/**
 * Takes the next packet out of a broker's byte stream (`rx.b`); packets split across chunks or several in one
 * chunk are both fine. Returns the packet's first byte (type and flags, 2.2: 0x20 CONNACK, 0x30-0x3b PUBLISH
 * with DUP, QoS and RETAIN in its low bits, 0x40 PUBACK, 0x90 SUBACK, 0xd0 PINGRESP) with its fields in rx; or
 * a number from MQTT_REJECTS (1..3), the packet's bytes gone or, for oversize, going; or 0 when more bytes are
 * needed. After 1 (framing lost) the caller must drop the stream. A packet leaves the buffer before it is
 * returned, so a caller's throwing handler loses nothing. Never throws. `cap` is the largest remaining length
 * kept in memory.
 */
export function nextPacket(rx: MqttRx, cap: number): number {
  const k = Math.min(rx.s, rx.b.length);
  rx.s -= k;
  const b = (rx.b = rx.b.slice(k));
  // remaining length (2.2.3): at most four bytes, 7 bits each, least significant first
  let len = 0;
  let i = 1;
  let c = 128;
  while (c & 128) {
    if (i > 4) return 1;
    if (i >= b.length) return 0;
    c = b.charCodeAt(i);
    len += (c & 127) << (7 * i++ - 7);
  }
  if (len > cap) {
    rx.s = i + len;
    return 2;
  }
  if (b.length < i + len) return 0;
  rx.b = b.slice(i + len);
  const body = b.substr(i, len);
  const first = b.charCodeAt(0);
  const qos = (first >> 1) & 3;
  // NaN (a body shorter than two bytes) becomes 0 in the bit operations
  let id = (body.charCodeAt(0) << 8) | body.charCodeAt(1);
  let at = 2;
  if (first >> 4 === 3) {
    // PUBLISH (3.3): id is the topic length here; the topic, then the packet id for QoS 1 (3.3.2)
    at += id + 2 * qos;
    rx.t = body.substr(2, id);
    id = qos && ((body.charCodeAt(at - 2) << 8) | body.charCodeAt(at - 1));
    // QoS 0 or 1 (QoS 3 is malformed [MQTT-3.3.1-4]; we never subscribe above 1, so a broker may not send 2:
    // 3.8.4); DUP only with QoS 1 [MQTT-3.3.1-2]; topic and packet id within the packet; a packet id is not 0
    // [MQTT-2.3.1-1]; a topic name is not empty [MQTT-4.7.3-1] and has no wildcard [MQTT-3.3.2-2] nor U+0000
    // [MQTT-4.7.3-2]
    if (qos > 1 || (first & 8 && !qos) || at > len || (qos && !id) || !rx.t || /[+#\0]/.test(rx.t)) return 3;
  } else if (
    ({ 0x20: 2, 0x40: 2, 0x90: 3, 0xd0: 0 } as { [first: number]: number })[first] !== (first > 0x8f && len > 3 ? 3 : len) ||
    // CONNACK (3.2.2): acknowledge flags with bits 7-1 reserved, 0 (3.2.2.1); session present only with return
    // code 0 [MQTT-3.2.2-4]; return codes 0..5, 6..255 reserved (3.2.2.3): flags * 256 + code is 0..5 or 256
    (first === 0x20 && id > 5 && id !== 256) ||
    // PUBACK and SUBACK: a packet id is not 0 [MQTT-2.3.1-1]; SUBACK return codes are 0, 1, 2 or 0x80, the rest
    // reserved [MQTT-3.9.3-2]
    (first === 0x40 && !id) ||
    (first === 0x90 && (!id || /[^\0\x01\x02\x80]/.test(body.slice(2))))
  ) {
    // the others a broker sends a client, by first byte (fixed-header flags 0, 2.2.2 Table 2.2), with their
    // remaining length: CONNACK 2, PUBACK 2, SUBACK 3 or more, PINGRESP 0; anything else is refused (from 0x90
    // up, any length over 3 is read as 3: only SUBACK expects that)
    return 3;
  }
  rx.i = id;
  rx.d = body.slice(at);
  return first;
}

// ---- for Node callers (tests, bench, tools): not in the board's bundle ----

/** CONNACK return codes (3.2.2.3, Table 3.1); 6..255 are reserved. */
const CONNACK_NAMES = ["accepted", "unacceptable protocol version", "identifier rejected", "server unavailable", "bad user name or password", "not authorized"];

export function connackName(rc: number): string {
  return CONNACK_NAMES[rc] || "reserved";
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

/** A packet as createMqttDecoder reports it: nextPacket's result in one object. */
export interface MqttPacket {
  /** 2 CONNACK, 3 PUBLISH, 4 PUBACK, 9 SUBACK, 13 PINGRESP (2.2.1, Table 2.1). */
  type: number;
  /** As MqttRx.i. */
  id: number;
  /** PUBLISH: 0 or 1; else 0. */
  qos: number;
  topic: string;
  /** As MqttRx.d. */
  data: string;
}

export interface MqttDecoderCounters {
  bytes: number;
  packets: number;
  rejected: number;
  /** Bytes thrown away: oversize packets and everything after a framing loss. */
  dropped: number;
}

export interface MqttDecoder {
  /** Feed bytes as they come. */
  push(chunk: string): void;
  /** A new connection: forget any partial packet and a framing loss. */
  reset(): void;
  readonly counters: MqttDecoderCounters;
}

/** nextPacket as a push decoder with counters (the client on the board runs nextPacket's loop itself).
 *  `maxPacket` caps the remaining length kept in memory, default 2048 as on the board. */
export function createMqttDecoder(
  onPacket: (p: MqttPacket) => void,
  onReject?: (reason: MqttReject) => void,
  maxPacket?: number,
): MqttDecoder {
  const c: MqttDecoderCounters = { bytes: 0, packets: 0, rejected: 0, dropped: 0 };
  const rx: MqttRx = { b: "", s: 0, i: 0, t: "", d: "" };
  let lost = false;
  return {
    push(chunk: string) {
      c.bytes += chunk.length;
      if (lost) {
        c.dropped += chunk.length;
        return;
      }
      rx.b += chunk;
      for (let p = nextPacket(rx, maxPacket || 2048); p; p = nextPacket(rx, maxPacket || 2048)) {
        if (p > 3) {
          c.packets++;
          onPacket({ type: p >> 4, id: rx.i, qos: (p >> 1) & 3, topic: p >> 4 === 3 ? rx.t : "", data: rx.d });
          continue;
        }
        c.rejected++;
        if (p === 2) c.dropped += rx.s;
        if (p === 1) {
          lost = true;
          c.dropped += rx.b.length;
          rx.b = "";
        }
        if (onReject) onReject(MQTT_REJECTS[p] as MqttReject);
        if (lost) return;
      }
    },
    reset() {
      rx.b = "";
      rx.s = 0;
      lost = false;
    },
    counters: c,
  };
}
