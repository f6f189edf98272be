// The node's MQTT 3.1.1 client. Why our own: the Espruino library's MQTT module has no will and never retransmits
// (shared/docs/espruino.md "The MQTT module"). What this one does:
// - connects with a will (the contract's `state` = "offline") and per-node credentials, CleanSession 0 by default so
//   the broker keeps our subscriptions and in-flight QoS 1 messages between connections (3.1.2.4);
// - QoS 1 publishes in a bounded window; each keeps its packet id until its PUBACK [MQTT-2.3.1-2/3] and calls its
//   own callback then; an unacknowledged one is sent again with DUP [MQTT-3.3.1-1] after `retry_s` and on every new
//   connection, with its original packet id, oldest first [MQTT-4.4.0-1] [MQTT-4.6.0-1];
// - keep alive: a PINGREQ before `keepalive_s` passes without sending [MQTT-3.1.2-23], or when nothing has come in
//   for that long; the connection is taken for dead when a CONNACK or a PINGRESP has not come in `wait_s`;
// - subscribes (QoS 1) on every connection whose CONNACK says no session is present (3.2.2.2), and on the first
//   one after start(); PUBLISH from the broker goes to onMessage, QoS 1 ones are PUBACKed [MQTT-3.3.4-1];
// - reconnects after exponential backoff with jitter: min(max, min * 2^failures) scaled by 0.5..1;
// - a publish while the connection is not up, or with the window full, returns false at once: the caller (the
//   flash queue) keeps the data and offers it again later. Nothing is buffered here beyond the window.
// Malformed packets from the broker are counted; only a loss of framing closes the connection (4.8): closing for a
// well-framed QoS 1 packet we refuse would only make the broker send it again on the next connection.
// Socket, clock, timers and randomness are injected (style.md 5); the defaults are the interpreter's.
import {
  badTopic,
  createMqttDecoder,
  DISCONNECT,
  encodeConnect,
  encodePuback,
  encodePublish,
  encodeSubscribe,
  markDup,
  MqttPacket,
  MqttWill,
  PINGREQ,
} from "./packets";

// The interpreter's clock, named here so that Node code importing this module type-checks too.
declare function getTime(): number;

/** A socket as require("net").connect gives it on the interpreter. */
export interface MqttSocket {
  write(data: string): unknown;
  end(): void;
  on(event: string, callback: (arg?: any) => void): void;
}

export type MqttConnectFn = (to: { host: string; port: number }, onConnect: () => void) => MqttSocket;

export interface MqttClientOptions {
  host: string;
  port: number;
  id: string;
  user?: string;
  pass?: string;
  will?: MqttWill;
  /** Default 60; 0 turns keep alive off (3.1.2.10). */
  keepalive_s?: number;
  /** Topic filters to subscribe to at QoS 1. */
  subs?: string[];
  /** CleanSession; default false. */
  clean?: boolean;
  /** QoS 1 publishes in flight at most; default 4. */
  window?: number;
  /** Seconds without PUBACK before a QoS 1 publish goes again with DUP; default 30. */
  retry_s?: number;
  /** Seconds to wait for CONNACK and for PINGRESP; default 10. */
  wait_s?: number;
  /** Reconnect delay before jitter: backoffMin_s * 2^failures, at most backoffMax_s; defaults 1 and 60. */
  backoffMin_s?: number;
  backoffMax_s?: number;
  /** Period of the housekeeping timer while connected; default 1 s. */
  tick_s?: number;
  /** Largest incoming packet kept (remaining length, bytes); default 2048. */
  maxPacket?: number;
  connect?: MqttConnectFn;
  /** Seconds, fractional (getTime). */
  time?: () => number;
  setTimeout?: (callback: () => void, ms: number) => any;
  clearTimeout?: (id: any) => void;
  /** Uniform in [0, 1). */
  rand?: () => number;
  onMessage?: (topic: string, payload: string) => void;
  /** The broker accepted us; `sessionPresent` from CONNACK. */
  onConnect?: (sessionPresent: boolean) => void;
  onDown?: (reason: string) => void;
}

