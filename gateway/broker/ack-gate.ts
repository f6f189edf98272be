// Holds the PUBACKs mqtt.js writes for received QoS 1 messages until the gateway has committed each message
// (external.ts). mqtt.js sends a PUBACK through its packet writer `_sendPacket(packet, cb, ...)` once
// `handleMessage` calls back (mqtt 5.x, lib/handlers/publish.ts); the gate wraps that writer: a PUBACK for a held
// message id waits until `release()`, everything else passes. The writer's callback is called at once, so mqtt.js
// parses the next packet meanwhile. A new connection starts empty: PUBACKs held for a closed one are dropped.
import type { IPublishPacket, MqttClient, Packet } from "mqtt";

type Send = (packet: Packet, cb?: (err?: Error) => void, ...rest: unknown[]) => void;

interface Entry {
  committed: boolean;
  send?: () => void;
}

export class AckGate {
  private held = new Map<number, Entry>();

  constructor(private readonly client: MqttClient) {
    const c = client as unknown as { _sendPacket?: Send };
    if (typeof c._sendPacket !== "function") throw new Error("this mqtt.js has no _sendPacket: the PUBACK gate needs mqtt 5.x");
    const send = c._sendPacket.bind(client);
    c._sendPacket = (packet, cb, ...rest) => {
      const id = packet.cmd === "puback" ? packet.messageId : undefined;
      const e = id === undefined ? undefined : this.held.get(id);
      if (!e || e.committed) {
        if (e) this.held.delete(id as number);
        send(packet, cb, ...rest);
        return;
      }
      e.send = () => send(packet, undefined, ...rest);
      cb?.();
    };
  }

  /** Hold the PUBACK of this QoS 1 message; returns what releases it (call after its commit). */
  hold(packet: IPublishPacket): () => void {
    const id = packet.messageId;
    if (packet.qos !== 1 || id === undefined) return () => undefined;
    const e: Entry = { committed: false };
    this.held.set(id, e);
    return () => {
      if (this.held.get(id) !== e) return; // its connection closed: the broker sends the message again
      e.committed = true;
      if (e.send) {
        this.held.delete(id);
        e.send();
      }
    };
  }

  /** A message could not be stored: close the connection, so that nothing after it is acknowledged. */
  fail(): void {
    this.reset();
    this.client.stream?.destroy();
  }

  /** The connection closed: its held PUBACKs are void. */
  reset(): void {
    this.held = new Map();
  }

  /** PUBACKs waiting for a commit (for tests and the queue gauge). */
  get size(): number {
    return this.held.size;
  }
}
