// MQTT 3.1.1 codec: byte sequences from the specification's examples, agreement with mqtt-packet (the codec of
// MQTT.js and aedes) both ways, streams split and merged, and malformed input counted without a throw.
import { describe, expect, it } from "vitest";
import mqttPacket from "mqtt-packet";
import {
  createMqttDecoder,
  connackName,
  encodeConnect,
  encodePublish,
  encodePuback,
  encodeSubscribe,
  MqttPacket,
  MqttReject,
  MqttRx,
  MQTT_REJECTS,
  nextPacket,
  PINGREQ,
  DISCONNECT,
  utf8,
} from "../../firmware/app/mqtt/packets";

const bin = (bytes: number[]) => String.fromCharCode(...bytes);
const bytesOf = (s: string) => Array.from(s, (c) => c.charCodeAt(0));
const gen = (p: object) => mqttPacket.generate(p as mqttPacket.Packet, { protocolVersion: 4 }).toString("latin1");

/** PUBLISH flags (3.3.1) from QoS, RETAIN and DUP. */
const pubFlags = (qos: number, retain: boolean, dup: boolean) => (dup ? 8 : 0) | (qos << 1) | (retain ? 1 : 0);

/** One packet through nextPacket alone: what it returns, and the packet as the decoder reports it. */
function parseOne(bytes: number[]): number {
  const rx = { b: bin(bytes), s: 0 } as MqttRx;
  const r = nextPacket(rx, 2048);
  expect(rx.b).toBe(""); // every byte of the packet read, accepted or refused
  return r;
}

function decodeAll(chunks: string[], max?: number) {
  const got: MqttPacket[] = [];
  const rejects: MqttReject[] = [];
  const d = createMqttDecoder((p) => got.push(p), (r) => rejects.push(r), max);
  for (const c of chunks) d.push(c);
  return { got, rejects, counters: d.counters, d };
}

/** Parse our bytes with mqtt-packet's parser (protocol 4). */
function parseWithReference(s: string): mqttPacket.Packet[] {
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  const out: mqttPacket.Packet[] = [];
  const errors: Error[] = [];
  parser.on("packet", (p) => out.push(p));
  parser.on("error", (e) => errors.push(e));
  parser.parse(Buffer.from(s, "latin1"));
  expect(errors).toEqual([]);
  return out;
}

