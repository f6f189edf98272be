// The gateway started in-process for a replay: the real Gateway (embedded aedes broker, ingest, SQLite, liveness),
// demo mode (anonymous controllers allowed, on loopback), a database in a temporary directory unless told, and
// optionally the HTTP API and dashboard. It can be stopped and started again on the same port and database
// (the "gateway-down" fault), and it gives the nodes the replay's virtual wall-clock time. `close()` stops it and
// removes the temporary directory it made (a database given by the caller stays).
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { Gateway } from "../../gateway/gateway";
import { defaultConfig, GatewayConfig } from "../../gateway/config/load";
import { ApiFeature } from "../../gateway/api/feature";
import { AlarmsFeature } from "../../gateway/alarms/feature";
import { CommandsFeature } from "../../gateway/commands/feature";
import { nodeTopic } from "../../firmware/protocol/topics";

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface EmbeddedGatewayOptions {
  dbPath?: string;
  brokerPort?: number;
  /** Start the HTTP API (and the dashboard when it is built) on this port (0: a free one). */
  apiPort?: number;
  apiHost?: string;
  /** Called for every batch the gateway committed and acknowledged. */
  onStored?: (node: string) => void;
  /** Virtual wall-clock time of a node (Unix s), sent to it after its birth when its clock is not set. */
  wallClock?: (node: string) => number | undefined;
  /** Commands (and so updates over the air) without the HTTP API; with apiPort they are there anyway. */
  commands?: boolean;
  /** storage.flushMs of the gateway (default 0: commit every event-loop turn). */
  flushMs?: number;
  /** storage.cacheMB of the gateway (default 64). */
  cacheMB?: number;
  /** storage.synchronous of the gateway (default OFF). */
  synchronous?: "FULL" | "NORMAL" | "OFF";
}

export class EmbeddedGateway {
  gateway: Gateway | undefined;
  readonly config: GatewayConfig;
  apiUrl: string | undefined;
  private api: ApiFeature | undefined;
  /** The commands feature, with the API (updates over the air are made on its command service). */
  commands: CommandsFeature | undefined;
  /** The directory made for the database when the caller gave none; removed by close(). */
  tempDir: string | undefined;

  private constructor(private readonly o: EmbeddedGatewayOptions, config: GatewayConfig) {
    this.config = config;
  }

  static async start(o: EmbeddedGatewayOptions = {}): Promise<EmbeddedGateway> {
    const config = defaultConfig();
    config.demo = true;
    config.broker.host = "127.0.0.1";
    config.broker.port = o.brokerPort ?? (await freePort());
    const tempDir = o.dbPath === undefined ? mkdtempSync(join(tmpdir(), "minigrid-replay-")) : undefined;
    config.storage.path = o.dbPath ?? join(tempDir!, "minigrid.db");
    // the replay sets the nodes' clocks to virtual time: no periodic sync from the host's clock
    config.liveness.timeSyncS = 2_000_000; // the most a Node timer holds (2^31 ms)
    // a replay's boards wait for each PUBACK in real time: commit at once, and without an fsync at all (OFF: a
    // commit is still written to the operating system at once, so it survives the gateway process being killed, a
    // gateway-down fault included; only a host power cut could lose the tail, and a replay does not model one). The
    // checkpoints' fsyncs under NORMAL cost a fleet's replay about a tenth of its CPU (docs/simulator.md "Speed")
    config.storage.flushMs = o.flushMs ?? 0;
    config.storage.synchronous = o.synchronous ?? "OFF";
    // a fleet's hot leaves (100 nodes x 38 channels) stay in the page cache: commits without reads
    config.storage.cacheMB = o.cacheMB ?? 64;
    const g = new EmbeddedGateway(o, config);
    g.tempDir = tempDir;
    try {
      await g.up();
    } catch (e) {
      await g.close();
      throw e;
    }
    return g;
  }

  setWallClock(f: (node: string) => number | undefined): void {
    this.o.wallClock = f;
  }

  get dbPath(): string {
    return this.config.storage.path;
  }

  get broker(): { host: string; port: number } {
    return { host: this.config.broker.host, port: this.config.broker.port };
  }

  get isUp(): boolean {
    return this.gateway !== undefined;
  }

  async up(): Promise<void> {
    if (this.gateway) return;
    // liveness gives the nodes their time: in a replay that is the virtual wall clock, or the nodes would mix the
    // host's time with the replay's
    const g = new Gateway(this.config, (node) => {
      const w = this.o.wallClock?.(node ?? "");
      return w === undefined ? Date.now() : w * 1000;
    });
    if (this.o.apiPort !== undefined) {
      const commands = (this.commands = new CommandsFeature(g));
      this.api = new ApiFeature(g, { api: { host: this.o.apiHost ?? "127.0.0.1", port: this.o.apiPort }, commands, log: () => {} });
      g.use(commands).use(new AlarmsFeature(g)).use(this.api);
    } else if (this.o.commands) g.use((this.commands = new CommandsFeature(g)));
    await g.start();
    if (this.api?.api) {
      this.o.apiPort = this.api.api.port; // the same port after a restart
      this.apiUrl = `http://${this.api.api.host}:${this.api.api.port}/`;
    }
    g.bus.on("batch.stored", (e) => this.o.onStored?.(`${e.site}/${e.node}`));
    this.gateway = g;
  }

  async down(): Promise<void> {
    const g = this.gateway;
    this.gateway = undefined;
    await g?.stop();
  }

  /** Stops the gateway and removes its temporary directory (database included), if it made one. */
  async close(): Promise<void> {
    await this.down();
    if (this.tempDir) rmSync(this.tempDir, { recursive: true, force: true });
    this.tempDir = undefined;
  }

  /** A time command to one node (also how a clock-jump fault sends a wrong time). */
  async sendTime(site: string, node: string, unix_s: number): Promise<void> {
    const g = this.gateway;
    if (!g) return;
    const t = Math.round(unix_s);
    // expiry far enough that neither the host's clock nor the virtual one has passed it
    const x = Math.max(t, Math.round(Date.now() / 1000)) + 400 * 86400;
    const cmd = { id: "s" + randomUUID().slice(0, 8), c: "time", x, a: { t } };
    try {
      await g.publisher.publish(nodeTopic(site, node, "command"), JSON.stringify(cmd), { qos: 1, retain: false });
    } catch {
      /* the node is offline: it gets the gateway's own time at its next birth */
    }
  }
}
