// The gateway's HTTP API (node:http, JSON). Once a bearer token is set it is checked on every route but the
// dashboard's page itself, on loopback too; beyond loopback one must be set (docs/design.md guarantee 7).
// Errors: {error: {code, message, param?}}.
import { createServer, IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { CommandService } from "../commands/service";
import { EventBus, Subscriptions } from "../events";
import { Db, ensureApiIndexes, stmt } from "../storage/db";
import type { ApiDeps, ApiSiteSettings } from "./deps";
import { ExportLimits, ExportSlots } from "./export-limits";
import { ApiError, sendError } from "./http";
import { LiveEvents } from "./live";
import { LatestCache } from "./latest-cache";
import type { MetricsSource } from "./metrics";
import type { Publish } from "../broker/publisher";
import { backfillRollups, ensureRollupSchema, RollupUpkeep, rollupSettleMs } from "./rollup";
import { dispatcher, requestUrl } from "./dispatch";
import { serveDashboard } from "./dashboard";
import { DayReadings } from "./day-energy";
import { apiRoutes } from "./routes";
import { isLoopback } from "../config/startable";
import { listenError, SettingsError } from "../config/settings-error";

export { isLoopback };

export interface ApiConfig {
  /** Address to listen on; default 127.0.0.1. */
  host?: string;
  /** Port; 0 picks a free one (tests). Default 8080. */
  port?: number;
  /** The bearer token: when set, every route asks for it. */
  token?: string;
  /** Refuse to start without a token, even on loopback (beyond loopback a token is always needed). */
  requireToken?: boolean;
  /** Per-site settings (the gateway settings' `sites`): each site's time zone, default "UTC", and feeders' names. */
  sites?: { [site: string]: ApiSiteSettings };
  /** Browsers on these origins may call the API (setting http.cors.origins). */
  cors?: { origins: string[] };
  /** Every channel's newest value on GET /metrics (setting http.metrics.channels). */
  metricsChannels?: boolean;
}

export interface StartApiOptions {
  db?: Db;
  /** The gateway's store: its transactionDeferringSync commits the rollups (without it, `db.transaction`). */
  store?: { db: Db; transactionDeferringSync?<T>(fn: () => T): T; whenCommitsAllowed?(cb: () => void): void; readonly commitsHeld?: boolean };
  bus: EventBus;
  counters?: MetricsSource;
  config: ApiConfig;
  /** Publishes commands and desired config; without it (and without `commands`) those endpoints answer 503. */
  publish?: Publish;
  commands?: CommandService;
  now?: () => number;
  log?: (line: string) => void;
  /** Bounds of a CSV export (export-limits.ts); the defaults suit a site PC. */
  exportLimits?: Partial<ExportLimits>;
  /** Monotonic clock for time budgets, ms (default performance.now). */
  monotonic?: () => number;
  /** Whether the broker is up, for GET /api/health. */
  brokerUp?: () => boolean;
}

export interface RunningApi {
  port: number;
  host: string;
  stop(): Promise<void>;
}

export async function startApi(o: StartApiOptions): Promise<RunningApi> {
  const db = o.db ?? o.store?.db;
  if (!db) throw new Error("startApi needs db or store");
  const host = o.config.host ?? "127.0.0.1";
  if (!o.config.token && (o.config.requireToken || !isLoopback(host)))
    throw new SettingsError("http.token", `is required when the API listens on ${host}`, "set http.token to a random string of 16 characters or more");
  const log = o.log ?? ((l: string) => console.log("api: " + l));
  const now = o.now ?? Date.now;

  ensureApiIndexes(db);
  ensureRollupSchema(db);
  const t = Date.now();
  const rebuilt = backfillRollups(db, now());
  if (rebuilt > 0) log(`history rollups brought up to date for ${rebuilt} node(s) in ${Date.now() - t} ms`);
  const dayReadings = new DayReadings();
  // the gateway's store commits the rollups without a sync of their own on this thread (RollupUpkeep)
  const store = o.store;
  const commitRollups = store?.transactionDeferringSync ? (fn: () => void) => store.transactionDeferringSync!(fn) : (fn: () => void) => db.transaction(fn)();
  const rollups = new RollupUpkeep(db, commitRollups, now, log, store?.whenCommitsAllowed?.bind(store), rollupSettleMs, () => store?.commitsHeld ?? false);
  const subs = new Subscriptions();
  subs.on(o.bus, "batch.stored", (e) => {
    const b = stmt(db, "SELECT t0, interval_s, rows FROM batches WHERE site = ? AND node = ? AND boot = ? AND seq = ?").get(e.site, e.node, e.boot, e.seq) as
      | { t0: number; interval_s: number; rows: number }
      | undefined;
    if (b) {
      rollups.stored(e.site, e.node, b.t0, b.t0 + b.rows * b.interval_s * 1000);
      dayReadings.stored(e.site, e.node, b.t0);
    }
  });
  const ownCommands = !o.commands && o.publish ? new CommandService({ db, bus: o.bus, publish: o.publish, now }) : undefined;
  ownCommands?.start();
  const refused = { token: 0 }; // requests refused for a missing or wrong token (GET /metrics)
  const live = new LiveEvents(o.bus, db);
  live.start();
  const latestCache = o.config.metricsChannels ? new LatestCache(db, o.bus) : undefined;
  latestCache?.start();

  const deps: ApiDeps = {
    db,
    settleRollups: (site, node) => rollups.settle(site, node),
    bus: o.bus,
    counters: o.counters,
    commands: o.commands ?? ownCommands,
    now,
    log,
    sseClients: () => live.count(),
    exportLimits: o.exportLimits,
    exportSlots: new ExportSlots(),
    monotonic: o.monotonic,
    sites: o.config.sites ?? {},
    live,
    httpRefused: refused,
    metricsChannels: latestCache,
    brokerUp: o.brokerUp,
    startedAt: now(),
    routes: apiRoutes,
    tokenSet: o.config.token !== undefined,
    dayReadings,
  };
  const dispatch = dispatcher(apiRoutes, deps, { token: o.config.token, onRefused: () => refused.token++, cors: o.config.cors, log });
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = requestUrl(req, res);
    if (!url) return;
    try {
      if (await serveDashboard(req, res, url.pathname)) return;
    } catch (e) {
      log(`${req.method} ${url.pathname} failed: ${(e as Error).stack ?? e}`);
      sendError(res, new ApiError(500, "internal", "internal error: " + (e as Error).message));
      return;
    }
    await dispatch(req, res, url);
  }

  const server = createServer((req, res) => void handle(req, res));
  const listenPort = o.config.port ?? 8080;
  await new Promise<void>((resolve, reject) => {
    server.once("error", (e) => {
      subs.clear();
      ownCommands?.stop();
      live.stop();
      latestCache?.stop();
      reject(listenError(e, "http.port", "http.host", host, listenPort));
    });
    server.listen(listenPort, host, () => {
      server.removeAllListeners("error");
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    host,
    async stop() {
      subs.clear();
      rollups.flush();
      ownCommands?.stop();
      live.stop();
      latestCache?.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

