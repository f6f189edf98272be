// The HTTP API (and the dashboard) as a feature of the gateway: `gateway.use(new ApiFeature(gateway, {...}))`.
// Alarms and commands are features of their own (alarms/feature.ts, commands/feature.ts) that run without it; the
// API lists and acknowledges the alarms in the database, and serves commands when given the commands feature
// (started before it), answering 503 to them otherwise.
import type { CommandsFeature } from "../commands/feature";
import type { GatewayFeature } from "../events";
import { GatewayParts, startedDb } from "../parts";
import { ApiConfig, RunningApi, startApi } from "./server";

export class ApiFeature implements GatewayFeature {
  api: RunningApi | undefined;

  constructor(
    private readonly gw: GatewayParts,
    private readonly cfg: { api: ApiConfig; commands?: CommandsFeature; log?: (line: string) => void },
  ) {}

  async start(): Promise<void> {
    const db = startedDb(this.gw, "the API");
    this.api = await startApi({ db, store: this.gw.store, bus: this.gw.bus, counters: this.gw.counters, config: this.cfg.api, commands: this.cfg.commands?.service, log: this.cfg.log, brokerUp: this.gw.brokerUp });
  }

  async stop(): Promise<void> {
    await this.api?.stop();
    this.api = undefined;
  }
}
