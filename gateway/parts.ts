// The parts of a running gateway that its optional features (alarms, commands, the HTTP API, the uplink) are built
// on: gateway/gateway.ts's Gateway has them. The store and the broker exist only once the gateway has started, so a
// feature reads them in its start().
import type { Publisher } from "./broker/publisher";
import type { EventBus } from "./events";
import type { Db } from "./storage/db";
import type { MetricsSource } from "./api/metrics";

export interface GatewayParts {
  bus: EventBus;
  /**
   * transactionDeferringSync: a commit whose sync to the disk is left to ingest's next one; whenCommitsAllowed: cb
   * once no WAL checkpoint holds commits (storage/store-core.ts).
   */
  store: { db: Db; transactionDeferringSync?<T>(fn: () => T): T; whenCommitsAllowed?(cb: () => void): void } | undefined;
  publisher: Publisher;
  counters?: MetricsSource;
  /** Whether the broker is up: listening (embedded) or connected (external). */
  brokerUp?: () => boolean;
}

/** The gateway's database once it has started. */
export function startedDb(gw: GatewayParts, feature: string): Db {
  const db = gw.store?.db;
  if (!db) throw new Error(`${feature} starts after the gateway's store`);
  return db;
}
