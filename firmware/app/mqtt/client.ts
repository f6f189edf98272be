// The node's MQTT 3.1.1 client. Why our own: the Espruino library's MQTT module has no will and never retransmits
// (docs/espruino.md "The MQTT module"). What this one does:
// - connects with a will (the contract's `state` = "offline") and per-node credentials, CleanSession 0 by default so
//   the broker keeps our subscriptions and in-flight QoS 1 messages between connections (3.1.2.4);
// - QoS 1 publishes in a bounded window; each keeps its packet id until its PUBACK [MQTT-2.3.1-2/3] and calls its
//   own callback then; on every new connection everything unacknowledged is sent again with DUP [MQTT-3.3.1-1],
//   its original packet id, oldest first [MQTT-4.4.0-1] [MQTT-4.6.0-1]. That re-delivery is the one 4.4 requires;
//   within a connection TCP loses nothing, and the gateway holds PUBACKs until its commit (docs/design.md guarantee 1),
//   so a timed re-send there would only duplicate. A PUBACK that has not come in 30 s ends the connection instead;
// - keep alive: a PINGREQ when nothing has come in for `keepalive_s` (which bounds our own silence too, see tick);
//   the connection is taken for dead when a CONNACK or a PINGRESP has not come in 10 s;
// - subscribes (QoS 1) on every connection whose CONNACK says no session is present (3.2.2.2), and on the first
//   one after start(); PUBLISH from the broker goes to onMessage, QoS 1 ones are PUBACKed [MQTT-3.3.4-1];
// - reconnects after exponential backoff with jitter: min(60 s, 1 s * 2^failures) scaled by 0.5..1;
// - a publish while the connection is not up, or with the window full, returns false at once: the caller (the
//   flash queue) keeps the data and offers it again later. Nothing is buffered here beyond the window.
// Malformed packets from the broker are counted and close the connection: a protocol violation [MQTT-4.8.0-1]
// (a broken broker or bytes damaged on the way; the next connection starts from a clean stream). A packet over
// our size cap is no violation: it is skipped and counted, and the connection stays.
// The socket and randomness are injected (docs/style.md 5); timers are the interpreter's (tests fake them).
//
// Written for the interpreter: eight functions here and five in packets.ts (each definition costs variables for as
// long as the program runs), one timer, one handler for every socket event, no object per received packet, and an
// in-flight entry that refers to the caller's topic and payload strings instead of holding a copy of the packet.
import { encodeConnect, encodePublish, field, frame, MqttConnectFields, MqttRx, nextPacket } from "./packets";

/** A socket as require("net").connect gives it on the interpreter. */
export interface MqttSocket {
  write(data: string): unknown;
  end(): void;
  on(event: string, callback: (arg?: any) => void): void;
}

export type MqttConnectFn = (to: { host: string; port: number }, onConnect: () => void) => MqttSocket;

export interface MqttClientOptions extends MqttConnectFields {
  host: string;
  port: number;
  /** Keep alive (3.1.2.10); 0 turns it off. */
  keepalive_s: number;
  /** Topic filters to subscribe to at QoS 1; when given, at least one [MQTT-3.8.3-3]. */
  subs?: string[];
  /** QoS 1 publishes in flight at most. */
  window: number;
  connect?: MqttConnectFn;
  /** Uniform in [0, 1). */
  rand?: () => number;
  onMessage: (topic: string, payload: string) => void;
  /** The broker accepted us; `sessionPresent` from CONNACK. */
  onConnect: (sessionPresent: boolean) => void;
  /**
   * The connection ended or an attempt failed, and why: 1..255 the broker refused us with that CONNACK return
   * code (3.2.2.3: 4 bad user name or password, 5 not authorized); 0 the socket closed or failed; -1 no CONNACK
   * within 10 s; -2 no PINGRESP within 10 s; -3 framing lost (a remaining length of more than four bytes);
   * -4 no PUBACK within 30 s for the oldest publish in flight; -5 stop(); -6 a malformed packet (packets.ts
   * nextPacket: a protocol violation, 4.8).
   */
  onDown?: (why: number) => void;
}

/**
 * The client's counters, by index (a flat list costs a board less than an object with named fields): rejected
 * (malformed, oversize or unframable packets from the broker: nextPacket's refusals), subFails (SUBACKs refusing a filter, 0x80), errors (thrown by
 * our own callbacks onConnect, onMessage, onAck: caught and counted). Connections, failures and drops are seen
 * through onConnect and onDown.
 */
