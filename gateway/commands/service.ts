// Commands to nodes and their desired configuration. A command {id, c, x, a} is stored in `commands`, published on
// mg/v1/<site>/<node>/cmd (QoS 1, never retained: a node must not act on a stale command after a reconnect), and
// completed by the node's ack (node.ack on the bus). Desired config is stored in desired_config and published
// retained on .../cfg, so a node that connects later still receives it; the node reports what it applied in birth.
// A configuration (desired, or a cfg command) is checked first against the node's settings schema (cli/settings/),
// for the board its birth names, merged over what it applied: an invalid one is refused and nothing is published.
import { randomBytes } from "node:crypto";
import { checkNodeConfig } from "../../cli/settings/check";
import { findBoard } from "../../firmware/boards/index";
import type { AckPayload, CommandName, CommandPayload } from "../../firmware/protocol/messages";
import { checkCommand } from "../../firmware/protocol/validate";
import { nodeTopic } from "../../firmware/protocol/topics";
import { Db, stmt } from "../storage/db";
import type { Publish } from "../broker/publisher";
import { EventBus, GatewayFeature, Subscriptions } from "../events";
import type { ConfigStateReply } from "../../contracts/gateway-api";

export interface CommandRecord {
  id: string;
  site: string;
  node: string;
  name: CommandName;
  args: { [k: string]: any } | null;
  created_at: number;
  expires_at: number;
  acked_at: number | null;
  ok: boolean | null;
  result: any;
  /** pending until acked; expired when its expiry passed without an ack. */
  state: "pending" | "ok" | "failed" | "expired";
}

export interface DesiredConfig {
  site: string;
  node: string;
  config: { [k: string]: any };
  updated_at: number;
}

/** A command was sent or answered: on the bus as "command" (the API's live events pass it on). */
export interface CommandEvent {
  command: CommandRecord;
}

declare module "../events" {
  interface GatewayEvents {
    command: CommandEvent;
  }
}

/** A configuration the node's settings schema refuses: every problem as "key: what is wrong; the fix". */
export class ConfigRefused extends Error {
  constructor(readonly errors: string[]) {
    super("refused, nothing published: " + errors.join("; "));
  }
}

export interface CommandServiceOptions {
  db: Db;
  bus: EventBus;
  publish: Publish;
  now?: () => number;
}

/** Default time to live of a command, s. */
export const defaultTtl_s = 300;

interface Row {
  id: string;
  site: string;
  node: string;
  name: string;
  args: string | null;
  created_at: number;
  expires_at: number;
  acked_at: number | null;
  ok: number | null;
  result: string | null;
}

function parse(s: string | null): any {
  if (s === null) return null;
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
}

export class CommandService implements GatewayFeature {
  private readonly subs = new Subscriptions();
  /** Acks whose id matches no command of that node (late, foreign or invented). */
  unknownAcks = 0;

  constructor(private readonly o: CommandServiceOptions) {}

  start(): void {
    this.subs.on(this.o.bus, "node.ack", (e) => this.recordAck(e.site, e.node, e.ack));
  }

  stop(): void {
    this.subs.clear();
  }

  private now(): number {
    return this.o.now ? this.o.now() : Date.now();
  }

  /** Store and publish a command. Throws on a payload the contract refuses (unknown name, bad ttl). */
  async send(site: string, node: string, c: string, a: { [k: string]: any } | undefined, ttl_s = defaultTtl_s): Promise<CommandRecord> {
    if (!(ttl_s > 0 && ttl_s <= 7 * 86400)) throw new RangeError("ttl_s must be between 1 s and 7 days");
    const now = this.now();
    const payload: CommandPayload = { id: randomBytes(5).toString("hex"), c: c as CommandName, x: Math.floor(now / 1000) + Math.round(ttl_s) };
    if (a !== undefined) payload.a = a;
    if (c === "cfg") this.checkConfig(site, node, a ?? {});
    const checked = checkCommand(payload);
    if (!checked.ok) throw new RangeError(checked.detail);
    stmt(this.o.db, "INSERT INTO commands (id, site, node, name, args, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)")
      .run(payload.id, site, node, payload.c, a === undefined ? null : JSON.stringify(a), now, payload.x * 1000);
    await this.o.publish(nodeTopic(site, node, "command"), JSON.stringify(payload), { qos: 1, retain: false });
    const rec = this.get(payload.id)!;
    this.o.bus.emit("command", { command: rec });
    return rec;
  }

  /** Record a node's ack (the first answer counts); an ack for an unknown id or another node's command is counted, not stored. */
  recordAck(site: string, node: string, ack: AckPayload): CommandRecord | undefined {
    const r = stmt(this.o.db, "UPDATE commands SET acked_at = ?, ok = ?, result = ? WHERE id = ? AND site = ? AND node = ? AND acked_at IS NULL")
      .run(this.now(), ack.ok ? 1 : 0, ack.r === undefined ? null : JSON.stringify(ack.r), ack.id, site, node);
    // the gateway's ingest may have recorded the ack in the same store before announcing it: that counts as recorded
    const rec = this.get(ack.id);
    if (!rec || rec.site !== site || rec.node !== node || (r.changes === 0 && rec.acked_at === null)) {
      this.unknownAcks++;
      return undefined;
    }
    this.o.bus.emit("command", { command: rec });
    return rec;
  }

