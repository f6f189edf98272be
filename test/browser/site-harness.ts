// A gateway with the API and alarms on a temp database, fed by a simulated site running the built firmware.
import { Gateway } from "../../gateway/gateway";
import { ApiFeature } from "../../gateway/api/feature";
import { AlarmsFeature } from "../../gateway/alarms/feature";
import { CommandsFeature } from "../../gateway/commands/feature";
import { findBoard } from "../../firmware/boards/index";
import { VirtualSite } from "../../sim/site/virtual-site";
import { syntheticSite } from "../../sim/site/synthetic-site";
import { tempDir, testConfig } from "../gateway/fixture";
import type { AlarmsConfig } from "../../gateway/alarms/config";

export interface Harness {
  gw: Gateway;
  api: ApiFeature;
  base: string;
  stop(): Promise<void>;
}

export async function startGateway(token: string, alarms?: AlarmsConfig, nodes = ["ctl-1", "ctl-2"], sites: { [site: string]: { timezone?: string; feeders?: { [k: string]: string | { [p: string]: string } } } } = {}): Promise<Harness> {
  const gw = new Gateway(testConfig(tempDir("mg-dash-"), { sites }, nodes));
  const commands = new CommandsFeature(gw);
  const api = new ApiFeature(gw, { api: { port: 0, token, requireToken: true, sites: gw.config.sites }, commands, log: () => {} });
  gw.use(commands).use(new AlarmsFeature(gw, alarms)).use(api);
  await gw.start();
  return { gw, api, base: `http://127.0.0.1:${api.api!.port}`, stop: () => gw.stop() };
}

/**
 * The pico board's firmware in the virtual Espruino, logging in as `node` of site s1 to the gateway's broker. The
 * site's sun is at noon whenever the test runs (its model time is shifted; the readings keep the real time): the
 * checks of PV and of energy today must not depend on the hour CI runs at.
 */
export function simulatedSite(gw: Gateway, node: string, startUnix: number): VirtualSite {
  const port = Number(new URL(gw.brokerUrl).port);
  const sunny = syntheticSite();
  const toNoon_s = 12 * 3600 - (startUnix % 86400);
  return new VirtualSite({
    board: findBoard("pico")!,
    site: "s1",
    node,
    broker: { host: "127.0.0.1", port, user: node, pass: "pw-" + node },
    model: (t) => sunny(t + toNoon_s),
    startUnix,
    report_s: 30,
    withCt: false,
  });
}
