// The node's MQTT client in Node, with a scripted socket and fake timers (the client times itself by its own
// one-second tick): connect, keep alive, QoS 1 window and re-delivery with DUP, reconnect backoff with jitter,
// refusals while down.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import mqttPacket from "mqtt-packet";
import { createMqttClient, MQTT_COUNTERS, MqttClientOptions, MqttSocket } from "../../firmware/app/mqtt/client";

const gen = (p: object) => mqttPacket.generate(p as mqttPacket.Packet, { protocolVersion: 4 }).toString("latin1");
const CONNACK_OK = gen({ cmd: "connack", sessionPresent: false, returnCode: 0 });
const CONNACK_SP = gen({ cmd: "connack", sessionPresent: true, returnCode: 0 });
const PINGRESP = gen({ cmd: "pingresp" });
const puback = (id: number) => gen({ cmd: "puback", messageId: id });

/** A socket the test drives: it records what the client writes and delivers what the "broker" sends. */
class FakeSocket implements MqttSocket {
  written: string[] = [];
  ended = false;
  private handlers: Record<string, ((a?: unknown) => void)[]> = {};
  constructor(private readonly connected: () => void) {}
  /** TCP is up: the callback gets the socket, as on the interpreter (the simulator passes nothing). */
  onConnect() {
    (this.connected as (socket: FakeSocket) => void)(this);
  }
  write(d: string) {
    this.written.push(d);
    return true;
  }
  end() {
    this.ended = true;
  }
  on(ev: string, cb: (a?: unknown) => void) {
    (this.handlers[ev] ??= []).push(cb);
  }
  emit(ev: string, arg?: unknown) {
    for (const h of this.handlers[ev] ?? []) h(arg);
  }
  /** A socket error: "error", then "close", as the interpreter and Node emit them. */
  fail(message: string) {
    this.emit("error", { message });
    this.emit("close");
  }
  /** Packets written, parsed with mqtt-packet. */
  packets(): mqttPacket.Packet[] {
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    const out: mqttPacket.Packet[] = [];
    parser.on("packet", (p) => out.push(p));
    parser.on("error", (e) => {
      throw e;
    });
    parser.parse(Buffer.from(this.written.join(""), "latin1"));
    return out;
  }
}

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

const advance = (ms: number) => vi.advanceTimersByTime(ms);
/** The client's counters by name (MQTT_COUNTERS). */
const named = (c: number[]) => Object.fromEntries(MQTT_COUNTERS.map((n, i) => [n, c[i]]));

function setup(extra: Partial<MqttClientOptions> = {}) {
  const sockets: FakeSocket[] = [];
  const connectTimes: number[] = [];
  const messages: [string, string][] = [];
  /** onConnect's sessionPresent, one per accepted connection. */
  const ups: boolean[] = [];
  /** onDown's reasons, one per connection ended or attempt failed. */
  const downs: number[] = [];
  let randValue = 0.5;
  const client = createMqttClient({
    host: "broker",
    port: 1883,
    id: "mg-s1-n1",
    user: "n1",
    pass: "pw",
    will: { topic: "mg/v1/s1/n1/state", msg: "offline", qos: 1, retain: true },
    keepalive_s: 30,
    subs: ["mg/v1/s1/n1/cmd", "mg/v1/s1/n1/cfg"],
    window: 3,
    rand: () => randValue,
    connect: (to, cb) => {
      expect(to).toMatchObject({ host: "broker", port: 1883 });
      connectTimes.push(Date.now());
      const s = new FakeSocket(cb);
      sockets.push(s);
      return s;
    },
    onMessage: (t, p) => messages.push([t, p]),
    onConnect: (sp) => ups.push(sp),
    onDown: (why) => downs.push(why),
    ...extra,
  });
  const last = () => sockets[sockets.length - 1];
  /** TCP up, CONNECT written, CONNACK back. */
  const accept = (connack = CONNACK_OK) => {
    last().onConnect();
    last().emit("data", connack);
  };
  return { sockets, last, client, accept, connectTimes, messages, ups, downs, setRand: (r: number) => (randValue = r) };
}

