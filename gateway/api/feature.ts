// Alarms, commands and the HTTP API as one feature of the gateway: `gateway.use(new ApiFeature(gateway, {...}))`.
// The store and the broker exist only once the gateway has started, so they are read in start().
import { AlarmService } from "../alarms/service";
import type { AlarmsConfig } from "../alarms/config";
import { defaultAlarmsConfig } from "../alarms/config";
import { CommandService } from "../commands/service";
import type { EventBus, GatewayFeature } from "../events";
import type { Db } from "./db";
import type { MetricsSource } from "./metrics";
import { ApiConfig, RunningApi, startApi } from "./server";

/** The parts of the gateway this feature uses (gateway/gateway.ts's Gateway has them). */
export interface GatewayParts {
  bus: EventBus;
  store: { db: Db } | undefined;
  publisher: { publish(topic: string, payload: string, opts: { qos: 0 | 1; retain: boolean }): Promise<void> };
  counters?: MetricsSource;
}

export class ApiFeature implements GatewayFeature {
  api: RunningApi | undefined;
  alarms: AlarmService | undefined;
  commands: CommandService | undefined;

  constructor(
    private readonly gw: GatewayParts,
    private readonly cfg: { api: ApiConfig; alarms?: AlarmsConfig; log?: (line: string) => void },
  ) {}

  async start(): Promise<void> {
    const db = this.gw.store?.db;
    if (!db) throw new Error("the API starts after the gateway's store");
    const bus = this.gw.bus;
    const publisher = this.gw.publisher;
    const publish = (topic: string, payload: string, opts: { qos: 0 | 1; retain: boolean }) => publisher.publish(topic, payload, opts);
    this.commands = new CommandService({ db, bus, publish });
    this.commands.start();
    this.alarms = new AlarmService({ db, bus, publish, config: this.cfg.alarms ?? defaultAlarmsConfig });
    this.alarms.start();
    this.api = await startApi({ db, bus, counters: this.gw.counters, config: this.cfg.api, commands: this.commands, log: this.cfg.log });
  }

  async stop(): Promise<void> {
    await this.api?.stop();
    this.alarms?.stop();
    this.commands?.stop();
    this.api = undefined;
  }
}
