// What the API's handlers work with.
import type { EventBus } from "../events";
import type { CommandService } from "../commands/service";
import type { Db } from "../storage/db";
import type { ExportLimits, ExportSlots } from "./export-limits";
import type { MetricsSource } from "./metrics";
import type { FeederNames } from "./site-feeders";
import type { DayReadings } from "./day-energy";

/** A site's settings as the API uses them: its IANA time zone (default "UTC") and its feeders' names. */
export interface ApiSiteSettings {
  timezone?: string;
  feeders?: FeederNames;
}

export interface ApiDeps {
  db: Db;
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
}

/** The site's time zone: its setting, else UTC (docs/operator.md, "Sites"). */
export function siteZone(deps: Pick<ApiDeps, "sites">, site: string): string {
  return deps.sites?.[site]?.timezone ?? "UTC";
}
