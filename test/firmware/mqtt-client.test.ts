// The node's MQTT client in Node, with a scripted socket, a fake clock and fake timers: connect, keep alive,
// QoS 1 window and retransmission with DUP, reconnect backoff with jitter, refusals while down.
import { describe, expect, it } from "vitest";
import mqttPacket from "mqtt-packet";
import { createMqttClient, MqttClientOptions, MqttSocket } from "../../firmware/app/mqtt/client";

const gen = (p: object) => mqttPacket.generate(p as mqttPacket.Packet, { protocolVersion: 4 }).toString("latin1");
const CONNACK_OK = gen({ cmd: "connack", sessionPresent: false, returnCode: 0 });
const CONNACK_SP = gen({ cmd: "connack", sessionPresent: true, returnCode: 0 });
const PINGRESP = gen({ cmd: "pingresp" });
const puback = (id: number) => gen({ cmd: "puback", messageId: id });

/** Timers on a fake clock (milliseconds), run in order of due time. */
class FakeTime {
  ms = 0;
  private seq = 0;
  private timers: { at: number; n: number; f: () => void }[] = [];
  setTimeout = (f: () => void, ms: number) => {
    const n = ++this.seq;
    this.timers.push({ at: this.ms + ms, n, f });
    return n;
  };
  clearTimeout = (n: number) => {
    this.timers = this.timers.filter((t) => t.n !== n);
  };
  seconds = () => this.ms / 1000;
  advance(ms: number) {
    const end = this.ms + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at || a.n - b.n);
      const next = this.timers[0];
      if (!next || next.at > end) break;
      this.timers.shift();
      this.ms = next.at;
      next.f();
    }
    this.ms = end;
  }
}