describe("encoders: the specification's examples", () => {
  it("remaining length, Table 2.4 boundaries", () => {
    const cases: [number, number[]][] = [
      [0, [0x00]],
      [127, [0x7f]],
      [128, [0x80, 0x01]],
      [16383, [0xff, 0x7f]],
      [16384, [0x80, 0x80, 0x01]],
    ];
    for (const [n, enc] of cases) {
      const pkt = encodePublish("t", "x".repeat(Math.max(0, n - 3)), 0, 0);
      if (n < 3) continue;
      expect(bytesOf(pkt.substr(1, enc.length)), String(n)).toEqual(enc);
    }
    // 2,097,151 and 2,097,152: three and four bytes
    expect(bytesOf(encodePublish("t", "x".repeat(2097151 - 3), 0, 0).substr(1, 3))).toEqual([0xff, 0xff, 0x7f]);
    expect(bytesOf(encodePublish("t", "x".repeat(2097152 - 3), 0, 0).substr(1, 4))).toEqual([0x80, 0x80, 0x80, 0x01]);
  });

  it("CONNECT variable header, Figure 3.6: 00 04 'MQTT' 04 CE 00 0A", () => {
    // user name, password, will QoS 1, will flag, clean session; keep alive 10 s
    const pkt = encodeConnect({ id: "c", clean: true, will: { topic: "w", msg: "x", qos: 1 }, user: "u", pass: "p" }, 10);
    expect(bytesOf(pkt.substr(2, 10))).toEqual([0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, 0xce, 0x00, 0x0a]);
    expect(pkt.charCodeAt(0)).toBe(0x10);
  });

  it("PUBLISH variable header, Figure 3.11: topic a/b, packet id 10", () => {
    const pkt = encodePublish("a/b", "", 2, 10);
    expect(bytesOf(pkt)).toEqual([0x32, 0x07, 0x00, 0x03, 0x61, 0x2f, 0x62, 0x00, 0x0a]);
  });

  it("UTF-8 encoded string, Figure 1.1: A + U+2A6D4", () => {
    expect(bytesOf(utf8("A\u{2A6D4}"))).toEqual([0x41, 0xf0, 0xaa, 0x9b, 0x94]);
    expect(bytesOf(utf8("é€"))).toEqual([0xc3, 0xa9, 0xe2, 0x82, 0xac]);
    expect(utf8("mg/v1/s1/n1/t")).toBe("mg/v1/s1/n1/t");
    // a topic with non-ASCII text, encoded by the caller: its length prefix counts bytes
    expect(bytesOf(encodePublish(utf8("é"), "", 0, 0))).toEqual([0x30, 0x04, 0x00, 0x02, 0xc3, 0xa9]);
  });

  it("SUBSCRIBE: fixed header 0x82, every filter at QoS 1", () => {
    expect(bytesOf(encodeSubscribe(10, ["a/b", "c/d"]))).toEqual([
      0x82, 0x0e, 0x00, 0x0a, 0x00, 0x03, 0x61, 0x2f, 0x62, 0x01, 0x00, 0x03, 0x63, 0x2f, 0x64, 0x01,
    ]);
  });

  it("PUBACK, PINGREQ, DISCONNECT", () => {
    expect(bytesOf(encodePuback(0x1234))).toEqual([0x40, 0x02, 0x12, 0x34]);
    expect(bytesOf(PINGREQ)).toEqual([0xc0, 0x00]);
    expect(bytesOf(DISCONNECT)).toEqual([0xe0, 0x00]);
  });

  it("flags go to the fixed header as given; a re-delivery (DUP) differs from the first only there", () => {
    expect(encodePublish("t", "p", 0, 0).charCodeAt(0)).toBe(0x30);
    const first = encodePublish("t", "p", pubFlags(1, true, false), 7);
    const again = encodePublish("t", "p", pubFlags(1, true, true), 7);
    expect(again.charCodeAt(0)).toBe(0x3b);
    expect(again.substr(1)).toBe(first.substr(1));
    expect(encodePublish("t", "p", 2, 7).length).toBe(encodePublish("t", "p", 0, 7).length + 2); // packet id only with QoS 1
  });

  it("CONNACK return codes have their names (Table 3.1)", () => {
    expect([0, 1, 2, 3, 4, 5, 6].map(connackName)).toEqual([
      "accepted",
      "unacceptable protocol version",
      "identifier rejected",
      "server unavailable",
      "bad user name or password",
      "not authorized",
      "reserved",
    ]);
  });
});

