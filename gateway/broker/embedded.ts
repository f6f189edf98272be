// The embedded broker: aedes 1.2 on TCP (TLS when cert and key are configured). Node messages are handed to ingest
// inside aedes' authorizePublish hook and the hook calls back only after the commit, so the PUBACK waits for it
// (aedes writes the PUBACK after authorizePublish calls back: lib/handlers/publish.js). `concurrency` must cover the
// publishes that arrive during one flush interval.
import { readFileSync } from "node:fs";
import { createServer as createTcpServer, AddressInfo, Server } from "node:net";
import { createServer as createTlsServer } from "node:tls";
import { Aedes, type AuthenticateError, type Client } from "aedes";
import type { GatewayConfig } from "../config/load";
import { listenError } from "../config/settings-error";
import type { EventBus, GatewayFeature } from "../events";
import type { GatewayCounters } from "../ingest/counters";
import type { Ingest } from "../ingest/ingest";
import { checkPublish, checkSubscribe, Identity, Refusal } from "./acl";
import { Authenticator, type ReaderCredential } from "./login";
import { LogThrottle, remoteAddress } from "./remote";
import type { Publisher } from "./publisher";

/**
 * Home Assistant's login, when its discovery is on: it may subscribe under the discovery prefix and the state topics,
 * and publish only HA's own status topic (<prefix>/status: HA's birth and will, MQTT integration defaults).
 */
export function readersOf(c: GatewayConfig): ReaderCredential[] {
  const ha = c.homeassistant;
  if (!ha?.enabled || !ha.username || !ha.passwordHash) return [];
  return [{ username: ha.username, passwordHash: ha.passwordHash, roots: [ha.discoveryPrefix, ha.stateTopic], publishes: [ha.discoveryPrefix + "/status"] }];
}

export class EmbeddedBroker implements GatewayFeature, Publisher {
  private aedes: Aedes | undefined;
  private server: Server | undefined;
  private readonly ids = new WeakMap<Client, Identity>();
  /** Payloads acknowledged but refused by ingest: never forwarded to subscribers. */
  private readonly dropped = new WeakSet<Buffer>();
  /** A flood of refused logins logs one line per address and reason every 10 s; the counters count them all. */
  private readonly logs = new LogThrottle(10_000);

  constructor(
    private readonly config: GatewayConfig,
    private readonly ingest: Ingest,
    private readonly bus: EventBus,
    private readonly counters: GatewayCounters,
  ) {}