describe("MQTT client: connecting", () => {
  it("sends CONNECT with will, credentials, CleanSession 0 and keep alive, then subscribes at QoS 1", () => {
    const t = setup();
    t.client.start();
    expect(t.client.state()).toBe(1);
    t.accept();
    expect(t.client.state()).toBe(2);
    const [connect, subscribe] = t.last().packets() as [mqttPacket.IConnectPacket, mqttPacket.ISubscribePacket];
    expect(connect).toMatchObject({ cmd: "connect", protocolId: "MQTT", protocolVersion: 4, clientId: "mg-s1-n1", clean: false, keepalive: 30, username: "n1" });
    expect(connect.password?.toString()).toBe("pw");
    expect(connect.will).toMatchObject({ topic: "mg/v1/s1/n1/state", qos: 1, retain: true });
    expect(connect.will?.payload.toString()).toBe("offline");
    expect(subscribe.cmd).toBe("subscribe");
    expect(subscribe.subscriptions).toEqual([{ topic: "mg/v1/s1/n1/cmd", qos: 1 }, { topic: "mg/v1/s1/n1/cfg", qos: 1 }]);
    expect(subscribe.messageId).toBe(65535); // publishes never take it
    expect(t.ups).toEqual([false]);
  });

  it("re-subscribes only when the broker has no session for us", () => {
    const t = setup();
    t.client.start();
    t.accept(CONNACK_SP); // first connection after start: subscribes even though a session is present
    const sub = t.last().packets()[1] as mqttPacket.ISubscribePacket;
    t.last().emit("data", gen({ cmd: "suback", messageId: sub.messageId, granted: [1, 1] }));
    t.last().emit("close");
    advance(2000);
    t.accept(CONNACK_SP);
    expect(t.last().packets().map((p) => p.cmd)).toEqual(["connect"]);
    t.last().emit("close");
    advance(2000);
    t.accept(CONNACK_OK); // the broker lost the session
    expect(t.last().packets().map((p) => p.cmd)).toEqual(["connect", "subscribe"]);
    expect(t.ups).toEqual([true, true, false]);
  });

  it("a SUBACK failure is counted and the next connection subscribes again", () => {
    const t = setup();
    t.client.start();
    t.accept();
    const sub = t.last().packets()[1] as mqttPacket.ISubscribePacket;
    t.last().emit("data", gen({ cmd: "suback", messageId: sub.messageId, granted: [1, 128] }));
    expect(named(t.client.counters).subFails).toBe(1);
    t.last().emit("close");
    advance(2000);
    t.accept(CONNACK_SP);
    expect(t.last().packets().map((p) => p.cmd)).toEqual(["connect", "subscribe"]);
  });

  it("a refused CONNACK is a failure with its return code, and the client tries again later", () => {
    const t = setup();
    t.client.start();
    t.accept(gen({ cmd: "connack", sessionPresent: false, returnCode: 4 }));
    expect(t.client.state()).toBe(0);
    expect(t.downs).toEqual([4]); // 3.2.2.3: bad user name or password
    expect(t.ups).toEqual([]);
    expect(t.sockets[0].ended).toBe(true);
    advance(1000);
    expect(t.sockets).toHaveLength(2);
  });

  it("no CONNACK within 10 s: the attempt fails", () => {
    const t = setup();
    t.client.start();
    t.last().onConnect();
    advance(9000);
    expect(t.client.state()).toBe(1);
    advance(1000);
    expect(t.client.state()).toBe(0);
    expect(t.downs).toEqual([-1]);
  });

  it("stop sends DISCONNECT, closes, and does not reconnect", () => {
    const t = setup();
    t.client.start();
    t.accept();
    t.client.stop();
    expect(t.last().written[t.last().written.length - 1]).toBe("\xe0\x00");
    expect(t.last().ended).toBe(true);
    advance(600_000);
    expect(t.sockets).toHaveLength(1);
    expect(t.downs).toEqual([-5]); // stopped: no drop before it
  });
});

