// What the API's handlers work with.
import type { EventBus } from "../events";
import type { CommandService } from "../commands/service";
import type { Db } from "./db";
import type { MetricsSource } from "./metrics";

export interface ApiDeps {
  db: Db;
  bus: EventBus;
  counters?: MetricsSource;
  commands?: CommandService;
  now: () => number;
  log: (line: string) => void;
  /** Live event stream clients (for /metrics). */
  sseClients: () => number;
}
