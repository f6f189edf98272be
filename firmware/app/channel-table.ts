// Which channels a node reports, from its settings: battery channels from a battery monitor if there is one,
// else from the charge controller; charger channels from the controller or an MPPT; feeders and CTs as wired.
import { batteryTable, chargerTable, inverterTable, energyTable, feederTable, ctTable, counterPower } from "../protocol/channels";
import { NodeSettings } from "./node-settings";

/** The node's channel table as a string of "id key aggregation scale" words (protocol/channels.ts), in wire order. */
export function channelTable(s: NodeSettings): string {
  // the devices as JSON text: a kind is found at an index > 0 (after the opening "[") or not at all
  const ve = JSON.stringify(s.vedirect);
  let all = "";
  if (s.modbus || ve.indexOf('"bmv"') > 0) all += " " + batteryTable;
  if (s.modbus || ve.indexOf('"mppt"') > 0) all += " " + chargerTable;
  if (s.modbus && s.modbus.map === "growatt") all += " " + inverterTable;
  // feeder n and CT n: '#' becomes n, ids step 4 (feeders) or 2 (CTs) per n, counter ids (100 and up) 1 per n
  for (let g = 0; g < 2; g++) {
    const w = (g ? ctTable : feederTable).split(" ");
    const count = g ? s.ct.length : s.feeders.length;
    for (let n = 1; n <= count; n++) {
      for (let i = 0; i < w.length; i += 4) {
        const id = +w[i];
        all += " " + (id + (id >= 100 ? 1 : g ? 2 : 4) * (n - 1)) + " " + w[i + 1].replace("#", "" + n) + " " + w[i + 2] + " " + w[i + 3];
      }
    }
  }
  all += " " + energyTable;
  const w = all.split(" ");
  let kept = "";
  // w[0] is the empty word before the first space
  for (let i = 1; i < w.length; i += 4) {
    if (s.off.indexOf(+w[i]) >= 0) continue;
    // an energy counter is reported only where its power is measured: 0 Wh must never stand for "not measured"
    if (w[i + 2] === "counter" && all.indexOf(" " + counterPower(w[i + 1]) + " ") < 0) continue;
    kept += " " + w[i] + " " + w[i + 1] + " " + w[i + 2] + " " + w[i + 3];
  }
  return kept.substr(1);
}