describe("MQTT client: keep alive", () => {
  it("pings before keepalive_s passes idle, stays up on PINGRESP, drops when PINGRESP does not come", () => {
    const t = setup();
    t.client.start();
    t.accept();
    const s = t.last();
    const pings = () => s.packets().filter((p) => p.cmd === "pingreq").length;
    advance(28_000);
    expect(pings()).toBe(0);
    advance(1000);
    expect(pings()).toBe(1); // at keepalive - tick: the interval between packets never exceeds keepalive_s
    s.emit("data", PINGRESP);
    advance(29_000);
    expect(pings()).toBe(2);
    advance(9000);
    expect(t.client.state()).toBe(2);
    advance(1000);
    expect(t.client.state()).toBe(0);
    expect(t.downs).toEqual([-2]); // no PINGRESP
    expect(pings()).toBe(2);
    expect(s.ended).toBe(true);
  });

  it("publishing keeps the link busy, but silence from the broker still gets probed", () => {
    const t = setup();
    t.client.start();
    t.accept();
    const s = t.last();
    for (let i = 0; i < 30; i++) {
      t.client.publish("mg/v1/s1/n1/t", "x", { qos: 0 });
      advance(1000);
    }
    expect(s.packets().filter((p) => p.cmd === "pingreq")).toHaveLength(1);
    advance(10_000);
    expect(t.downs).toEqual([-2]);
  });
});

