// The net bridge holds virtual time while an MQTT answer is due: counted per packet, across TCP chunks.
import { describe, expect, it } from "vitest";
import { MqttReplies } from "../../sim/vm/mqtt-replies";
import { encodeConnect, encodePublish, encodePuback, encodeSubscribe } from "../../firmware/app/mqtt/packets";

const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

describe("MQTT answers due on a connection", () => {
  it("counts CONNECT, QoS 1 PUBLISH and SUBSCRIBE as asking; QoS 0 and PUBACK as not", () => {
    const r = new MqttReplies();
    r.sent(bytes(encodeConnect({ id: "n", clean: true }, 60)));
    r.sent(bytes(encodePublish("a/b", "x".repeat(300), 2, 7) + encodeSubscribe(8, ["a/#"])));
    r.sent(bytes(encodePublish("a/c", "y", 0, 0) + encodePuback(3)));
    expect(r.pending).toBe(3);
  });

  it("an answer split across chunks counts once it is whole; a late answer does not stand for a newer request", () => {
    const r = new MqttReplies();
    r.sent(bytes(encodePublish("a/b", "1", 2, 1)));
    r.sent(bytes(encodePublish("a/b", "2", 2, 2)));
    const ack = bytes(encodePuback(1));
    r.received(ack.subarray(0, 1));
    expect(r.pending).toBe(2);
    r.received(ack.subarray(1));
    expect(r.pending).toBe(1); // PUBACK 1 came; PUBLISH 2 still waits
    r.received(bytes(encodePuback(2) + encodePuback(2)));
    expect(r.pending).toBe(0); // never below zero
  });

  it("a 1,200-byte publish (two-byte remaining length) goes out in pieces and is one request", () => {
    const r = new MqttReplies();
    const p = bytes(encodePublish("a/b", "z".repeat(1200), 2, 9));
    r.sent(p.subarray(0, 2));
    r.sent(p.subarray(2, 700));
    r.sent(p.subarray(700));
    expect(r.pending).toBe(1);
  });

  it("tells of the PUBACKs of batch publishes (topic .../t) by packet id, with the batch's boot:seq; others are not batches", () => {
    const r = new MqttReplies();
    const acks: string[] = [];
    r.onBatchAck = (k) => acks.push(k);
    const big = JSON.stringify({ b: 3, s: 41, e: 44, t: 1, ts: 1, i: 60, r: [["z".repeat(1200)]] });
    r.sent(bytes(encodePublish("mg/v1/s1/n1/t", JSON.stringify({ b: 3, s: 40, ts: 1 }), 2, 11) + encodePublish("mg/v1/s1/n1/evt", "{}", 2, 12)));
    r.sent(bytes(encodePublish("mg/v1/s1/n1/t", big, 2, 300) + encodePublish("mg/v1/s1/n1/t", "q0", 0, 0)));
    r.received(bytes(encodePuback(12)));
    expect(acks).toEqual([]);
    const ack = bytes(encodePuback(300) + encodePuback(11));
    r.received(ack.subarray(0, 5));
    expect(acks).toEqual(["3:41"]); // 300 whole, 11 not yet
    r.received(ack.subarray(5));
    expect(acks).toEqual(["3:41", "3:40"]);
    r.received(bytes(encodePuback(11))); // a repeated PUBACK: its publish was answered already
    expect(acks).toEqual(["3:41", "3:40"]);
  });
});