describe("encoders agree with mqtt-packet", () => {
  it("CONNECT in every combination of will, credentials and clean session", () => {
    for (const clean of [true, false])
      for (const will of [undefined, { topic: "mg/v1/s/n/state", msg: "offline", qos: 1 as const, retain: true }])
        for (const user of [undefined, "node-7"])
          for (const pass of user ? [undefined, "s3cret\x00\xff"] : [undefined]) {
            const ours = encodeConnect({ id: "mg-s-n", clean, will, user, pass }, 45);
            const ref = gen({
              cmd: "connect",
              protocolId: "MQTT",
              protocolVersion: 4,
              clientId: "mg-s-n",
              clean,
              keepalive: 45,
              will: will && { topic: will.topic, payload: Buffer.from(will.msg), qos: will.qos, retain: will.retain },
              username: user,
              password: pass === undefined ? undefined : Buffer.from(pass, "latin1"),
            });
            expect(bytesOf(ours)).toEqual(bytesOf(ref));
          }
  });

  it("PUBLISH QoS 0 and 1, retained, DUP, a 300-byte binary payload", () => {
    const payload = bin(Array.from({ length: 300 }, (_, i) => i & 255));
    for (const [qos, retain, dup] of [[0, false, false], [1, false, false], [1, true, true], [0, true, false]] as const) {
      const ours = encodePublish("mg/v1/s1/n1/t", payload, pubFlags(qos, retain, dup), qos ? 513 : 0);
      const ref = gen({ cmd: "publish", topic: "mg/v1/s1/n1/t", payload: Buffer.from(payload, "latin1"), qos, retain, dup, messageId: qos ? 513 : undefined });
      expect(bytesOf(ours)).toEqual(bytesOf(ref));
      const [back] = parseWithReference(ours) as mqttPacket.IPublishPacket[];
      expect(back.payload.toString("latin1")).toBe(payload);
      expect([back.qos, back.retain, back.dup]).toEqual([qos, retain, dup]);
    }
  });

  it("SUBSCRIBE and PUBACK", () => {
    expect(encodeSubscribe(3, ["mg/v1/s1/n1/cmd", "mg/v1/s1/n1/cfg"])).toBe(
      gen({ cmd: "subscribe", messageId: 3, subscriptions: [{ topic: "mg/v1/s1/n1/cmd", qos: 1 }, { topic: "mg/v1/s1/n1/cfg", qos: 1 }] }),
    );
    expect(encodePuback(65535)).toBe(gen({ cmd: "puback", messageId: 65535 }));
  });

  it("the decoder reads what mqtt-packet writes for a broker", () => {
    const stream =
      gen({ cmd: "connack", sessionPresent: true, returnCode: 0 }) +
      gen({ cmd: "publish", topic: "mg/v1/s1/n1/cmd", payload: Buffer.from('{"id":1}'), qos: 1, messageId: 9, retain: false, dup: true }) +
      gen({ cmd: "publish", topic: "mg/v1/s1/n1/cfg", payload: Buffer.alloc(0), qos: 0, retain: true, dup: false }) +
      gen({ cmd: "puback", messageId: 77 }) +
      gen({ cmd: "suback", messageId: 2, granted: [1, 0, 128] }) +
      gen({ cmd: "pingresp" });
    const { got, rejects } = decodeAll([stream]);
    expect(rejects).toEqual([]);
    // CONNACK: session present * 256 + return code; SUBACK: its codes as bytes
    expect(got).toEqual([
      { type: 2, id: 256, qos: 0, topic: "", data: "" },
      { type: 3, id: 9, qos: 1, topic: "mg/v1/s1/n1/cmd", data: '{"id":1}' },
      { type: 3, id: 0, qos: 0, topic: "mg/v1/s1/n1/cfg", data: "" },
      { type: 4, id: 77, qos: 0, topic: "", data: "" },
      { type: 9, id: 2, qos: 0, topic: "", data: bin([1, 0, 128]) },
      { type: 13, id: 0, qos: 0, topic: "", data: "" },
    ]);
    const refused = decodeAll([gen({ cmd: "connack", sessionPresent: false, returnCode: 5 })]).got;
    expect(refused).toEqual([{ type: 2, id: 5, qos: 0, topic: "", data: "" }]); // 3.2.2.3: not authorized
  });
});

