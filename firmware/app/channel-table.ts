// Which channels a node reports, from its settings: battery channels from a battery monitor if there is one,
// else from the charge controller; charger channels from the controller or an MPPT; feeders and CTs as wired.
import { ChannelDef, batteryChannels, chargerChannels, energyChannels, feederChannels, ctChannels, inverterChannels } from "../protocol/channels";
import { NodeSettings } from "./node-settings";
import { counterSource } from "./sampler";

function hasVe(s: NodeSettings, kind: string): boolean {
  for (let i = 0; i < s.vedirect.length; i++) if (s.vedirect[i].kind === kind) return true;
  return false;
}

export function channelTable(s: NodeSettings): ChannelDef[] {
  let out: ChannelDef[] = [];
  if (hasVe(s, "bmv") || s.modbus) out = out.concat(batteryChannels());
  if (hasVe(s, "mppt") || s.modbus) out = out.concat(chargerChannels());
  if (s.modbus && s.modbus.map === "growatt") out = out.concat(inverterChannels());
  for (let i = 0; i < s.feeders.length; i++) out = out.concat(feederChannels(i + 1));
  for (let i = 0; i < s.ct.length; i++) out = out.concat(ctChannels(i + 1));
  out = out.concat(energyChannels());
  const powers: { [key: string]: boolean } = {};
  for (let i = 0; i < out.length; i++) if (out[i].agg !== "counter") powers[out[i].key] = true;
  const kept: ChannelDef[] = [];
  for (let i = 0; i < out.length; i++) {
    const c = out[i];
    if (s.off.indexOf(c.id) >= 0) continue;
    // an energy counter is reported only where its power is measured: 0 Wh must never stand for "not measured"
    if (c.agg === "counter") {
      const src = counterSource(c.key);
      if (!src || !powers[src.power]) continue;
    }
    kept.push(c);
  }
  return kept;
}