describe("MQTT client: QoS 1 publishes", () => {
  it("allocates packet ids, bounds the window, calls each callback on its PUBACK", () => {
    const t = setup();
    t.client.start();
    t.accept();
    const acked: string[] = [];
    for (const n of ["a", "b", "c"]) expect(t.client.publish("mg/v1/s1/n1/t", n, { qos: 1 }, () => acked.push(n))).toBe(true);
    expect(t.client.publish("mg/v1/s1/n1/t", "d", { qos: 1 })).toBe(false); // window of 3 is full
    expect(t.client.publish("mg/v1/s1/n1/t", "q0", { qos: 0 })).toBe(true); // QoS 0 is not held
    const pubs = t.last().packets().filter((p) => p.cmd === "publish") as mqttPacket.IPublishPacket[];
    const ids = pubs.slice(0, 3).map((p) => p.messageId!);
    expect(new Set(ids).size).toBe(3);
    expect(ids.every((id) => id > 0)).toBe(true);
    t.last().emit("data", puback(ids[1]) + puback(ids[1]) + puback(4242));
    expect(acked).toEqual(["b"]);
    // two in flight: room for one more
    expect(t.client.publish("mg/v1/s1/n1/t", "d", { qos: 1 }, () => acked.push("d"))).toBe(true);
    expect(t.client.publish("mg/v1/s1/n1/t", "e", { qos: 1 })).toBe(false);
    const idD = (t.last().packets().filter((p) => p.cmd === "publish").pop() as mqttPacket.IPublishPacket).messageId!;
    expect([ids[0], ids[2]]).not.toContain(idD);
    t.last().emit("data", puback(ids[0]) + puback(ids[2]) + puback(idD));
    expect(acked).toEqual(["b", "a", "c", "d"]);
    expect(t.last().packets().filter((p) => p.cmd === "publish")).toHaveLength(5);
  });

  it("packet ids go 1..65534 and wrap, never 0 nor SUBSCRIBE's 65535, and an id still in flight is never reused", () => {
    const t = setup();
    t.client.start();
    t.accept();
    const s = t.last();
    s.emit("data", gen({ cmd: "suback", messageId: 65535, granted: [1, 1] }));
    expect(t.client.publish("a", "held", { qos: 1 })).toBe(true); // id 1, kept in flight throughout
    s.written = [];
    const idOf = () => {
      const id = (s.written[0].charCodeAt(5) << 8) | s.written[0].charCodeAt(6);
      s.written = [];
      return id;
    };
    const seen = new Set<number>();
    for (let i = 0; i < 65533; i++) {
      expect(t.client.publish("a", "", { qos: 1 })).toBe(true);
      const id = idOf();
      seen.add(id);
      s.emit("data", "\x40\x02" + String.fromCharCode(id >> 8, id & 255));
    }
    expect(seen.size).toBe(65533);
    expect(seen.has(0) || seen.has(1) || seen.has(65535)).toBe(false);
    // the next id would be 1, still in flight: refused until its PUBACK (QoS 0 needs no id)
    expect(t.client.publish("a", "", { qos: 1 })).toBe(false);
    expect(s.written).toEqual([]);
    expect(t.client.publish("a", "q0", { qos: 0 })).toBe(true);
    s.written = [];
    s.emit("data", "\x40\x02\x00\x01");
    expect(t.client.publish("a", "", { qos: 1 })).toBe(true);
    expect(idOf()).toBe(1);
    expect(t.client.publish("a", "", { qos: 1 })).toBe(true);
    expect(idOf()).toBe(2);
  });

  it("no PUBACK in 30 s: the link is taken for dead, and the next connection sends the publish again with DUP and its packet id", () => {
    const t = setup();
    t.client.start();
    t.accept();
    const s = t.last();
    t.client.publish("mg/v1/s1/n1/t", "batch-1", { qos: 1, retain: false });
    advance(19_000);
    s.emit("data", PINGRESP); // the link answers, the PUBACK does not come
    advance(10_000);
    expect(t.client.state()).toBe(2);
    advance(1000);
    expect(t.client.state()).toBe(0);
    expect(t.downs).toEqual([-4]);
    const first = s.packets().filter((p) => p.cmd === "publish") as mqttPacket.IPublishPacket[];
    expect(first.map((p) => p.dup)).toEqual([false]);
    advance(1000);
    t.accept(CONNACK_SP);
    const again = t.last().packets().filter((p) => p.cmd === "publish") as mqttPacket.IPublishPacket[];
    expect(again.map((p) => [p.dup, p.messageId, p.payload.toString()])).toEqual([[true, first[0].messageId, "batch-1"]]);
    t.last().emit("data", puback(first[0].messageId!));
    advance(60_000);
    t.last().emit("data", PINGRESP);
    advance(60_000);
    expect(t.sockets.flatMap((x) => x.packets()).filter((p) => p.cmd === "publish")).toHaveLength(2);
  });

  it("on reconnect, everything unacknowledged goes again with DUP, original ids, oldest first", () => {
    const t = setup();
    t.client.start();
    t.accept();
    const first = t.last();
    for (const n of ["1", "2", "3"]) t.client.publish("mg/v1/s1/n1/t", n, { qos: 1, retain: n === "3" });
    const sent = first.packets().filter((p) => p.cmd === "publish") as mqttPacket.IPublishPacket[];
    first.emit("data", puback(sent[1].messageId!));
    first.emit("close");
    expect(t.client.state()).toBe(0);
    advance(1000);
    t.accept(CONNACK_SP);
    const again = t.last().packets().filter((p) => p.cmd === "publish") as mqttPacket.IPublishPacket[];
    expect(again.map((p) => [p.payload.toString(), p.dup, p.messageId, p.qos, p.retain])).toEqual([
      ["1", true, sent[0].messageId, 1, false],
      ["3", true, sent[2].messageId, 1, true],
    ]);
  });

  it("refuses while down or connecting, without writing or keeping anything", () => {
    const t = setup();
    expect(t.client.publish("mg/v1/s1/n1/t", "x", { qos: 1 })).toBe(false);
    t.client.start();
    expect(t.client.publish("mg/v1/s1/n1/t", "x", { qos: 1 })).toBe(false);
    t.last().onConnect();
    expect(t.client.publish("mg/v1/s1/n1/t", "x", { qos: 0 })).toBe(false);
    expect(t.last().packets().map((p) => p.cmd)).toEqual(["connect"]);
    t.last().emit("data", CONNACK_OK);
    expect(t.client.publish("mg/v1/s1/n1/+", "x")).toBe(false);
    expect(t.client.publish("mg/v1/s1/#", "x", { qos: 1 })).toBe(false);
    expect(t.client.publish("mg/v1/s1/n1\0", "x")).toBe(false);
    expect(t.client.publish("", "x")).toBe(false);
    t.last().fail("ECONNRESET");
    expect(t.downs).toEqual([0]);
    expect(t.client.publish("mg/v1/s1/n1/t", "x", { qos: 1 })).toBe(false);
    expect(t.sockets[0].packets().filter((p) => p.cmd === "publish")).toEqual([]);
    advance(1000);
    t.accept();
    expect(t.last().packets().map((p) => p.cmd)).toEqual(["connect", "subscribe"]); // nothing was kept
  });
});

