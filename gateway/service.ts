// The gateway as the `minigrid gateway` command (and the demo) runs it: the core (broker, ingest, storage,
// liveness) plus alarms, commands, the HTTP API and (when configured) the uplink on the same bus, from one
// checked configuration.
import { Gateway } from "./gateway";
import { ApiFeature } from "./api/feature";
import { AlarmsFeature } from "./alarms/feature";
import { defaultAlarmsConfig, AlarmsConfig } from "./alarms/config";
import { CommandsFeature } from "./commands/feature";
import { GatewayConfig } from "./config/load";
import { Uplink } from "./uplink/uplink";
import { HomeAssistantFeature } from "./homeassistant/feature";
import { defaultHomeAssistantConfig } from "./homeassistant/config";
import { programVersion } from "./api/version";

export { gatewayConfigSections } from "./config/sections";

export interface RunningGateway {
  gateway: Gateway;
  api: ApiFeature;
  alarms: AlarmsFeature;
  commands: CommandsFeature;
  /** http://host:port of the API (and the dashboard). */
  url: string;
}

export async function startGatewayService(config: GatewayConfig, log?: (line: string) => void): Promise<RunningGateway> {
  const gateway = new Gateway(config);
  const alarms: AlarmsConfig = { ...defaultAlarmsConfig, ...(config.alarms as Partial<AlarmsConfig>) };
  const commands = new CommandsFeature(gateway);
  const alarmsFeature = new AlarmsFeature(gateway, alarms);
  const api = new ApiFeature(gateway, { api: { host: config.http.host, port: config.http.port, token: config.http.token, sites: config.sites, cors: config.http.cors, metricsChannels: config.http.metrics?.channels === true }, commands, log });
  gateway.use(commands).use(alarmsFeature).use(api);
  // the uplink to a central broker is on when the settings name one
  if (config.uplink?.url) {
    const site = config.nodes[0]?.site ?? "site";
    gateway.use(new Uplink(gateway, config.uplink, { site, log }));
  }
  // Home Assistant discovery runs switched off too: it then removes what it published before
  gateway.use(new HomeAssistantFeature(gateway, config.homeassistant ?? defaultHomeAssistantConfig, { version: programVersion(), log }));
  await gateway.start();
  const a = api.api!;
  return { gateway, api, alarms: alarmsFeature, commands, url: `http://${a.host.includes(":") ? `[${a.host}]` : a.host}:${a.port}` };
}