/** A socket the test drives: it records what the client writes and delivers what the "broker" sends. */
class FakeSocket implements MqttSocket {
  written: string[] = [];
  ended = false;
  private handlers: Record<string, ((a?: unknown) => void)[]> = {};
  constructor(readonly onConnect: () => void) {}
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

function setup(extra: Partial<MqttClientOptions> = {}) {
  const time = new FakeTime();
  const sockets: FakeSocket[] = [];
  const connectTimes: number[] = [];
  const messages: [string, string][] = [];
  const acks: string[] = [];
  let randValue = 0.5;
  let offset_s = 0;
  const client = createMqttClient({
    host: "broker",
    port: 1883,
    id: "mg-s1-n1",
    user: "n1",
    pass: "pw",
    will: { topic: "mg/v1/s1/n1/state", msg: "offline", qos: 1, retain: true },
    keepalive_s: 30,
    subs: ["mg/v1/s1/n1/cmd", "mg/v1/s1/n1/cfg"],
    retry_s: 20,
    wait_s: 10,
    window: 3,
    time: () => time.seconds() + offset_s,
    setTimeout: time.setTimeout,
    clearTimeout: time.clearTimeout,
    rand: () => randValue,
    connect: (_to, cb) => {
      connectTimes.push(time.ms);
      const s = new FakeSocket(cb);
      sockets.push(s);
      return s;
    },
    onMessage: (t, p) => messages.push([t, p]),
    ...extra,
  });
  const last = () => sockets[sockets.length - 1];
  /** TCP up, CONNECT written, CONNACK back. */
  const accept = (connack = CONNACK_OK) => {
    last().onConnect();
    last().emit("data", connack);
  };
  return { time, sockets, last, client, accept, connectTimes, messages, acks, setRand: (r: number) => (randValue = r), setClock: (o: number) => (offset_s = o) };
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
    expect(t.client.counters.connects).toBe(1);
  });

  it("re-subscribes only when the broker has no session for us", () => {
    const t = setup();
    t.client.start();
    t.accept(CONNACK_SP); // first connection after start: subscribes even though a session is present
    const sub = t.last().packets()[1] as mqttPacket.ISubscribePacket;
    t.last().emit("data", gen({ cmd: "suback", messageId: sub.messageId, granted: [1, 1] }));
    t.last().emit("close");
    t.time.advance(2000);
    t.accept(CONNACK_SP);
    expect(t.last().packets().map((p) => p.cmd)).toEqual(["connect"]);
    t.last().emit("close");
    t.time.advance(2000);
    t.accept(CONNACK_OK); // the broker lost the session
    expect(t.last().packets().map((p) => p.cmd)).toEqual(["connect", "subscribe"]);
  });

  it("a SUBACK failure is counted and the next connection subscribes again", () => {
    const t = setup();
    t.client.start();
    t.accept();
    const sub = t.last().packets()[1] as mqttPacket.ISubscribePacket;
    t.last().emit("data", gen({ cmd: "suback", messageId: sub.messageId, granted: [1, 128] }));
    expect(t.client.counters.subFails).toBe(1);
    t.last().emit("close");
    t.time.advance(2000);
    t.accept(CONNACK_SP);
    expect(t.last().packets().map((p) => p.cmd)).toEqual(["connect", "subscribe"]);
  });

  it("a refused CONNACK is a failure with its return code, and the client tries again later", () => {
    const t = setup();
    t.client.start();
    t.accept(gen({ cmd: "connack", sessionPresent: false, returnCode: 4 }));
    expect(t.client.state()).toBe(0);
    expect(t.client.why()).toBe("refused: 4"); // 3.2.2.3: bad user name or password
    expect(t.client.counters).toMatchObject({ connects: 0, failures: 1 });
    expect(t.sockets[0].ended).toBe(true);
    t.time.advance(1000);
    expect(t.sockets).toHaveLength(2);
  });

  it("no CONNACK within wait_s: the attempt fails", () => {
    const t = setup();
    t.client.start();
    t.last().onConnect();
    t.time.advance(9000);
    expect(t.client.state()).toBe(1);
    t.time.advance(1000);
    expect(t.client.state()).toBe(0);
    expect(t.client.why()).toBe("no CONNACK");
  });

  it("stop sends DISCONNECT, closes, and does not reconnect", () => {
    const t = setup();
    t.client.start();
    t.accept();
    t.client.stop();
    expect(t.last().written[t.last().written.length - 1]).toBe("\xe0\x00");
    expect(t.last().ended).toBe(true);
    t.time.advance(600_000);
    expect(t.sockets).toHaveLength(1);
    expect(t.client.counters.drops).toBe(0);
  });
});

