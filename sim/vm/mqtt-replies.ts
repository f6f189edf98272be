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

/** Splits a byte stream into MQTT packets, calling `onPacket` with each packet's first byte. */
class FrameSplitter {
  private buf: number[] = [];

  constructor(private onPacket: (first: number) => void) {}

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
      this.onPacket(this.buf[0]);
      this.buf.splice(0, total);
    }
  }
}

export class MqttReplies {
  private due = 0;
  private out = new FrameSplitter((first) => {
    if (ASKS(first)) this.due++;
  });
  private in = new FrameSplitter((first) => {
    if (ANSWERS(first) && this.due > 0) this.due--;
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
