// One central ingest instance: an MQTT 5 consumer of the shared subscription $share/<group>/mgc/v1/# (MQTT 5.0
// 4.8.2: the broker hands each message to one member of the group, so instances are added side by side) that writes
// each message to PostgreSQL and acknowledges it only after the commit (the PUBACK waits for handleMessage's callback).
// A persistent session (clean: false, session expiry) keeps what arrives while an instance restarts.
import mqtt, { type IClientOptions, type IPublishPacket, type MqttClient } from "mqtt";
import type pg from "pg";
import { decodeCentral, sharedSubscriptions } from "../contracts/uplink-wire";
import { writeMessage } from "./write";

export interface IngestOptions {
  broker: string;
  group: string;
  clientId: string;
  username?: string;
  password?: string;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  /** Session expiry, s: how long the broker keeps this instance's messages while it is away. */
  sessionExpiry_s?: number;
  log?: (line: string) => void;
}

export interface IngestCounters {
  messages: number;
  batches: number;
  duplicates: number;
  rejected: { [reason: string]: number };
  dbErrors: number;
  /** mgc/v2 messages kept until their reference arrives, and those written since. */
  held: number;
  released: number;
  /** Time spent decoding (topic, inflate, JSON or columns) and in PostgreSQL (pool, transaction), ms. */
  decode_ms: number;
  db_ms: number;
}

export class CentralIngest {
  client: MqttClient | undefined;
  readonly counters: IngestCounters = { messages: 0, batches: 0, duplicates: 0, rejected: {}, dbErrors: 0, held: 0, released: 0, decode_ms: 0, db_ms: 0 };

  constructor(
    private readonly pool: pg.Pool,
    private readonly o: IngestOptions,
  ) {}

  private stopped = false;
  private retry: NodeJS.Timeout | undefined;

  async start(): Promise<void> {
    this.stopped = false;
    const client = this.connect();
    await new Promise<void>((resolve, reject) => {
      client.once("connect", () => resolve());
      client.once("error", reject);
    });
  }

  /**
   * A new client for each connection (the session lives on in the broker: clean false, same client id). mqtt.js's
   * own reconnect was seen to stop handing messages to handleMessage after a broker restart (mqtt 5.16).
   */
  private connect(): MqttClient {
    const opts: IClientOptions = {
      protocolVersion: 5,
      clientId: this.o.clientId,
      username: this.o.username,
      password: this.o.password,
      ca: this.o.ca,
      cert: this.o.cert,
      key: this.o.key,
      // expiry 0: a clean session (mosquitto 2.0.11, docs/central.md "Central side"); else the broker keeps the session
      clean: this.o.sessionExpiry_s === 0,
      properties: { sessionExpiryInterval: this.o.sessionExpiry_s ?? 7 * 86400, receiveMaximum: 100 },
      reconnectPeriod: 0,
      connectTimeout: 10_000,
      resubscribe: false,
    };
    const client = mqtt.connect(this.o.broker, { ...opts, manualConnect: true });
    this.client = client;
    client.handleMessage = (packet, done) => {
      this.handle(packet).then(
        () => done(),
        (e: Error) => {
          // no PUBACK: the broker sends the message again (to this or another member of the group) after a reconnect
          this.counters.dbErrors++;
          this.o.log?.(`central ingest: ${e.message}; reconnecting`);
          client.end(true);
        },
      );
    };
    client.on("connect", () => {
      // subscribe on every connection: a broker that lost the session (no persistence) still gets the subscription
      client.subscribe(sharedSubscriptions(this.o.group), { qos: 1 }, (e) => e && this.o.log?.(`central ingest: subscribe: ${e.message}`));
    });
    client.on("error", (e) => this.o.log?.(`central ingest: ${e.message}`));
    client.on("close", () => {
      if (this.client !== client) return;
      this.client = undefined;
      client.end(true);
      if (!this.stopped) this.retry = setTimeout(() => this.connect(), 1000);
    });
    client.connect();
    return client;
  }

  private reject(reason: string): void {
    this.counters.rejected[reason] = (this.counters.rejected[reason] ?? 0) + 1;
  }

  private async handle(packet: IPublishPacket): Promise<void> {
    this.counters.messages++;
    const t0 = performance.now();
    const d = decodeCentral(packet.topic, packet.payload as Buffer);
    const t1 = performance.now();
    this.counters.decode_ms += t1 - t0;
    if (!d.ok) {
      // acknowledged and counted: a message that cannot be read will not become readable by sending it again
      this.reject(d.reason);
      this.o.log?.(`central ingest: rejected ${packet.topic}: ${d.reason}: ${d.detail}`);
      return;
    }
    const db = await this.pool.connect();
    try {
      const r = await writeMessage(db, d.msg, this.o.clientId, packet.payload as Buffer);
      this.counters.batches += r.batches;
      this.counters.duplicates += r.duplicates;
      this.counters.held += r.held;
      this.counters.released += r.released;
      if (r.rejected) this.counters.rejected.item = (this.counters.rejected.item ?? 0) + r.rejected;
      if (r.malformed) {
        // a v2 message that does not decode against its reference: counted, never stored half-read
        this.counters.rejected.columns = (this.counters.rejected.columns ?? 0) + r.malformed;
        this.o.log?.(`central ingest: rejected ${packet.topic}: columns: ${r.malformed} message(s) did not decode against their reference`);
      }
    } finally {
      db.release();
      this.counters.db_ms += performance.now() - t1;
    }
  }

  /**
   * Stop taking messages: unsubscribe, then write and acknowledge what the broker had already sent (up to
   * receiveMaximum messages on their way), and only then disconnect. A broker drops the unacknowledged messages of
   * a clean session when it ends (mosquitto 2.0 does, docs/central.md "Central side"), so a planned restart loses
   * nothing this way; a crash still depends on the broker keeping the session.
   */
  async stop(drainMs = 10_000): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    const live = this.client;
    if (live?.connected) {
      try {
        await live.unsubscribeAsync(sharedSubscriptions(this.o.group));
        const until = Date.now() + drainMs;
        let seen = -1;
        // idle: no message started for 300 ms (mqtt.js hands them over one at a time, each after the last's PUBACK)
        while (Date.now() < until && seen !== this.counters.messages) {
          seen = this.counters.messages;
          await new Promise((r) => setTimeout(r, 300));
        }
      } catch (e) {
        this.o.log?.(`central ingest: unsubscribe at stop: ${(e as Error).message}`);
      }
    }
    const c = this.client;
    this.client = undefined;
    if (c) await c.endAsync();
  }
}
