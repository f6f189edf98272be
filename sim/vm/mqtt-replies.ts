// How many answers a node's MQTT connection still waits for, counted from the bytes the net bridge sees go out and
// come in. The runner holds virtual time while an answer is due, so a PUBACK is matched with its own PUBLISH: with
// "any bytes back" as the test, a late SUBACK once satisfied the wait for a PUBLISH, virtual time ran on to the 30 s
// retransmission, and from then on every PUBACK arrived one publish late, doubling the traffic.
//
// Packets that get an answer (MQTT 3.1.1): CONNECT -> CONNACK (3.1, 3.2), PUBLISH with QoS 1 -> PUBACK (3.3.4),
// SUBSCRIBE -> SUBACK (3.8.4), UNSUBSCRIBE -> UNSUBACK (3.10.4), PINGREQ -> PINGRESP (3.12.4). Fixed header:
// type in the high nibble of byte 1, QoS in bits 2-1 of a PUBLISH; then the remaining length as a base-128
// varint of up to 4 bytes (2.2.3).

const ASKS = (first: number): boolean => {
  const type = first >> 4;
  return type === 1 || type === 8 || type === 10 || type === 12 || (type === 3 && ((first >> 1) & 3) > 0);
};
const ANSWERS = (first: number): boolean => {
  const type = first >> 4;
  return type === 2 || type === 4 || type === 9 || type === 11 || type === 13;
};

/** Splits a byte stream into MQTT packets, calling `onPacket` with each packet's bytes and where its body starts. */
class FrameSplitter {
  private buf: number[] = [];

  constructor(private onPacket: (first: number, packet: number[], bodyAt: number) => void) {}

  push(bytes: Uint8Array): void {
    for (const b of bytes) this.buf.push(b);
    for (;;) {
      let len = 0;
      let mul = 1;
      let i = 1;
      for (; i < this.buf.length && i <= 4; i++) {
        len += (this.buf[i] & 0x7f) * mul;
        mul *= 128;
        if ((this.buf[i] & 0x80) === 0) break;
      }
      if (i >= this.buf.length || i > 4) return; // header not complete yet (or not MQTT: nothing more is counted)
      const total = i + 1 + len;
      if (this.buf.length < total) return;
      this.onPacket(this.buf[0], this.buf, i + 1);
      this.buf.splice(0, total);
    }
  }
}

/** A batch's topic ends in /t (firmware/protocol/topics.ts). */
const BATCH_LEAF = [0x2f, 0x74];

export class MqttReplies {
  private due = 0;
  /** QoS 1 PUBLISHes of batches not acknowledged yet: packet id -> the batch's "boot:seq" (its payload's b and s). */
  private batchIds = new Map<number, string>();
  /** Told of each PUBACK received for a batch ("boot:seq"): the node's queue lets it go from its flash (3.3.4). */
  onBatchAck?: (key: string) => void;
  private out = new FrameSplitter((first, p, at) => {
    if (ASKS(first)) this.due++;
    if (first >> 4 !== 3 || ((first >> 1) & 3) === 0) return;
    // PUBLISH variable header: topic (2-byte length, UTF-8), then the packet id for QoS > 0 (3.3.2)
    const len = (p[at] << 8) | p[at + 1];
    const end = at + 2 + len;
    if (len < 2 || p[end - 2] !== BATCH_LEAF[0] || p[end - 1] !== BATCH_LEAF[1]) return;
    // the batch's key from the start of its JSON payload (firmware/protocol/messages.ts: b boot, s first seq)
    const head = String.fromCharCode(...p.slice(end + 2, Math.min(p.length, end + 2 + 64)));
    const b = /"b":(\d+)/.exec(head);
    const sq = /"s":(\d+)/.exec(head);
    this.batchIds.set((p[end] << 8) | p[end + 1], b && sq ? `${b[1]}:${sq[1]}` : "?");
  });
  private in = new FrameSplitter((first, p, at) => {
    if (ANSWERS(first) && this.due > 0) this.due--;
    if (first >> 4 !== 4) return;
    // PUBACK: the packet id of the PUBLISH it answers (3.4.2)
    const id = (p[at] << 8) | p[at + 1];
    const key = this.batchIds.get(id);
    if (key === undefined) return;
    this.batchIds.delete(id);
    this.onBatchAck?.(key);
  });

  sent(bytes: Uint8Array): void {
    this.out.push(bytes);
  }

  received(bytes: Uint8Array): void {
    this.in.push(bytes);
  }

  /** Answers still due on this connection. */
  get pending(): number {
    return this.due;
  }
}