  async start(): Promise<void> {
    const b = this.config.broker;
    const auth = new Authenticator(this.config.nodes, this.config.demo, {}, readersOf(this.config));
    const aedes = await Aedes.createBroker({
      concurrency: b.concurrency,
      authenticate: (client, username, password, done) => {
        const address = remoteAddress(client);
        // the client id is checked with the login: aedes takes an existing session over (and disconnects its
        // client) only once authenticate has accepted the new one, so a refused CONNECT leaves it alone
        auth.check({ username, password, clientId: client.id, address }).then(
          (r) => {
            if (r.ok) {
              this.ids.set(client, r.id);
              // a node login by its site/node; an anonymous client (demo mode) by its client id (the firmware's <site>.<node>)
              if (r.id.kind !== "reader") this.counters.reconnects.connected(r.id.kind === "node" ? `${r.id.site}/${r.id.node}` : client.id);
              return done(null, true);
            }
            this.refuse(r.refusal, client.id, "", address);
            const err = new Error(r.refusal.detail) as AuthenticateError;
            err.returnCode = r.returnCode; // [MQTT-3.2.2.3]
            done(err, false);
          },
          (e: Error) => {
            const err = new Error("login check failed: " + e.message) as AuthenticateError;
            err.returnCode = 3;
            done(err, false);
          },
        );
      },
      authorizePublish: (client, packet, done) => {
        if (!client) return done(null); // the gateway's own publishes
        const id = this.ids.get(client);
        const refusal = id ? checkPublish(id, packet.topic) : { reason: "acl-publish", detail: "client not authenticated" };
        if (refusal) {
          // MQTT 3.1.1 has no negative PUBACK: refusing closes the connection [MQTT-3.3.5-2]
          this.refuse(refusal, client.id, packet.topic);
          return done(new Error(refusal.detail));
        }
        // a reader's own status (Home Assistant's birth and will) is passed on, never stored
        if (id?.kind === "reader") return done(null);
        const payload = packet.payload as Buffer;
        const arrived = performance.now();
        this.ingest.submit({ clientId: client.id, topic: packet.topic, payload, receivedAt: this.ingest.now(packet.topic) }, (err, rejected) => {
          if (rejected && Buffer.isBuffer(payload)) this.dropped.add(payload);
          // aedes writes the PUBACK when this hook calls back (after the commit)
          if (!err && packet.qos === 1) this.counters.pubackSeconds.observe((performance.now() - arrived) / 1000);
          done(err);
        });
      },
      authorizeSubscribe: (client, sub, done) => {
        const id = this.ids.get(client);
        const refusal = id ? checkSubscribe(id, sub.topic) : { reason: "acl-subscribe", detail: "client not authenticated" };
        if (refusal) {
          this.refuse(refusal, client.id, sub.topic);
          return done(null, null); // SUBACK 0x80 for this filter
        }
        done(null, sub);
      },
      authorizeForward: (_client, packet) => (Buffer.isBuffer(packet.payload) && this.dropped.has(packet.payload) ? null : packet),
    });
    this.aedes = aedes;
    this.counters.gauges.clientsConnected = () => aedes.connectedClients ?? 0;
    const handler = aedes.handle as unknown as (socket: import("node:net").Socket) => void;
    this.server = b.tls
      ? createTlsServer({ cert: readFileSync(b.tls.cert), key: readFileSync(b.tls.key), ...(b.tls.ca ? { ca: readFileSync(b.tls.ca) } : {}) }, handler)
      : createTcpServer(handler);
    const server = this.server;
    await new Promise<void>((resolve, reject) => {
      const fail = (e: Error) => reject(listenError(e, "broker.port", "broker.host", b.host, b.port));
      server.once("error", fail);
      server.listen(b.port, b.host, () => {
        server.off("error", fail);
        resolve();
      });
    }).catch(async (e) => {
      await this.stop();
      throw e;
    });
  }

  /** Where the broker listens, e.g. mqtt://127.0.0.1:1883 (mqtts:// with TLS). */
  get url(): string {
    const a = this.server?.address() as AddressInfo | null;
    const host = a ? (a.family === "IPv6" ? `[${a.address}]` : a.address) : this.config.broker.host;
    return `${this.config.broker.tls ? "mqtts" : "mqtt"}://${host}:${a?.port ?? this.config.broker.port}`;
  }

  get listening(): boolean {
    return this.server?.listening === true;
  }

  get port(): number {
    return (this.server?.address() as AddressInfo | null)?.port ?? this.config.broker.port;
  }

  publish(topic: string, payload: string, opts: { qos: 0 | 1; retain: boolean }): Promise<void> {
    const aedes = this.aedes;
    if (!aedes) return Promise.reject(new Error("broker not started"));
    return new Promise((resolve, reject) =>
      aedes.publish({ cmd: "publish", topic, payload: Buffer.from(payload), qos: opts.qos, retain: opts.retain, dup: false }, (err) =>
        err ? reject(err) : resolve(),
      ),
    );
  }

  async stop(): Promise<void> {
    const server = this.server;
    const aedes = this.aedes;
    this.server = undefined;
    this.aedes = undefined;
    // the listener first (no new clients), then aedes closes every client's connection, which lets the
    // server's close complete: a node's TCP connection does not outlive the broker
    const closed = server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
    if (aedes) await new Promise<void>((resolve) => aedes.close(() => resolve()));
    await closed;
  }

  private refuse(r: Refusal, clientId: string, topic: string, address = ""): void {
    this.counters.reject(r.reason);
    this.bus.emit("reject", { reason: r.reason, detail: r.detail, clientId, topic });
    if (this.logs.allow(r.reason, address))
      console.warn(`gateway: refused (${r.reason}) ${clientId || "?"}${address ? " from " + address : ""}${topic ? " on " + topic : ""}: ${r.detail}`);
  }
}