export const MQTT_COUNTERS = ["rejected", "subFails", "errors"];

export interface MqttClient {
  start(): void;
  /** DISCONNECT (the broker then discards the will [MQTT-3.14.4-3]) and no more reconnects. */
  stop(): void;
  /** False when not connected, the window is full, the next packet id is still in flight (after 65,534 later
   *  publishes), or the topic is not a valid topic name. */
  publish(topic: string, payload: string, opts?: { qos?: 0 | 1; retain?: boolean }, onAck?: () => void): boolean;
  /** 0 down, 1 connecting (TCP or waiting for CONNACK), 2 up. */
  state(): number;
  /** Indexed as MQTT_COUNTERS names them. */
  readonly counters: number[];
}

/** One QoS 1 publish in flight: packet id, topic, payload, PUBLISH flags (QoS 1 and RETAIN), callback, when
 *  last sent (s). */
interface Flight {
  i: number;
  t: string;
  p: string;
  f: number;
  c?: () => void;
  s: number;
}

export function createMqttClient(o: MqttClientOptions): MqttClient {
  const ka = o.keepalive_s;
  // rejected, subFails, errors (MQTT_COUNTERS)
  const c = [0, 0, 0];
  const q: Flight[] = [];
  const rx = { b: "", s: 0 } as MqttRx;
  /** 0 down, 1 connecting, 2 up. */
  let up = 0;
  let run = false;
  let sock: MqttSocket | undefined;
  /** The one timer: the 1 s tick while connecting or up, the reconnect delay while down. */
  let timer: any;
  /** Connection number: events of a socket given up carry an older one and are ignored. */
  let gen = 0;
  let fails = 0;
  let lastId = 0;
  let subscribed = false;
  // Time in seconds is the count of ticks: setTime() (a time sync) cannot step it, so no ping, retransmission or
  // timeout fires early or stalls because of one. Events between ticks take the time of the last tick.
  let now = 0;
  /** When the last bytes came in: see tick. */
  let lastIn = 0;
  /** When we began to wait for a reply that ends the connection if it has not come in 10 s: CONNACK, PINGRESP. */
  let waitAt = 0;

  function down(why: number) {
    up = 0;
    gen++;
    // (a socket given up stays in `sock`, unused, until the next connection: ending it twice is harmless)
    if (sock) sock.end();
    if (timer) clearTimeout(timer);
    // 1 s << failures, at most 60 s, scaled by 0.5..1: in ms, 500 << failures (at most 30,000) times 1..2
    timer = run && setTimeout(tick, Math.min(3e4, 500 << fails) * (1 + (o.rand || Math.random)()));
    if (fails < 6) fails++;
    if (o.onDown) o.onDown(why);
  }

  // Every second while connecting or up, and once at the end of each reconnect delay: opens the connection,
  // times out the CONNACK, the PINGRESP and the oldest PUBACK, sends PINGREQ.
  function tick() {
    timer = setTimeout(tick, 1000);
    const t = ++now;
    if (!up) {
      up = 1;
      rx.b = "";
      rx.s = 0;
      waitAt = lastIn = t;
      try {
        // The options carry host and port; net.connect is a static function on the interpreter, it needs no
        // `this`. An "error" is always followed by a "close" (on the interpreter and in Node); if one ever were
        // not, the CONNACK or PINGRESP timeout would end the connection.
        const data = onSocket.bind(0, gen, 0);
        sock = (o.connect || require("net").connect)(o, data);
        sock!.on("data", data);
        sock!.on("close", onSocket.bind(0, gen, 1));
      } catch {
        down(0);
      }
    } else if (waitAt) {
      // no CONNACK (3.1.4) or no PINGRESP (3.1.2.10) in 10 s: -1 or -2
      if (t - waitAt >= 10) down(-up);
    } else if (q[0] && t - q[0].s >= 30) {
      // the oldest publish in flight has had no PUBACK in 30 s: the link is taken for dead, and the next
      // connection sends everything in flight again (4.4)
      down(-4);
    } else if (ka && t - lastIn >= ka - 1) {
      // Keep alive (3.1.2.10): a PINGREQ when nothing has come in for keepalive_s less a tick. That bounds the
      // time between two packets we send too [MQTT-3.1.2-23]: everything a broker sends us but a QoS 0 PUBLISH
      // answers a packet of ours or is answered (PUBACK), and the node subscribes at QoS 1 to topics the gateway
      // publishes at QoS 1 (docs/design.md, the contract).
      sock!.write("\xc0\x00"); // PINGREQ (3.12)
      waitAt = t;
    }
  }

  // The socket's events: connected (TCP; the interpreter passes the socket, the simulator nothing), data (a
  // string), closed or failed (`end`). `g` is the connection they belong to.
  function onSocket(g: number, end: number, data?: unknown) {
    if (g !== gen) return;
    if (end) return down(0);
    if (typeof data !== "string") {
      sock!.write(encodeConnect(o, ka));
      return;
    }
    lastIn = now;
    waitAt = 0;
    rx.b += data;
    // a command or a configuration for the node is far smaller than 2048 bytes: larger packets are skipped
    for (let p; (p = nextPacket(rx, 2048)); ) {
      if (p < 4) {
        c[0]++;
        // framing lost (1) or a protocol violation (3): the connection ends [MQTT-4.8.0-1]; oversize (2) goes on
        if (p & 1) return down(p > 1 ? -6 : -3);
      } else
        try {
          if (p === 0x20) {
            // CONNACK; a refusal's return code is in the low byte, and the broker closes [MQTT-3.2.2-5]
            const rc = rx.i & 255;
            if (rc) return down(rc);
            up = 2;
            fails = 0;
            if (o.subs && (rx.i < 256 || !subscribed)) {
              // packet id 65535: publishes take 1..65534, so the two never meet [MQTT-2.3.1-2]
              let body = field(65535);
              for (let i = 0; i < o.subs.length; i++) body += field(o.subs[i]) + "\x01";
              sock!.write(frame(0x82, body)); // SUBSCRIBE (3.8), fixed header flags 0010 [MQTT-3.8.1-1], QoS 1 each
            }
            // everything in flight goes again, with DUP and its packet id, oldest first [MQTT-4.4.0-1] [MQTT-4.6.0-1]
            for (let i = 0; i < q.length; i++) {
              const e = q[i];
              e.s = now;
              sock!.write(encodePublish(e.t, e.p, e.f | 8, e.i));
            }
            o.onConnect(rx.i > 255);
          } else if (p >> 4 === 3) {
            if (rx.i) sock!.write("\x40\x02" + field(rx.i)); // PUBACK for QoS 1 [MQTT-3.3.4-1]
            o.onMessage(rx.t, rx.d);
          } else if (p === 0x40) {
            for (let i = 0; i < q.length; i++) {
              if (q[i].i === rx.i) {
                const e = q.splice(i, 1)[0];
                if (e.c) e.c();
                break;
              }
            }
          } else if (p === 0x90 && rx.i === 65535) {
            subscribed = rx.d.indexOf("\x80") < 0;
            if (!subscribed) c[1]++;
          }
        } catch {
          c[2]++;
        }
    }
  }

  return {
    start: function () {
      if (run) return;
      run = true;
      tick();
    },
    stop: function () {
      run = false;
      if (up > 1) sock!.write("\xe0\x00"); // DISCONNECT (3.14)
      down(-5);
    },
    publish: function (topic, payload, opts, onAck) {
      opts = opts || {};
      const qos = opts.qos;
      // PUBLISH flags (3.3.1): QoS (0 or 1) << 1, RETAIN
      const flags = ((qos as number) << 1) | +!!opts.retain;
      // Packet ids go 1..65534 in the order of sending [MQTT-2.3.1-1]; the first one still in flight is then the
      // oldest, so the next id is in use only when it is that one's [MQTT-2.3.1-2]: refused until its PUBACK.
      const id = (lastId % 65534) + 1;
      // a topic name is not empty and has no wildcard and no U+0000 [MQTT-4.7.3-1] [MQTT-3.3.2-2] [MQTT-1.5.3-2]
      if (up < 2 || (qos && (q.length >= o.window || (q[0] && q[0].i === id))) || !topic || /[+#\0]/.test(topic)) return false;
      if (qos) q.push({ i: (lastId = id), t: topic, p: payload, f: flags, c: onAck, s: now });
      sock!.write(encodePublish(topic, payload, flags, id));
      return true;
    },
    state: function () {
      return up;
    },
    counters: c,
  };
}
