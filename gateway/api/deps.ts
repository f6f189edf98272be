// What the API's handlers work with.
import type { EventBus } from "../events";
import type { CommandService } from "../commands/service";
import type { Db } from "../storage/db";
import type { ExportLimits, ExportSlots } from "./export-limits";
import type { MetricsSource } from "./metrics";
import type { FeederNames } from "./site-feeders";
import type { DayReadings } from "./day-energy";
import type { LiveEvents } from "./live";
import type { LatestCache } from "./latest-cache";
import type { Route } from "./router";

/** A site's settings as the API uses them: its IANA time zone (default "UTC") and its feeders' names. */
export interface ApiSiteSettings {
  timezone?: string;
  feeders?: FeederNames;
}

export interface ApiDeps {
  db: Db;
  /**
   * Rebuild the history rollups still waiting for a node (every node of the site without one) before reading them
   * (rollup.ts RollupUpkeep.settle); absent: they are rebuilt as batches are stored.
   */
  settleRollups?: (site: string, node?: string) => void;
  bus: EventBus;
  counters?: MetricsSource;
  commands?: CommandService;
  now: () => number;
  log: (line: string) => void;
  /** Live event stream clients (for /metrics). */
  sseClients: () => number;
  /** Bounds of a CSV export (defaults in export-limits.ts) and the exports running now. */
  exportLimits?: Partial<ExportLimits>;
  exportSlots?: ExportSlots;
  /** Monotonic clock, ms, for time budgets (default performance.now). */
  monotonic?: () => number;
  /** Counter readings of days that only an older batch can change (day-energy.ts), forgotten as batches arrive. */
  dayReadings?: DayReadings;
  /** Per-site settings: the site's IANA time zone (default "UTC") and its feeders' names. */
  sites?: { [site: string]: ApiSiteSettings };
  /** The live event stream (GET /api/events). */
  live?: LiveEvents;
  /** Requests refused, by reason (GET /metrics). */
  httpRefused?: { [reason: string]: number };
  /** Per-channel newest values on GET /metrics (setting http.metrics.channels), kept up to date from the bus. */
  metricsChannels?: LatestCache;
  /** Whether the broker is up (GET /api/health); absent: the API runs without one. */
  brokerUp?: () => boolean;
  /** When the API started, ms (GET /api/health's uptime). */
  startedAt?: number;
  /** The route table being served (GET /api/openapi.json describes it). */
  routes?: Route[];
  /** Whether the routes ask for a bearer token (GET /api/openapi.json's security). */
  tokenSet?: boolean;
}

/** The site's time zone: its setting, else UTC (docs/operator.md, "Sites"). */
export function siteZone(deps: Pick<ApiDeps, "sites">, site: string): string {
  return deps.sites?.[site]?.timezone ?? "UTC";
}