  get(id: string): CommandRecord | undefined {
    const row = stmt(this.o.db, "SELECT * FROM commands WHERE id = ?").get(id) as Row | undefined;
    return row && this.record(row);
  }

  /** The newest commands of a node. */
  list(site: string, node: string, limit = 50): CommandRecord[] {
    const rows = stmt(this.o.db, "SELECT * FROM commands WHERE site = ? AND node = ? ORDER BY created_at DESC LIMIT ?").all(site, node, limit) as Row[];
    return rows.map((r) => this.record(r));
  }

  private record(r: Row): CommandRecord {
    const state = r.acked_at !== null ? (r.ok ? "ok" : "failed") : r.expires_at <= this.now() ? "expired" : "pending";
    return { ...r, name: r.name as CommandName, args: parse(r.args), ok: r.ok === null ? null : r.ok === 1, result: parse(r.result), state };
  }

  /**
   * The node's board and applied settings as its last birth reports them (bd, cfg); the board is undefined before
   * a birth, or for a board this gateway does not know (then only types and ranges are checked); `born` once the
   * node has sent a birth.
   */
  nodeFacts(site: string, node: string): { board?: string; applied: { [k: string]: any }; born: boolean } {
    const r = stmt(this.o.db, "SELECT birth_json FROM nodes WHERE site = ? AND node = ?").get(site, node) as { birth_json: string | null } | undefined;
    let birth: any;
    try {
      birth = r?.birth_json ? JSON.parse(r.birth_json) : undefined;
    } catch {
      birth = undefined;
    }
    const applied = birth && birth.cfg && typeof birth.cfg === "object" ? birth.cfg : {};
    return { board: typeof birth?.bd === "string" ? birth.bd : undefined, applied, born: !!r?.birth_json };
  }

  /** Throws ConfigRefused when the node's settings schema refuses `config` for this node. */
  checkConfig(site: string, node: string, config: unknown): void {
    const facts = this.nodeFacts(site, node);
    const r = checkNodeConfig(config, facts.board === undefined ? undefined : findBoard(facts.board), facts.applied);
    if (!r.ok) throw new ConfigRefused(r.errors);
  }

  /** Replace a node's desired configuration, and publish it retained on its cfg topic; ConfigRefused when invalid. */
  async setDesiredConfig(site: string, node: string, config: { [k: string]: any }): Promise<DesiredConfig> {
    this.checkConfig(site, node, config);
    const now = this.now();
    const text = JSON.stringify(config);
    stmt(this.o.db, "INSERT INTO desired_config (site, node, config, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT(site, node) DO UPDATE SET config = excluded.config, updated_at = excluded.updated_at")
      .run(site, node, text, now);
    await this.o.publish(nodeTopic(site, node, "config"), text, { qos: 1, retain: true });
    return { site, node, config, updated_at: now };
  }

  /** Desired, applied, and the node's last refusal and trial (contracts/gateway-api.ts ConfigStateReply). */
  configState(site: string, node: string): ConfigStateReply {
    const desired = this.getDesiredConfig(site, node);
    const facts = this.nodeFacts(site, node);
    const applied = facts.born ? facts.applied : null;
    const last = (code: string) =>
      stmt(this.o.db, "SELECT ts, detail FROM events WHERE site = ? AND node = ? AND code = ? ORDER BY id DESC LIMIT 1").get(site, node, code) as
        { ts: number; detail: string | null } | undefined;
    const detail = (r: { detail: string | null }): any => {
      try {
        return r.detail ? JSON.parse(r.detail) : {};
      } catch {
        return {};
      }
    };
    const refused = last("cfg.refused");
    const trial = last("cfg.trial");
    const pending = desired ? Object.keys(desired.config).filter((k) => JSON.stringify(desired.config[k]) !== JSON.stringify(applied?.[k])) : [];
    return {
      site,
      node,
      desired: desired ? desired.config : null,
      desired_at: desired ? desired.updated_at : null,
      applied,
      pending,
      refused: refused ? { ts: refused.ts, why: String(detail(refused).why ?? "") } : null,
      trial: trial ? { ts: trial.ts, ok: !!detail(trial).ok } : null,
    };
  }

  getDesiredConfig(site: string, node: string): DesiredConfig | undefined {
    const r = stmt(this.o.db, "SELECT * FROM desired_config WHERE site = ? AND node = ?").get(site, node) as { site: string; node: string; config: string; updated_at: number } | undefined;
    return r && { site: r.site, node: r.node, config: JSON.parse(r.config), updated_at: r.updated_at };
  }
}
