// Store and forward over MQTT (DESIGN.md guarantee 1): every batch is in the flash queue before it is published,
// and leaves the queue only on its PUBACK. The live batch goes first; backlog (oldest first, marked historical)
// fills the rest of the in-flight window, so an outage drains while live data keeps flowing.
import { createMqttClient, MqttClient, MqttConnectFn } from "./mqtt/client";
import { FlashQueue } from "./queue/flash-queue";
import { QueueItem } from "./queue/types";
import { nodeTopic } from "../protocol/topics";
import { NodeSettings } from "./node-settings";

export interface UplinkOptions {
  settings: NodeSettings;
  queue: FlashQueue;
  /** The birth payload, made fresh at every connection (clock state and uptime change). */
  birth: () => string;
  onMessage: (topic: string, payload: string) => void;
  connect?: MqttConnectFn;
  time: () => number;
  rand?: () => number;
  window?: number;
}

export class Uplink {
  mqtt: MqttClient;
  /** Keys "b.s" of the batches the client holds in flight. */
  fl: { [key: string]: boolean } = {};
  nfl = 0;
  sent = 0;
  acked = 0;
  private o: UplinkOptions;
  private batchTopic: string;

  constructor(o: UplinkOptions) {
    this.o = o;
    const s = o.settings;
    this.batchTopic = nodeTopic(s.site, s.node, "batch");
    this.mqtt = createMqttClient({
      host: s.broker.host,
      port: s.broker.port,
      id: s.site + "." + s.node,
      user: s.broker.user,
      pass: s.broker.pass,
      will: { topic: nodeTopic(s.site, s.node, "state"), msg: "offline", qos: 1, retain: true },
      subs: [nodeTopic(s.site, s.node, "command"), nodeTopic(s.site, s.node, "config")],
      // longer than two reports: every report and its PUBACK already prove the link (3.1.2.10), so a PINGREQ only
      // goes out when reports stop, and a cellular link does not pay for a ping round trip every minute
      keepalive_s: Math.min(1800, Math.max(120, 2 * s.report_s)),
      window: (o.window || 4) + 2,
      connect: o.connect,
      time: o.time,
      rand: o.rand,
      onConnect: () => this.online(),
      onMessage: o.onMessage,
    });
  }

  // The first connection is opened from a timer, outside the boot's call chain: a net.connect that throws (refused
  // on Linux) gets a stack with the source text of every frame, and the boot's outermost frame is the whole
  // program, which on a build with a Pico's 5,100 variables ran out of memory.
  start(): void {
    setTimeout(() => this.mqtt.start(), 0);
  }

  private online(): void {
    const s = this.o.settings;
    // in flight before the drop: the client sends them again itself (DUP, same packet id)
    this.mqtt.publish(nodeTopic(s.site, s.node, "birth"), this.o.birth(), { qos: 1, retain: true });
    this.mqtt.publish(nodeTopic(s.site, s.node, "state"), "online", { qos: 1, retain: true });
    this.pump();
  }

  /** Publish what the window has room for: the live batch first, then the oldest backlog. */
  pump(): void {
    if (this.mqtt.state() !== 2) return;
    const win = this.o.window || 4;
    const live = this.o.queue.live();
    if (live && this.nfl < win) this.send(live);
    if (this.nfl >= win) return;
    const items = this.o.queue.next(win + this.nfl);
    for (let i = 0; i < items.length && this.nfl < win; i++) this.send(items[i]);
  }

  private send(it: QueueItem): void {
    const key = it.b + "." + it.s;
    if (this.fl[key]) return;
    const ok = this.mqtt.publish(this.batchTopic, it.t, { qos: 1 }, () => {
      delete this.fl[key];
      this.nfl--;
      this.acked++;
      this.o.queue.ack(it.b, it.s, it.e);
      this.pump();
    });
    if (ok) {
      this.fl[key] = true;
      this.nfl++;
      this.sent++;
    }
  }

  /** Publish a small message (event, ack) at QoS 1; false when the link is down (events are best effort). */
  publish(kind: "event" | "ack" | "birth", payload: string): boolean {
    const s = this.o.settings;
    return this.mqtt.publish(nodeTopic(s.site, s.node, kind), payload, { qos: 1, retain: kind === "birth" });
  }
}