describe("MQTT client: keep alive", () => {
  it("pings before keepalive_s passes idle, stays up on PINGRESP, drops when PINGRESP does not come", () => {
    const t = setup();
    t.client.start();
    t.accept();
    const s = t.last();
    const pings = () => s.packets().filter((p) => p.cmd === "pingreq").length;
    t.time.advance(28_000);
    expect(pings()).toBe(0);
    t.time.advance(1000);
    expect(pings()).toBe(1); // at keepalive - tick: the interval between packets never exceeds keepalive_s
    s.emit("data", PINGRESP);
    t.time.advance(29_000);
    expect(pings()).toBe(2);
    t.time.advance(9000);
    expect(t.client.state()).toBe(2);
    t.time.advance(1000);
    expect(t.client.state()).toBe(0);
    expect(t.client.why()).toBe("no PINGRESP");
    expect(t.client.counters).toMatchObject({ drops: 1, pings: 2 });
    expect(s.ended).toBe(true);
  });

  it("publishing keeps the link busy, but silence from the broker still gets probed", () => {
    const t = setup({ retry_s: 1000 });
    t.client.start();
    t.accept();
    const s = t.last();
    for (let i = 0; i < 30; i++) {
      t.client.publish("mg/v1/s1/n1/t", "x", { qos: 0 });
      t.time.advance(1000);
    }
    expect(s.packets().filter((p) => p.cmd === "pingreq")).toHaveLength(1);
    t.time.advance(10_000);
    expect(t.client.why()).toBe("no PINGRESP");
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
    expect(t.client.inflight()).toBe(2);
    expect(t.client.publish("mg/v1/s1/n1/t", "d", { qos: 1 }, () => acked.push("d"))).toBe(true);
    const idD = (t.last().packets().filter((p) => p.cmd === "publish").pop() as mqttPacket.IPublishPacket).messageId!;
    expect([ids[0], ids[2]]).not.toContain(idD);
    t.last().emit("data", puback(ids[0]) + puback(ids[2]) + puback(idD));
    expect(acked).toEqual(["b", "a", "c", "d"]);
    expect(t.client.counters).toMatchObject({ publishes: 5, acks: 4 });
  });

  it("packet ids wrap from 65535 to 1, never 0, and skip ids still in flight", () => {
    const t = setup();
    t.client.start();
    t.accept();
    const s = t.last();
    s.emit("data", gen({ cmd: "suback", messageId: 1, granted: [1, 1] })); // id 1 went to SUBSCRIBE
    t.client.publish("a", "held", { qos: 1 }); // id 2, kept in flight throughout
    s.written = [];
    const seen = new Set<number>();
    let refused = 0;
    for (let i = 0; i < 65536; i++) {
      if (!t.client.publish("a", "", { qos: 1 })) refused++;
      const id = (s.written[0].charCodeAt(5) << 8) | s.written[0].charCodeAt(6);
      s.written = [];
      seen.add(id);
      s.emit("data", "\x40\x02" + String.fromCharCode(id >> 8, id & 255));
    }
    expect(refused).toBe(0);
    expect(seen.has(0) || seen.has(2)).toBe(false);
    expect(seen.size).toBe(65534);
  });

  it("resends with DUP and the same packet id after retry_s, until acknowledged", () => {
    const t = setup();
    t.client.start();
    t.accept();
    const s = t.last();
    t.client.publish("mg/v1/s1/n1/t", "batch-1", { qos: 1, retain: false });
    t.time.advance(19_000);
    expect(t.client.counters.retransmits).toBe(0);
    s.emit("data", PINGRESP);
    t.time.advance(1000);
    const pubs = s.packets().filter((p) => p.cmd === "publish") as mqttPacket.IPublishPacket[];
    expect(pubs.map((p) => p.dup)).toEqual([false, true]);
    expect(pubs[1].messageId).toBe(pubs[0].messageId);
    expect(pubs[1].payload.toString()).toBe("batch-1");
    s.emit("data", puback(pubs[0].messageId!));
    t.time.advance(60_000);
    s.emit("data", PINGRESP);
    expect(s.packets().filter((p) => p.cmd === "publish")).toHaveLength(2);
    expect(t.client.counters.retransmits).toBe(1);
  });

  it("on reconnect, everything unacknowledged goes again with DUP, original ids, oldest first", () => {
    const t = setup();
    t.client.start();
    t.accept();
    const first = t.last();
    for (const n of ["1", "2", "3"]) t.client.publish("mg/v1/s1/n1/t", n, { qos: 1 });
    const sent = first.packets().filter((p) => p.cmd === "publish") as mqttPacket.IPublishPacket[];
    first.emit("data", puback(sent[1].messageId!));
    first.emit("close");
    expect(t.client.state()).toBe(0);
    expect(t.client.inflight()).toBe(2);
    t.time.advance(1000);
    t.accept(CONNACK_SP);
    const again = t.last().packets().filter((p) => p.cmd === "publish") as mqttPacket.IPublishPacket[];
    expect(again.map((p) => [p.payload.toString(), p.dup, p.messageId])).toEqual([
      ["1", true, sent[0].messageId],
      ["3", true, sent[2].messageId],
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
    expect(t.client.inflight()).toBe(0);
    t.last().emit("data", CONNACK_OK);
    expect(t.client.publish("mg/v1/s1/n1/+", "x")).toBe(false);
    expect(t.client.publish("", "x")).toBe(false);
    t.last().emit("error", { message: "ECONNRESET" });
    expect(t.client.why()).toBe("error: ECONNRESET");
    expect(t.client.publish("mg/v1/s1/n1/t", "x", { qos: 1 })).toBe(false);
    expect(t.client.counters.publishes).toBe(0);
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
    expect(t.client.counters).toMatchObject({ received: 3, errors: 1 });
  });

  it("malformed packets are counted; a framing loss closes the connection", () => {
    const t = setup();
    t.client.start();
    t.accept();
    t.last().emit("data", "\x40\x02\x00\x00"); // PUBACK with id 0
    expect(t.client.state()).toBe(2);
    t.last().emit("data", "\x30\xff\xff\xff\xff\x01");
    expect(t.client.state()).toBe(0);
    expect(t.client.why()).toBe("framing lost");
    expect(t.client.counters.rejected).toBe(2);
  });

  it("events from an old socket do nothing once a new connection exists", () => {
    const t = setup();
    t.client.start();
    t.accept();
    const old = t.last();
    old.emit("error", { message: "reset" });
    t.time.advance(1000);
    t.accept();
    old.emit("close");
    old.emit("data", "\x30\xff\xff\xff\xff\x01");
    expect(t.client.state()).toBe(2);
    expect(t.client.counters).toMatchObject({ connects: 2, drops: 1 });
  });
});

describe("MQTT client: reconnect backoff", () => {
  function refusing(rand: number) {
    const time = new FakeTime();
    const at: number[] = [];
    const client = createMqttClient({
      host: "b",
      port: 1,
      id: "n",
      backoffMin_s: 1,
      backoffMax_s: 60,
      time: time.seconds,
      setTimeout: time.setTimeout,
      clearTimeout: time.clearTimeout,
      rand: () => rand,
      connect: () => {
        at.push(time.ms);
        const s = new FakeSocket(() => {});
        time.setTimeout(() => {
          s.emit("error", { message: "Network link down" });
          s.emit("close");
        }, 0);
        return s;
      },
    });
    client.start();
    time.advance(3_600_000);
    const gaps = at.slice(1).map((t, i) => (t - at[i]) / 1000);
    return { client, gaps };
  }

  it("doubles from 1 s to the 60 s cap; jitter keeps each delay within [d/2, d]", () => {
    const nominal = [1, 2, 4, 8, 16, 32, 60, 60, 60];
    const low = refusing(0).gaps;
    const high = refusing(0.999999).gaps;
    expect(low.slice(0, 9)).toEqual(nominal.map((d) => d / 2));
    high.slice(0, 9).forEach((g, i) => expect(g).toBeCloseTo(nominal[i], 3));
    for (const r of [0, 0.3, 0.999999]) {
      const { gaps, client } = refusing(r);
      gaps.forEach((g, i) => {
        const d = Math.min(60, 2 ** i);
        expect(g).toBeGreaterThanOrEqual(d / 2);
        expect(g).toBeLessThanOrEqual(d);
      });
      expect(client.counters.failures).toBe(gaps.length + 1);
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
      t.time.advance(d - 1);
      expect(t.sockets.length).toBe(n);
      t.time.advance(1);
      expect(t.sockets.length).toBe(n + 1);
    }
    expect(t.client.counters).toMatchObject({ connects: 1, failures: 4, drops: 1 });
  });
});

describe("MQTT client: clock steps", () => {
  it("setting the clock (time sync) neither fires retransmits and pings nor stalls them", () => {
    const t = setup({ retry_s: 20 });
    t.client.start();
    t.accept();
    const s = t.last();
    t.client.publish("a", "x", { qos: 1 });
    t.time.advance(5000);
    t.setClock(1_700_000_000); // forward
    t.time.advance(2000);
    expect(t.client.counters.retransmits).toBe(0);
    expect(s.packets().filter((p) => p.cmd === "pingreq")).toHaveLength(0);
    t.setClock(-5000); // backward
    s.emit("data", PINGRESP);
    t.time.advance(12_999);
    expect(t.client.counters.retransmits).toBe(0);
    t.time.advance(1001);
    // 20 s after the publish as if the clock had not moved, give or take the tick in which the step came
    expect(t.client.counters.retransmits).toBe(1);
    expect(t.client.state()).toBe(2);
  });
});
