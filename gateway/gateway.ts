// The gateway service: opens the store, starts ingest, the broker (embedded or external) and liveness, and stops
// them in reverse order (the broker stops taking messages, ingest commits what it holds, then the store closes).
// Other features (alarms, API, commands, uplink) start on the same bus with `gateway.bus`, `gateway.store`,
// `gateway.publisher` and `gateway.counters`.
import { EmbeddedBroker } from "./broker/embedded";
import { ExternalBroker } from "./broker/external";
import type { Publisher } from "./broker/publisher";
import type { GatewayConfig } from "./config/load";
import { SettingsError } from "./config/settings-error";
import { EventBus, GatewayFeature } from "./events";
import { GatewayCounters } from "./ingest/counters";
import { Ingest } from "./ingest/ingest";
import { Liveness } from "./liveness/liveness";
import { Store } from "./storage/store";

export class Gateway {
  readonly bus = new EventBus();
  readonly counters = new GatewayCounters();
  store: Store | undefined;
  broker: EmbeddedBroker | ExternalBroker | undefined;
  ingest: Ingest | undefined;
  liveness: Liveness | undefined;
  private readonly extras: GatewayFeature[] = [];
  private started: GatewayFeature[] = [];

  /**
   * `now` is the clock liveness judges silence by and gives the nodes their time from (Unix ms); a simulation
   * passes its virtual wall clock, everything else the host's. Asked with a node ("site/node"), a simulation
   * answers with that node's own virtual time.
   */
  constructor(
    readonly config: GatewayConfig,
    private readonly now: (node?: string) => number = () => Date.now(),
  ) {}

  get publisher(): Publisher {
    if (!this.broker) throw new Error("gateway not started");
    return this.broker;
  }

  /** A feature started after the core parts and stopped before them. */
  use(feature: GatewayFeature): this {
    this.extras.push(feature);
    return this;
  }

  async start(): Promise<void> {
    const c = this.config;
    const store = (this.store = openStore(c));
    const allowed = new Set(c.nodes.map((n) => n.site + "/" + n.node));
    const external = c.broker.mode === "external";
    const ingest = (this.ingest = new Ingest(store, this.bus, this.counters, {
      // external: PUBACKs are held until the commit on every event-loop turn (a timer measured slower)
      flushMs: external ? 0 : c.storage.flushMs,
      maxBatch: c.storage.maxBatch,
      isKnown: (site, node) => c.demo || allowed.has(site + "/" + node),
      now: this.now,
    }));
    const broker = (this.broker = external ? new ExternalBroker(c, ingest, this.counters) : new EmbeddedBroker(c, ingest, this.bus, this.counters));
    this.liveness = new Liveness(store, this.bus, broker, this.counters, c.liveness, this.now);
    this.counters.loopLag.start();
    try {
      for (const f of [ingest, this.liveness, broker, ...this.extras]) {
        await f.start();
        this.started.push(f);
      }
    } catch (e) {
      await this.stop();
      throw e;
    }
  }

  /** Whether the broker is up: listening (embedded) or connected (external); GET /api/health. */
  readonly brokerUp = (): boolean => {
    const b = this.broker;
    if (!b) return false;
    return b instanceof ExternalBroker ? b.connected : b.listening;
  };

  /** Where the broker listens (embedded) or which broker it reads (external). */
  get brokerUrl(): string {
    return this.broker?.url ?? "";
  }

  async stop(): Promise<void> {
    const started = this.started;
    this.started = [];
    // extras first, then the broker (no new messages), liveness, and ingest last (commits what it holds)
    const order = [...started].reverse().sort((a, b) => rank(this, a) - rank(this, b));
    for (const f of order) {
      // commit and acknowledge what is queued while the clients are still connected
      if (f === this.broker) this.ingest?.flush();
      try {
        await f.stop();
      } catch (e) {
        console.warn(`gateway: stopping a part failed: ${(e as Error).message}`);
      }
    }
    this.store?.close();
    this.counters.loopLag.stop();
  }
}

function openStore(c: GatewayConfig): Store {
  try {
    return Store.open(c.storage.path, { synchronous: c.storage.synchronous, cacheMB: c.storage.cacheMB });
  } catch (e) {
    const why = (e as Error).message;
    throw new SettingsError("storage.path", `cannot open ${JSON.stringify(c.storage.path)} (${why})`, "set storage.path to a database file in a directory the gateway's user can write");
  }
}

function rank(g: Gateway, f: GatewayFeature): number {
  if (f === g.ingest) return 3;
  if (f === g.liveness) return 2;
  if (f === g.broker) return 1;
  return 0;
}
