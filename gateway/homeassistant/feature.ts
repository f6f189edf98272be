// Home Assistant MQTT discovery as a gateway feature: `gateway.use(new HomeAssistantFeature(gateway, config))`.
// Switched on, it publishes (retained, QoS 1, through whichever broker the gateway uses) a discovery config per
// channel of every node, each channel's newest value on its state topic, each node's availability from its
// online/offline state, and the gateway's own availability ("offline" when it stops). A birth that drops a channel
// removes its config (an empty retained message, HA's way to delete a discovered entity); switched off, everything
// it ever published is removed at the next start. What it published is kept in the table ha_retained, so that a
// restart with other settings can still remove it from a broker that keeps retained messages (mosquitto).
import type { GatewayFeature } from "../events";
import { Subscriptions } from "../events";
import { GatewayParts, startedDb } from "../parts";
import { stmt, type Db } from "../storage/db";
import type { HomeAssistantConfig } from "./config";
import { availabilityTopic, discoveryConfigs, gatewayAvailabilityTopic, stateTopic, statePayload, type DiscoveryTopics, type Retained } from "./discovery";

type Kind = "config" | "state" | "availability";

export class HomeAssistantFeature implements GatewayFeature {
  private readonly subs = new Subscriptions();
  private db: Db | undefined;
  /** The payload last published per topic (states are published when they change). */
  private readonly last = new Map<string, string>();
  /** Topics recorded in ha_retained (a state's every change costs no write). */
  private readonly recorded = new Set<string>();
  private readonly topics: DiscoveryTopics;
  /** Publishes the broker refused or failed (logged once each). */
  failures = 0;
  private pending: Promise<void>[] = [];

  constructor(
    private readonly gw: GatewayParts,
    private readonly cfg: HomeAssistantConfig,
    private readonly o: { version: string; log?: (line: string) => void },
  ) {
    this.topics = { discoveryPrefix: cfg.discoveryPrefix, stateTopic: cfg.stateTopic, version: o.version };
  }

  async start(): Promise<void> {
    const db = (this.db = startedDb(this.gw, "Home Assistant discovery"));
    db.exec("CREATE TABLE IF NOT EXISTS ha_retained(topic TEXT PRIMARY KEY, site TEXT NOT NULL, node TEXT NOT NULL, kind TEXT NOT NULL)");
    for (const r of stmt(db, "SELECT topic FROM ha_retained").all() as { topic: string }[]) this.recorded.add(r.topic);
    if (!this.cfg.enabled) {
      const rows = stmt(db, "SELECT topic FROM ha_retained").all() as { topic: string }[];
      for (const r of rows) this.remove(r.topic);
      if (rows.length) this.o.log?.(`Home Assistant discovery is off: removed the ${rows.length} retained messages it had published`);
      await this.settled();
      return;
    }
    // what an earlier run published under other prefixes (the settings changed) goes first
    for (const r of stmt(db, "SELECT topic FROM ha_retained").all() as { topic: string }[])
      if (!r.topic.startsWith(this.cfg.discoveryPrefix + "/") && !r.topic.startsWith(this.cfg.stateTopic + "/")) this.remove(r.topic);
    this.put(gatewayAvailabilityTopic(this.topics), "online", "_gw", "_gw", "availability");
    const nodes = stmt(db, "SELECT site, node FROM nodes ORDER BY site, node").all() as { site: string; node: string }[];
    for (const n of nodes) this.sync(n.site, n.node);
    this.subs.on(this.gw.bus, "node.birth", (e) => this.sync(e.site, e.node));
    this.subs.on(this.gw.bus, "batch.stored", (e) => this.states(e.site, e.node));
    this.subs.on(this.gw.bus, "node.state", (e) => this.put(availabilityTopic(this.topics, e.site, e.node), e.online ? "online" : "offline", e.site, e.node, "availability"));
    await this.settled();
  }

