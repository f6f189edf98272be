// External broker mode (mosquitto is the reference): the gateway holds a persistent QoS 1 session (clean: false,
// a fixed clientId) and acknowledges a message only after it is committed (docs/design.md guarantee 1).
// mqtt.js handles one received packet at a time: the next is parsed only once `handleMessage` calls back, and the
// PUBACK is written when it does (mqtt.js README, "handleMessage ... always call callback"). Waiting there for the
// commit would make each message one commit (one disk sync). So `handleMessage` calls back at once and the PUBACK
// it sends is held (`AckGate`, on the client's packet writer) until ingest has committed that message: the broker
// keeps sending up to its in-flight limit (mosquitto `max_inflight_messages`, default 20), ingest commits them
// together, and each PUBACK still follows the commit that holds its message, in arrival order [MQTT-4.6.0-2].
// A message not stored closes the connection without its PUBACK; PUBACKs held for a closed connection are dropped
// (the broker sends those messages again on the resumed session).
// The broker must keep what arrives while the gateway is away or busy: mosquitto needs `persistence true` and
// `max_queued_messages` raised well above its default of 1000 (docs/operator.md "An external
// broker"; checked in the tests).
// Authentication and topic ACLs of the nodes are the external broker's job (mosquitto password_file, acl_file).
import { readFileSync } from "node:fs";
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import { nodeTopics, topicRoot } from "../../firmware/protocol/topics";
import type { GatewayConfig } from "../config/load";
import { SettingsError } from "../config/settings-error";
import { gatewayAvailabilityTopic } from "../homeassistant/discovery";
import type { GatewayFeature } from "../events";
import type { GatewayCounters } from "../ingest/counters";
import type { Ingest } from "../ingest/ingest";
import { AckGate } from "./ack-gate";
import type { Publisher } from "./publisher";

/** The node topics the gateway reads (it publishes cmd and cfg itself and must not read them back). */
export const ingestFilters = [nodeTopics.birth, nodeTopics.state, nodeTopics.batch, nodeTopics.event, nodeTopics.ack].map((leaf) => topicRoot + "/+/+/" + leaf);

/**
 * The session the gateway holds on the external broker (also what the ingest benchmark's bare subscriber uses, so
 * that both see the same flow control).
 */
export function sessionOptions(clientId: string, receiveMaximum: number): IClientOptions {
  return {
    clientId,
    clean: false, // persistent session: the broker keeps our QoS 1 messages while we are away [MQTT-3.1.2-4]
    // MQTT 5: the receive maximum lets the broker have this many messages in flight to us (MQTT 5 §3.1.2.11.3;
    // under MQTT 3.1.1 mosquitto allows max_inflight_messages, 20 by default) while their PUBACKs wait for one commit
    protocolVersion: 5,
    // ... and clean: false keeps the session only with a session expiry interval (MQTT 5 §3.1.2.11.2): never expire
    properties: { receiveMaximum: Math.max(1, Math.min(65535, receiveMaximum)), sessionExpiryInterval: 0xffffffff },
  };
}

export class ExternalBroker implements GatewayFeature, Publisher {
  private client: MqttClient | undefined;

  constructor(
    private readonly config: GatewayConfig,
    private readonly ingest: Ingest,
    private readonly counters: GatewayCounters,
  ) {}