describe("streaming decoder", () => {
  const big = gen({ cmd: "publish", topic: "mg/v1/s1/n1/cfg", payload: Buffer.from("c".repeat(1000)), qos: 1, messageId: 4, retain: true, dup: false });
  const stream = gen({ cmd: "connack", sessionPresent: false, returnCode: 0 }) + big + gen({ cmd: "pingresp" }) + gen({ cmd: "puback", messageId: 5 });

  it("gives the same packets for every split of the stream into two and into single bytes", () => {
    const whole = decodeAll([stream]).got;
    expect(whole.map((p) => p.type)).toEqual([2, 3, 13, 4]);
    for (let cut = 0; cut <= stream.length; cut += 7) {
      expect(decodeAll([stream.slice(0, cut), stream.slice(cut)]).got).toEqual(whole);
    }
    const single = decodeAll(stream.split(""));
    expect(single.got).toEqual(whole);
    expect(single.counters).toEqual({ bytes: stream.length, packets: 4, rejected: 0, dropped: 0 });
  });

  it("an oversize packet is skipped whole, across chunks, and the next one is read", () => {
    const r = decodeAll([stream.slice(0, 10), stream.slice(10, 600), stream.slice(600)], 512);
    expect(r.got.map((p) => p.type)).toEqual([2, 13, 4]);
    expect(r.rejects).toEqual(["oversize"]);
    expect(r.counters.dropped).toBe(big.length);
  });

  it("a remaining length of five bytes loses the framing: counted, the rest dropped until reset", () => {
    const r = decodeAll([bin([0x20, 0x02, 0, 0]) + bin([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]) + bin([0xd0, 0x00])]);
    expect(r.got).toEqual([{ type: 2, id: 0, qos: 0, topic: "", data: "" }]);
    expect(r.rejects).toEqual(["length"]);
    r.d.push(bin([0xd0, 0x00]));
    expect(r.got).toHaveLength(1);
    r.d.reset();
    r.d.push(bin([0xd0, 0x00]));
    expect(r.got).toHaveLength(2);
    expect(r.counters.dropped).toBe(6 + 2 + 2);
  });

  it("refuses well-framed packets that break the rules it checks, and keeps reading", () => {
    const bad: [number[], string][] = [
      [[0x21, 0x02, 0x00, 0x00], "CONNACK with a reserved flag [MQTT-2.2.2-2]"],
      [[0x20, 0x03, 0x00, 0x00, 0x00], "CONNACK of 3 bytes"],
      [[0x36, 0x05, 0x00, 0x01, 0x61, 0x00, 0x01], "QoS 3 [MQTT-3.3.1-4]"],
      [[0x38, 0x03, 0x00, 0x01, 0x61], "DUP on QoS 0 [MQTT-3.3.1-2]"],
      [[0x34, 0x05, 0x00, 0x01, 0x61, 0x00, 0x01], "QoS 2: never subscribed to (3.8.4)"],
      [[0x32, 0x05, 0x00, 0x01, 0x61, 0x00, 0x00], "packet id 0 [MQTT-2.3.1-1]"],
      [[0x30, 0x02, 0x00, 0x00], "empty topic name [MQTT-4.7.3-1]"],
      [[0x30, 0x03, 0x00, 0x05, 0x61], "topic longer than the packet"],
      [[0x32, 0x04, 0x00, 0x01, 0x61, 0x00], "packet id beyond the packet"],
      [[0x30, 0x01, 0x00], "PUBLISH too short for a topic length"],
      [[0x40, 0x03, 0x00, 0x01, 0x00], "PUBACK of 3 bytes"],
      [[0x90, 0x02, 0x00, 0x01], "SUBACK without a return code"],
      [[0xd0, 0x01, 0x00], "PINGRESP with a body"],
      [[0xd2, 0x00], "PINGRESP with flags"],
      [[0x10, 0x00], "CONNECT is never sent to a client"],
      [[0x50, 0x02, 0x00, 0x01], "PUBREC: the client never sends QoS 2"],
      [[0x00, 0x00], "reserved type 0"],
      [[0xf0, 0x00], "reserved type 15"],
    ];
    for (const [bytes, what] of bad) expect(MQTT_REJECTS[parseOne(bytes)], what).toBe("malformed");
    const good = bin([0x40, 0x02, 0x00, 0x2a]);
    const r = decodeAll([bad.map(([b]) => bin(b)).join("") + good]);
    expect(r.rejects).toEqual(bad.map(() => "malformed"));
    expect(r.got).toEqual([{ type: 4, id: 42, qos: 0, topic: "", data: "" }]);
    expect(r.counters.rejected).toBe(bad.length);
  });

  it("refuses the out-of-spec fields a well-framed packet can carry: acknowledge flags, return codes, ids, topics", () => {
    const bad: [number[], string][] = [
      [[0x20, 0x02, 0x02, 0x00], "CONNACK acknowledge flag bit 1 reserved (3.2.2.1)"],
      [[0x20, 0x02, 0x80, 0x00], "CONNACK acknowledge flag bit 7 reserved (3.2.2.1)"],
      [[0x20, 0x02, 0x00, 0x06], "CONNACK return code 6 reserved (3.2.2.3)"],
      [[0x20, 0x02, 0x00, 0xff], "CONNACK return code 255 reserved (3.2.2.3)"],
      [[0x20, 0x02, 0x01, 0x05], "CONNACK session present with a refusal [MQTT-3.2.2-4]"],
      [[0x40, 0x02, 0x00, 0x00], "PUBACK with packet id 0 [MQTT-2.3.1-1]"],
      [[0x90, 0x03, 0x00, 0x00, 0x01], "SUBACK with packet id 0 [MQTT-2.3.1-1]"],
      [[0x90, 0x03, 0x00, 0x01, 0x03], "SUBACK return code 3 reserved [MQTT-3.9.3-2]"],
      [[0x90, 0x04, 0xff, 0xff, 0x01, 0x81], "SUBACK return code 0x81 reserved [MQTT-3.9.3-2]"],
      [[0x90, 0x04, 0xff, 0xff, 0x7f, 0x00], "SUBACK return code 0x7f reserved [MQTT-3.9.3-2]"],
      [[0x30, 0x03, 0x00, 0x01, 0x23], "topic name '#' [MQTT-3.3.2-2]"],
      [[0x30, 0x05, 0x00, 0x03, 0x61, 0x2f, 0x2b], "topic name 'a/+' [MQTT-3.3.2-2]"],
      [[0x30, 0x03, 0x00, 0x01, 0x00], "topic name U+0000 [MQTT-4.7.3-2]"],
      [[0x32, 0x07, 0x00, 0x03, 0x61, 0x00, 0x62, 0x00, 0x07], "QoS 1 topic name with U+0000 inside [MQTT-4.7.3-2]"],
    ];
    for (const [bytes, what] of bad) expect(MQTT_REJECTS[parseOne(bytes)], what).toBe("malformed");
    const r = decodeAll([bad.map(([b]) => bin(b)).join("")]);
    expect(r.rejects).toEqual(bad.map(() => "malformed"));
    expect(r.got).toEqual([]);
  });

  it("accepts every acknowledge flag, return code and SUBACK code the specification allows", () => {
    for (const bytes of [
      [0x20, 0x02, 0x00, 0x00], // accepted, no session
      [0x20, 0x02, 0x01, 0x00], // accepted, session present (3.2.2.2)
      ...[1, 2, 3, 4, 5].map((rc) => [0x20, 0x02, 0x00, rc]), // refusals, Table 3.1
      [0x40, 0x02, 0xff, 0xfe],
      [0x90, 0x06, 0xff, 0xff, 0x00, 0x01, 0x02, 0x80], // granted QoS 0, 1, 2 and failure (3.9.3)
      [0x30, 0x05, 0x00, 0x03, 0x61, 0x2f, 0x62], // topic a/b
    ])
      expect(parseOne(bytes), bytes.join(" ")).toBe(bytes[0]);
  });

  it("never throws on random bytes, and every byte is accounted for", () => {
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000);
    for (let run = 0; run < 200; run++) {
      const bytes = Array.from({ length: 1 + Math.floor(rnd() * 200) }, () => Math.floor(rnd() * 256));
      const d = createMqttDecoder(() => {}, undefined, 64);
      expect(() => {
        for (let i = 0; i < bytes.length; ) {
          const n = 1 + Math.floor(rnd() * 9);
          d.push(bin(bytes.slice(i, i + n)));
          i += n;
        }
      }).not.toThrow();
      expect(d.counters.bytes).toBe(bytes.length);
    }
  });

  it("a throwing packet handler loses nothing: the remaining packets come with the next chunk", () => {
    const seen: number[] = [];
    let first = true;
    const d = createMqttDecoder((p) => {
      seen.push(p.type);
      if (first) {
        first = false;
        throw new Error("handler failed");
      }
    });
    expect(() => d.push(bin([0xd0, 0x00, 0x40, 0x02, 0x00, 0x01]))).toThrow("handler failed");
    d.push("");
    expect(seen).toEqual([13, 4]);
  });
});