  async stop(): Promise<void> {
    this.subs.clear();
    if (this.cfg.enabled && this.db) this.put(gatewayAvailabilityTopic(this.topics), "offline", "_gw", "_gw", "availability");
    await this.settled();
    this.db = undefined;
  }

  /** Resolves once every publish so far has been handed to the broker (tests, stop). */
  async settled(): Promise<void> {
    const p = this.pending;
    this.pending = [];
    await Promise.all(p);
  }

  /** A node's configs as its channel table now is, the configs and states of channels it no longer has removed. */
  private sync(site: string, node: string): void {
    const db = this.db!;
    const n = stmt(db, "SELECT fw, board, online FROM nodes WHERE site = ? AND node = ?").get(site, node) as { fw: string | null; board: string | null; online: number } | undefined;
    if (!n) return;
    const channels = stmt(db, "SELECT channel_id AS id, key, agg FROM channels WHERE site = ? AND node = ? ORDER BY channel_id").all(site, node) as { id: number; key: string; agg: string }[];
    const configs = discoveryConfigs({ site, node, fw: n.fw, board: n.board, channels }, this.topics);
    const keep = new Set<string>([availabilityTopic(this.topics, site, node), ...configs.map((c) => c.topic), ...channels.map((c) => stateTopic(this.topics, site, node, c.key, c.agg))]);
    for (const r of stmt(db, "SELECT topic FROM ha_retained WHERE site = ? AND node = ?").all(site, node) as { topic: string }[]) if (!keep.has(r.topic)) this.remove(r.topic);
    this.put(availabilityTopic(this.topics, site, node), n.online === 1 ? "online" : "offline", site, node, "availability");
    for (const c of configs) this.put(c.topic, c.payload, site, node, "config");
    this.states(site, node);
  }

  /** Each channel's newest value on its state topic, where it changed. */
  private states(site: string, node: string): void {
    const db = this.db!;
    const channels = stmt(db, "SELECT channel_id, key, agg FROM channels WHERE site = ? AND node = ?").all(site, node) as { channel_id: number; key: string; agg: string }[];
    const last = stmt(db, "SELECT ts, value, quality FROM samples WHERE site = ? AND node = ? AND channel_id = ? ORDER BY ts DESC LIMIT 1");
    for (const c of channels) {
      const s = last.get(site, node, c.channel_id) as { ts: number; value: number | null; quality: string } | undefined;
      if (!s) continue;
      this.put(stateTopic(this.topics, site, node, c.key, c.agg), statePayload(s.value, s.quality, s.ts), site, node, "state");
    }
  }

  private put(topic: string, payload: string, site: string, node: string, kind: Kind): void {
    if (this.last.get(topic) === payload) return;
    this.last.set(topic, payload);
    if (!this.recorded.has(topic)) {
      stmt(this.db!, "INSERT OR IGNORE INTO ha_retained(topic, site, node, kind) VALUES(?, ?, ?, ?)").run(topic, site, node, kind);
      this.recorded.add(topic);
    }
    this.send({ topic, payload });
  }

  /** An empty retained message deletes the retained one (MQTT 3.1.1 3.3.1.3), and HA removes a config's entity. */
  private remove(topic: string): void {
    this.last.delete(topic);
    this.recorded.delete(topic);
    stmt(this.db!, "DELETE FROM ha_retained WHERE topic = ?").run(topic);
    this.send({ topic, payload: "" });
  }

  private send(m: Retained): void {
    let p: Promise<void>;
    try {
      p = this.gw.publisher.publish(m.topic, m.payload, { qos: 1, retain: true });
    } catch (e) {
      p = Promise.reject(e);
    }
    this.pending.push(
      p.catch((e: Error) => {
        if (this.failures++ === 0) this.o.log?.(`Home Assistant discovery: publishing ${m.topic} failed: ${e.message}`);
      }),
    );
    if (this.pending.length > 10_000) void this.settled();
  }
}
