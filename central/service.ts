// `minigrid central`: one ingest instance (schema, MQTT shared-subscription consumer, PostgreSQL writer) and,
// optionally, the HTTP API. Run as many side by side as the message rate needs, all with the same group.
import type { Server } from "node:http";
import pg from "pg";
import { startCentralApi } from "./api";
import { CentralIngest, type IngestOptions } from "./ingest";
import { ensureSchema } from "./schema";

export interface CentralOptions extends IngestOptions {
  /** pg connection: a postgres:// URL or pg's settings object. */
  database: string | pg.PoolConfig;
  http?: { host: string; port: number; token?: string; cors?: { origins: string[] } };
  poolSize?: number;
}

/** A failed start names its part (`part`: "database" or "broker"), for the command's message. */
function part<T>(name: "database" | "broker", p: Promise<T>): Promise<T> {
  return p.catch((e: unknown) => {
    throw Object.assign(e instanceof Error ? e : new Error(String(e)), { part: name });
  });
}

export class Central {
  pool: pg.Pool | undefined;
  ingest: CentralIngest | undefined;
  server: Server | undefined;
  timescale = false;

  constructor(private readonly o: CentralOptions) {}

  async start(): Promise<void> {
    const conf = typeof this.o.database === "string" ? { connectionString: this.o.database } : this.o.database;
    const pool = (this.pool = new pg.Pool({ ...conf, max: this.o.poolSize ?? 4 }));
    pool.on("error", (e) => this.o.log?.(`central: database: ${e.message}`));
    this.timescale = (await part("database", ensureSchema(pool))).timescale;
    this.ingest = new CentralIngest(pool, this.o);
    await part("broker", this.ingest.start());
    if (this.o.http) {
      const ingest = this.ingest;
      this.server = await startCentralApi({ pool, token: this.o.http.token, cors: this.o.http.cors, counters: () => ingest.counters }, this.o.http.host, this.o.http.port);
    }
  }

  get httpUrl(): string {
    const a = this.server?.address();
    return a && typeof a === "object" ? `http://${a.address}:${a.port}` : "";
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
    await this.ingest?.stop();
    await this.pool?.end();
    this.pool = undefined;
  }
}