export interface MqttCounters {
  /** Connections the broker accepted. */
  connects: number;
  /** Attempts that never reached an accepted CONNACK (refused, timed out, no route). */
  failures: number;
  /** Accepted connections that were lost. */
  drops: number;
  publishes: number;
  acks: number;
  retransmits: number;
  pings: number;
  /** PUBLISH packets received from the broker. */
  received: number;
  /** Malformed or refused packets from the broker. */
  rejected: number;
  /** SUBACKs with a failure code (0x80) for any filter. */
  subFails: number;
  /** Errors thrown by our own callbacks (onMessage, onAck...), caught and counted. */
  errors: number;
  bytesIn: number;
  bytesOut: number;
}

export interface MqttClient {
  start(): void;
  /** DISCONNECT (the broker then discards the will [MQTT-3.14.4-3]) and no more reconnects. */
  stop(): void;
  /** False when not connected, the window is full, or the topic is not a valid topic name. */
  publish(topic: string, payload: string, opts?: { qos?: 0 | 1; retain?: boolean }, onAck?: () => void): boolean;
  /** 0 down, 1 connecting (TCP or waiting for CONNACK), 2 up. */
  state(): number;
  /** QoS 1 publishes waiting for their PUBACK. */
  inflight(): number;
  /** Why the last connection ended or failed. */
  why(): string;
  readonly counters: MqttCounters;
}

/** One QoS 1 publish in flight: packet id, encoded packet, callback, time last sent. Short names: long-lived. */
interface Flight {
  i: number;
  p: string;
  c?: () => void;
  t: number;
}