describe("MQTT client: messages from the broker", () => {
  it("delivers PUBLISH to onMessage and PUBACKs QoS 1 with its id, even when the handler throws", () => {
    const errors: string[] = [];
    const t = setup({
      onMessage: (topic, payload) => {
        errors.push(topic + " " + payload);
        if (payload === "bad") throw new Error("handler failed");
      },
    });
    t.client.start();
    t.accept();
    t.last().emit(
      "data",
      gen({ cmd: "publish", topic: "mg/v1/s1/n1/cmd", payload: Buffer.from('{"id":7}'), qos: 1, messageId: 300, dup: false, retain: false }) +
        gen({ cmd: "publish", topic: "mg/v1/s1/n1/cfg", payload: Buffer.from("bad"), qos: 1, messageId: 301, dup: true, retain: true }) +
        gen({ cmd: "publish", topic: "mg/v1/s1/n1/cmd", payload: Buffer.from("q0"), qos: 0, dup: false, retain: false }),
    );
    expect(errors).toEqual(['mg/v1/s1/n1/cmd {"id":7}', "mg/v1/s1/n1/cfg bad", "mg/v1/s1/n1/cmd q0"]);
    const acks = t.last().packets().filter((p) => p.cmd === "puback") as mqttPacket.IPubackPacket[];
    expect(acks.map((p) => p.messageId)).toEqual([300, 301]);
    expect(named(t.client.counters)).toMatchObject({ errors: 1, rejected: 0 });
  });

  it("a malformed packet is counted and closes the connection (4.8); so does a framing loss", () => {
    const t = setup();
    t.client.start();
    t.accept();
    t.last().emit("data", "\x30\x03\x00\x05\x61"); // PUBLISH with a topic longer than the packet
    expect(t.client.state()).toBe(0);
    expect(t.sockets[0].ended).toBe(true);
    advance(1000);
    t.accept();
    t.last().emit("data", "\x30\xff\xff\xff\xff\x01");
    expect(t.client.state()).toBe(0);
    expect(t.downs).toEqual([-6, -3]); // protocol violation, framing lost
    expect(named(t.client.counters).rejected).toBe(2);
    expect(t.messages).toEqual([]);
  });

  it("an oversize packet is skipped and counted, and the connection stays", () => {
    const t = setup();
    t.client.start();
    t.accept();
    const big = gen({ cmd: "publish", topic: "mg/v1/s1/n1/cmd", payload: Buffer.alloc(3000, 0x41), qos: 0, dup: false, retain: false });
    t.last().emit("data", big + gen({ cmd: "publish", topic: "mg/v1/s1/n1/cmd", payload: Buffer.from("ok"), qos: 0, dup: false, retain: false }));
    expect(t.client.state()).toBe(2);
    expect(t.messages).toEqual([["mg/v1/s1/n1/cmd", "ok"]]);
    expect(named(t.client.counters).rejected).toBe(1);
  });

  // Each out-of-spec packet after an accepted CONNACK: refused, counted, the connection closed [MQTT-4.8.0-1],
  // nothing delivered, acknowledged or taken from the window.
  const outOfSpec: [string, string][] = [
    ["SUBACK return code 3, reserved [MQTT-3.9.3-2]", "\x90\x04\xff\xff\x01\x03"],
    ["SUBACK return code 0x81, reserved [MQTT-3.9.3-2]", "\x90\x04\xff\xff\x81\x01"],
    ["SUBACK packet id 0 [MQTT-2.3.1-1]", "\x90\x04\x00\x00\x01\x01"],
    ["PUBACK packet id 0 [MQTT-2.3.1-1]", "\x40\x02\x00\x00"],
    ["PUBLISH topic with '#' [MQTT-3.3.2-2]", "\x32\x0e\x00\x0a\x6d\x67\x2f\x76\x31\x2f\x73\x31\x2f\x23\x00\x05"],
    ["PUBLISH topic with '+' [MQTT-3.3.2-2]", "\x30\x0a\x00\x08\x6d\x67\x2f\x2b\x2f\x63\x6d\x64"],
    ["PUBLISH topic with U+0000 [MQTT-4.7.3-2]", "\x32\x0b\x00\x07\x6d\x67\x00\x2f\x63\x6d\x64\x00\x06"],
    ["CONNACK again, acknowledge flags bit 1 reserved (3.2.2.1)", "\x20\x02\x02\x00"],
  ];
  for (const [what, bytes] of outOfSpec)
    it(`refuses ${what}: counted, connection closed`, () => {
      const t = setup();
      t.client.start();
      t.accept();
      expect(t.client.publish("mg/v1/s1/n1/t", "x", { qos: 1 }, () => {
        throw new Error("no PUBACK came");
      })).toBe(true);
      t.last().written = [];
      t.last().emit("data", bytes);
      expect(t.client.state()).toBe(0);
      expect(t.sockets[0].ended).toBe(true);
      expect(t.downs).toEqual([-6]);
      expect(named(t.client.counters)).toEqual({ rejected: 1, subFails: 0, errors: 0 });
      expect(t.messages).toEqual([]);
      expect(t.last().written).toEqual([]); // no PUBACK for a refused PUBLISH
      // the publish is still in flight: the next connection sends it again (4.4)
      advance(1000);
      t.accept();
      expect((t.last().packets().filter((p) => p.cmd === "publish") as mqttPacket.IPublishPacket[]).map((p) => p.dup)).toEqual([true]);
    });

  it("refuses a CONNACK with reserved acknowledge bits or a reserved return code: not up, counted, closed", () => {
    for (const [connack, what] of [
      ["\x20\x02\x02\x00", "flags bit 1 (3.2.2.1)"],
      ["\x20\x02\xfe\x00", "flags bits 7-1 (3.2.2.1)"],
      ["\x20\x02\x00\x06", "return code 6 (3.2.2.3)"],
      ["\x20\x02\x00\x80", "return code 128 (3.2.2.3)"],
      ["\x20\x02\x01\x04", "session present with a refusal [MQTT-3.2.2-4]"],
    ]) {
      const t = setup();
      t.client.start();
      t.accept(connack);
      expect(t.client.state(), what).toBe(0);
      expect(t.ups, what).toEqual([]);
      expect(t.downs, what).toEqual([-6]);
      expect(t.sockets[0].ended, what).toBe(true);
      expect(named(t.client.counters).rejected, what).toBe(1);
      expect(t.last().packets().map((p) => p.cmd), what).toEqual(["connect"]); // no SUBSCRIBE
      vi.clearAllTimers();
    }
  });

  it("events from an old socket do nothing once a new connection exists", () => {
    const t = setup();
    t.client.start();
    t.accept();
    const old = t.last();
    old.emit("error", { message: "reset" });
    old.emit("close");
    advance(1000);
    t.accept();
    old.emit("close");
    old.emit("data", "\x30\xff\xff\xff\xff\x01");
    expect(t.client.state()).toBe(2);
    expect(t.ups).toHaveLength(2);
    expect(t.downs).toEqual([0]);
  });
});

