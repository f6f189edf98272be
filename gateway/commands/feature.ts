// Commands and desired configuration as a feature of the gateway, on its bus, with or without the HTTP API:
// `gateway.use(new CommandsFeature(gateway))`; the API serves them when given this feature.
import type { GatewayFeature } from "../events";
import { GatewayParts, startedDb } from "../parts";
import { CommandService } from "./service";

export class CommandsFeature implements GatewayFeature {
  service: CommandService | undefined;

  constructor(private readonly gw: GatewayParts) {}

  start(): void {
    const publisher = this.gw.publisher;
    this.service = new CommandService({ db: startedDb(this.gw, "commands"), bus: this.gw.bus, publish: (t, p, o) => publisher.publish(t, p, o) });
    this.service.start();
  }

  stop(): void {
    this.service?.stop();
    this.service = undefined;
  }
}