export function createMqttClient(o: MqttClientOptions): MqttClient {
  const ka = o.keepalive_s == null ? 60 : o.keepalive_s;
  const win = o.window || 4;
  const retry = o.retry_s || 30;
  const wait = o.wait_s || 10;
  const bMin = o.backoffMin_s || 1;
  const bMax = o.backoffMax_s || 60;
  const tk = o.tick_s || 1;
  const clk = o.time || function () { return getTime(); };
  const st = o.setTimeout || function (f: () => void, ms: number) { return setTimeout(f, ms); };
  const ct = o.clearTimeout || function (t: any) { clearTimeout(t); };
  const rnd = o.rand || Math.random;
  const conn = o.connect || function (to: { host: string; port: number }, cb: () => void): MqttSocket {
    return require("net").connect(to, cb);
  };
  const c: MqttCounters = {
    connects: 0, failures: 0, drops: 0, publishes: 0, acks: 0, retransmits: 0, pings: 0,
    received: 0, rejected: 0, subFails: 0, errors: 0, bytesIn: 0, bytesOut: 0,
  };
  const q: Flight[] = [];
  let st8 = 0;
  let run = false;
  let sock: MqttSocket | undefined;
  let timer: any;
  let tickT: any;
  let fails = 0;
  let nid = 0;
  let subId = 0;
  let subd = false;
  let lastIn = 0;
  let lastOut = 0;
  let pingAt = 0;
  let openAt = 0;
  let raw = 0;
  let adj = 0;
  let why = "";

  const dec = createMqttDecoder(onPacket, function (r) {
    c.rejected++;
    if (r === "length") down("framing lost");
  }, o.maxPacket);

  function call(f: ((a?: any, b?: any) => void) | undefined, a?: any, b?: any) {
    if (!f) return;
    try {
      f(a, b);
    } catch {
      c.errors++;
    }
  }

  // Seconds that only move forward with real time: a step of the clock (setTime after a time sync) counts as no
  // time passing, so no ping, retransmission or timeout fires or stalls because of it. Calls come every tick_s
  // while connected; a longer gap only happens while down, when nothing timed is pending.
  function now(): number {
    const r = clk();
    const d = r - raw;
    raw = r;
    if (d < 0 || d > 5 * tk + 5) adj -= d;
    return r + adj;
  }

  function send(s: string) {
    if (!sock) return;
    c.bytesOut += s.length;
    lastOut = now();
    sock.write(s);
  }

  function nextId(): number {
    for (;;) {
      nid = (nid % 65535) + 1;
      if (nid !== subId && find(nid) < 0) return nid;
    }
  }

  function find(id: number): number {
    for (let i = 0; i < q.length; i++) if (q[i].i === id) return i;
    return -1;
  }

  function resend(e: Flight) {
    e.p = markDup(e.p);
    e.t = now();
    c.retransmits++;
    send(e.p);
  }

  function open() {
    timer = undefined;
    if (!run) return;
    st8 = 1;
    dec.reset();
    pingAt = 0;
    openAt = lastIn = lastOut = now();
    tickT = st(tick, tk * 1000);
    let s: MqttSocket;
    try {
      s = conn({ host: o.host, port: o.port }, function () {
        if (s === sock) send(encodeConnect({ id: o.id, clean: !!o.clean, keepalive_s: ka, will: o.will, user: o.user, pass: o.pass }));
      });
    } catch (e) {
      down("connect: " + e);
      return;
    }
    sock = s;
    s.on("data", function (d: string) {
      if (s !== sock) return;
      c.bytesIn += d.length;
      lastIn = now();
      pingAt = 0;
      dec.push(d);
    });
    s.on("close", function () {
      if (s === sock) down("closed");
    });
    s.on("error", function (e: any) {
      if (s === sock) down("error: " + (e && e.message ? e.message : e));
    });
  }

  function halt() {
    const s = sock;
    sock = undefined;
    if (tickT) ct(tickT);
    tickT = undefined;
    if (s) {
      try {
        s.end();
      } catch {
        // already closed
      }
    }
  }

  function down(reason: string) {
    if (st8 === 2) c.drops++;
    else if (st8 === 1) c.failures++;
    st8 = 0;
    why = reason;
    halt();
    call(o.onDown, reason);
    if (!run || timer) return;
    const d = Math.min(bMax, bMin * Math.pow(2, fails));
    if (fails < 30) fails++;
    timer = st(open, d * (0.5 + 0.5 * rnd()) * 1000);
  }

  function onPacket(p: MqttPacket) {
    if (p.type === 2) {
      if (st8 !== 1) return;
      // a refusal: the broker closes the connection [MQTT-3.2.2-5]. The code only (3.2.2.3): its name
      // (packets.ts connackName) is for people, who read it where the node's log is shown.
      if (p.rc) return down("refused: " + p.rc);
      st8 = 2;
      c.connects++;
      fails = 0;
      if (o.subs && o.subs.length && (!p.sp || !subd)) {
        subId = 0;
        subId = nextId();
        send(encodeSubscribe(subId, o.subs));
      }
      for (let i = 0; i < q.length; i++) resend(q[i]);
      call(o.onConnect, p.sp);
    } else if (p.type === 3) {
      c.received++;
      call(o.onMessage, p.topic, p.payload);
      if (p.qos) send(encodePuback(p.id));
    } else if (p.type === 4) {
      const i = find(p.id);
      if (i < 0) return;
      const e = q.splice(i, 1)[0];
      c.acks++;
      call(e.c);
    } else if (p.type === 9 && p.id === subId) {
      subId = 0;
      subd = p.codes.indexOf(0x80) < 0;
      if (!subd) c.subFails++;
    }
  }

  function tick() {
    tickT = st(tick, tk * 1000);
    const t = now();
    if (st8 === 1) {
      if (t - openAt >= wait) down("no CONNACK");
      return;
    }
    if (pingAt) {
      if (t - pingAt >= wait) return down("no PINGRESP");
    } else if (ka && (t - lastOut >= ka - tk || t - lastIn >= ka)) {
      send(PINGREQ);
      pingAt = t;
      c.pings++;
    }
    for (let i = 0; i < q.length; i++) if (t - q[i].t >= retry) resend(q[i]);
  }

  return {
    start: function () {
      if (run) return;
      run = true;
      fails = 0;
      open();
    },
    stop: function () {
      run = false;
      if (timer) ct(timer);
      timer = undefined;
      if (st8 === 2) send(DISCONNECT);
      st8 = 0;
      why = "stopped";
      halt();
    },
    publish: function (topic, payload, opts, onAck) {
      const qos = opts && opts.qos ? 1 : 0;
      if (st8 !== 2 || (qos && q.length >= win) || badTopic(topic)) return false;
      const id = qos ? nextId() : 0;
      const pkt = encodePublish(topic, payload, qos, !!(opts && opts.retain), false, id);
      if (qos) q.push({ i: id, p: pkt, c: onAck, t: now() });
      c.publishes++;
      send(pkt);
      return true;
    },
    state: function () { return st8; },
    inflight: function () { return q.length; },
    why: function () { return why; },
    counters: c,
  };
}