  async start(): Promise<void> {
    const b = this.config.broker;
    const opts: IClientOptions = {
      ...sessionOptions(b.clientId, b.concurrency),
      reconnectPeriod: 1000,
      connectTimeout: 10_000,
      username: b.username,
      password: b.password,
      ...(b.tls?.ca ? { ca: readFileSync(b.tls.ca) } : {}),
      ...(b.tls ? { cert: readFileSync(b.tls.cert), key: readFileSync(b.tls.key) } : {}),
    };
    // Home Assistant reads the gateway's availability: a will says "offline" when the connection ends without a
    // DISCONNECT (the gateway killed, its PC or link gone; MQTT 5 §3.1.2.5), and every CONNACK, the first and each
    // after a reconnect, says "online" again. A stop says "offline" itself (homeassistant/feature.ts), then
    // disconnects cleanly, which drops the will [MQTT-3.1.2-10].
    const ha = this.config.homeassistant;
    const presence = ha?.enabled ? gatewayAvailabilityTopic(ha) : undefined;
    if (presence) opts.will = { topic: presence, payload: Buffer.from("offline"), qos: 1, retain: true };
    const client = mqtt.connect(b.url as string, opts);
    this.client = client;
    if (presence) client.on("connect", () => client.publish(presence, "online", { qos: 1, retain: true }));
    const gate = new AckGate(client);
    client.handleMessage = (packet, callback) => {
      if (packet.cmd !== "publish") return callback();
      const payload = typeof packet.payload === "string" ? packet.payload : Buffer.from(packet.payload);
      const release = gate.hold(packet);
      const arrived = performance.now();
      this.ingest.submit({ clientId: "(external broker)", topic: packet.topic, payload, receivedAt: this.ingest.now(packet.topic) }, (err) => {
        // not stored: drop the connection without a PUBACK; the broker sends the message again after we reconnect
        if (err) gate.fail();
        else {
          release();
          if (packet.qos === 1) this.counters.pubackSeconds.observe((performance.now() - arrived) / 1000);
        }
      });
      callback(); // mqtt.js goes on with the next message; this one's PUBACK waits in the gate for the commit
    };
    client.on("connect", () => {
      this.connected = true;
    });
    client.on("close", () => {
      this.connected = false;
      gate.reset();
    });
    client.on("error", (e) => console.warn(`gateway: external broker ${b.url}: ${e.message}`));
    this.counters.gauges.clientsConnected = () => (this.connected ? 1 : 0);
    await new Promise<void>((resolve, reject) => {
      const fail = (e: Error) => {
        client.end(true);
        reject(new SettingsError("broker.url", `cannot connect to the external broker ${b.url} (${e.message})`, "start that broker, or set broker.url, broker.username and broker.password to one the gateway can log in to"));
      };
      client.once("error", fail);
      client.once("connect", (connack) => {
        client.off("error", fail);
        // a session the broker kept has our subscriptions already; subscribing again is harmless
        if (connack.sessionPresent) console.log(`gateway: resumed the session ${b.clientId} on ${b.url}`);
        client.subscribe(ingestFilters, { qos: 1 }, (err) => (err ? reject(err) : resolve()));
      });
    });
  }

  connected = false;

  get url(): string {
    return this.config.broker.url as string;
  }

  publish(topic: string, payload: string, opts: { qos: 0 | 1; retain: boolean }): Promise<void> {
    const client = this.client;
    if (!client) return Promise.reject(new Error("not connected to the external broker"));
    return client.publishAsync(topic, payload, { qos: opts.qos, retain: opts.retain }).then(() => undefined);
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    // end without force: PUBACKs already due are written first; unacknowledged messages stay with the broker
    if (client) await client.endAsync(false);
  }
}

/** Messages an external broker must be able to queue for the gateway's session while it restarts (at least). */
export const minQueuedMessages = 10000;

/**
 * The mosquitto settings that come closest to the embedded broker's promise (docs/security.md). mosquitto sends a
 * PUBACK before it writes the message to disk, and saves its in-memory database only every `autosave_interval`
 * seconds (default 1800) or at a clean stop: a crash loses every message acknowledged since the last save, and the
 * node has dropped them. `autosave_on_changes true` makes the interval a count of changes, so with 1 it saves after
 * each change: a crash then loses at most what was acknowledged but not yet saved (measured: the batch in flight).
 */
export const mosquittoSettings = ["persistence true", "max_queued_messages 100000", "autosave_on_changes true", "autosave_interval 1"];

/**
 * Problems in a mosquitto.conf for the gateway's session: persistence must be on (queued QoS 1 messages survive a
 * broker restart), saved after every change (they survive a crash) and max_queued_messages raised (mosquitto's default of 1000 drops messages under QoS 1 fan-in:
 * "Outgoing messages are being dropped for client ..."; docs/design.md guarantee 1).
 */
export function checkMosquittoConf(text: string): string[] {
  const lines = text.split(/\r?\n/).map((l) => l.replace(/#.*/, "").trim());
  const value = (key: string) => {
    let v: string | undefined;
    for (const l of lines) {
      const m = l.match(/^(\S+)\s+(.*)$/);
      if (m && m[1] === key) v = m[2].trim();
    }
    return v;
  };
  const out: string[] = [];
  if (value("persistence") !== "true") out.push("persistence: set `persistence true` so that queued messages survive a broker restart");
  const q = value("max_queued_messages");
  const n = q === undefined ? 1000 : Number(q);
  if (!(n === 0 || n >= minQueuedMessages))
    out.push(`max_queued_messages: is ${q ?? "1000 (default)"}; set it to ${minQueuedMessages} or more (0 = no limit) or mosquitto drops messages for the gateway`);
  if (value("autosave_on_changes") !== "true" || value("autosave_interval") !== "1")
    out.push("autosave_on_changes: set `autosave_on_changes true` and `autosave_interval 1`, or a mosquitto crash loses what it acknowledged since its last save (every 30 min by default)");
  return out;
}