describe("MQTT client: reconnect backoff", () => {
  function refusing(rand: number) {
    const at: number[] = [];
    const failedAt: number[] = [];
    const downs: number[] = [];
    const client = createMqttClient({
      host: "b",
      port: 1,
      id: "n",
      keepalive_s: 60,
      window: 4,
      rand: () => rand,
      connect: () => {
        at.push(Date.now());
        const s = new FakeSocket(() => {});
        setTimeout(() => s.fail("Network link down"), 0);
        return s;
      },
      onConnect: () => {},
      onMessage: () => {},
      onDown: (why) => {
        downs.push(why);
        failedAt.push(Date.now());
      },
    });
    client.start();
    advance(3_600_000);
    client.stop();
    // from each failure to the next attempt
    const gaps = at.slice(1).map((t, i) => (t - failedAt[i]) / 1000);
    return { downs, gaps };
  }

  it("doubles from 1 s to the 60 s cap; jitter keeps each delay within [d/2, d]", () => {
    const nominal = [1, 2, 4, 8, 16, 32, 60, 60, 60];
    const low = refusing(0).gaps;
    const high = refusing(0.999999).gaps;
    expect(low.slice(0, 9)).toEqual(nominal.map((d) => d / 2));
    high.slice(0, 9).forEach((g, i) => expect(g).toBeCloseTo(nominal[i], 2));
    for (const r of [0, 0.3, 0.999999]) {
      const { gaps, downs } = refusing(r);
      gaps.forEach((g, i) => {
        const d = Math.min(60, 2 ** i);
        expect(g).toBeGreaterThanOrEqual(d / 2);
        expect(g).toBeLessThanOrEqual(d);
      });
      // every attempt failed (0: socket closed), then stop (-5)
      expect(downs).toEqual([...gaps.map(() => 0), 0, -5]);
    }
  });

  it("jitter spreads a fleet's retries: different random draws give different delays", () => {
    const delays = [0.1, 0.5, 0.9].map((r) => refusing(r).gaps[5]);
    expect(new Set(delays).size).toBe(3);
  });

  it("an accepted connection resets the backoff", () => {
    const t = setup(); // rand 0.5: each delay is 0.75 of the nominal one
    t.client.start();
    for (const d of [750, 1500, 3000, 6000, 750]) {
      if (d === 750 && t.sockets.length > 1) t.accept();
      const n = t.sockets.length;
      t.last().emit("close");
      advance(d - 1);
      expect(t.sockets.length).toBe(n);
      advance(1);
      expect(t.sockets.length).toBe(n + 1);
    }
    expect(t.ups).toHaveLength(1);
    expect(t.downs).toEqual([0, 0, 0, 0, 0]);
  });
});

describe("MQTT client: clock steps", () => {
  it("times itself by its own tick: a step of the clock (time sync) neither fires nor stalls its deadlines", () => {
    const t = setup({});
    t.client.start();
    t.accept();
    const s = t.last();
    t.client.publish("a", "x", { qos: 1 });
    advance(5000);
    vi.setSystemTime(Date.now() + 3_600_000); // forward
    advance(2000);
    expect(t.client.state()).toBe(2);
    expect(s.packets().filter((p) => p.cmd === "pingreq")).toHaveLength(0);
    vi.setSystemTime(Date.now() - 7_200_000); // backward
    s.emit("data", PINGRESP);
    advance(22_999);
    expect(t.client.state()).toBe(2);
    advance(1);
    // 30 s after the publish, as if the clock had not moved: no PUBACK, the link is taken for dead
    expect(t.downs).toEqual([-4]);
  });
});
