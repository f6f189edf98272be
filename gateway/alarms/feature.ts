// Alarms as a feature of the gateway, on its bus, with or without the HTTP API:
// `gateway.use(new AlarmsFeature(gateway, config))`.
import type { GatewayFeature } from "../events";
import { GatewayParts, startedDb } from "../parts";
import { AlarmsConfig, defaultAlarmsConfig } from "./config";
import { AlarmService } from "./service";

export class AlarmsFeature implements GatewayFeature {
  service: AlarmService | undefined;

  constructor(
    private readonly gw: GatewayParts,
    private readonly config: AlarmsConfig = defaultAlarmsConfig,
  ) {}

  start(): void {
    const publisher = this.gw.publisher;
    this.service = new AlarmService({ db: startedDb(this.gw, "alarms"), bus: this.gw.bus, publish: (t, p, o) => publisher.publish(t, p, o), config: this.config });
    this.service.start();
  }

  stop(): void {
    this.service?.stop();
    this.service = undefined;
  }
}
