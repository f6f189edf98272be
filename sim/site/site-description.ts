// A site description (JSON), every parameter with its unit and default:
// {
//   "name": "village-a",
//   "board": "pico",                      board the controller runs on (firmware/boards)
//   "trace": "../traces/serf.csv",        PV power or irradiance trace (any format of sim/traces), path relative to the file
//   "utcOffset_h": -7,                    local time of the load profiles (default 0)
//   "array_kWp": 1.2,                     PV array peak power
//   "trace_kWp": 5,                       rated power of the traced system (default: the trace's maximum pv_W)
//   "derate": 0.85,                       irradiance traces: W/m2 x kWp x derate (temperature, soiling, wiring)
//   "battery": { "kWh": 4.8, "chemistry": "lead-acid" | "lifepo4", "system_V": 12 | 24, "initialSoc_pct": 70 },
//   "inverter": { "rating_W": 1000, "efficiency": 0.9, "idle_W": 8, "ac_V": 230, "ac_Hz": 50 | 60 },
//   "feeders": [ { "name": "homes", "kind": "dc" | "ac", "profile_W": [24 hourly watts, local time] } ],
//   "loadNoise": 0.1,                     each load varies +-10 % minute to minute (seeded)
//   "lvdHold_s": 60,                      the voltage must stay under the disconnect point this long
//   "step_s": 60,                         model step
//   "network": { "ssid": "site-ap", "pass": "site-pass", "rssi": -61, "dhcp_s": 1 }
//                                         the site's access point (name, password, dBm heard at the controller) and
//                                         DHCP server (seconds to answer); the node's settings get the `net` that
//                                         fits its board: Wi-Fi with this name and password, or Ethernet
// }
// "dc" feeders are measured by the INA226s (in order), "ac" feeders by the CT clamps behind the inverter.
import type { Chemistry } from "./battery";

export interface FeederDescription {
  name: string;
  kind: "dc" | "ac";
  profile_W: number[];
}

export interface SiteDescription {
  name?: string;
  board?: string;
  trace?: string;
  utcOffset_h?: number;
  array_kWp: number;
  trace_kWp?: number;
  derate?: number;
  battery: { kWh: number; chemistry: Chemistry; system_V?: number; initialSoc_pct?: number };
  inverter?: { rating_W?: number; efficiency?: number; idle_W?: number; ac_V?: number; ac_Hz?: number };
  feeders?: FeederDescription[];
  loadNoise?: number;
  lvdHold_s?: number;
  step_s?: number;
  network?: SiteNetworkDescription;
}

/** The site's network as a description gives it (sim/vm/site-network.ts has the defaults). */
export interface SiteNetworkDescription {
  ssid?: string;
  pass?: string;
  rssi?: number;
  dhcp_s?: number;
}

export interface FullSiteDescription {
  name: string;
  board: string;
  trace?: string;
  utcOffset_h: number;
  array_kWp: number;
  trace_kWp?: number;
  derate: number;
  battery: { kWh: number; chemistry: Chemistry; system_V: number; initialSoc_pct: number };
  inverter: { rating_W: number; efficiency: number; idle_W: number; ac_V: number; ac_Hz: number };
  feeders: FeederDescription[];
  loadNoise: number;
  lvdHold_s: number;
  step_s: number;
  network: SiteNetworkDescription;
}

const eveningPeak = (base: number, peak: number) => Array.from({ length: 24 }, (_, h) => (h >= 18 && h < 23 ? peak : h >= 6 && h < 18 ? base * 1.5 : base));

export const defaultFeeders: FeederDescription[] = [
  { name: "homes-north", kind: "dc", profile_W: eveningPeak(15, 60) },
  { name: "homes-south", kind: "dc", profile_W: eveningPeak(10, 45) },
  { name: "clinic", kind: "dc", profile_W: eveningPeak(20, 30) },
  { name: "shops", kind: "ac", profile_W: eveningPeak(40, 250) },
  { name: "mill", kind: "ac", profile_W: Array.from({ length: 24 }, (_, h) => (h >= 9 && h < 15 ? 400 : 0)) },
];

/** Problems with a description, each naming its key; empty when it is usable. */
export function checkSiteDescription(d: SiteDescription): string[] {
  const e: string[] = [];
  if (!(d.array_kWp > 0)) e.push("array_kWp: must be a number > 0 (the PV array's peak power, kW)");
  if (!d.battery || !(d.battery.kWh > 0)) e.push("battery.kWh: must be a number > 0");
  if (d.battery && !["lead-acid", "lifepo4"].includes(d.battery.chemistry)) e.push('battery.chemistry: must be "lead-acid" or "lifepo4"');
  if (d.battery?.system_V !== undefined && ![12, 24].includes(d.battery.system_V)) e.push("battery.system_V: must be 12 or 24 (the INA226 reads at most 36 V)");
  (d.feeders ?? []).forEach((f, i) => {
    if (!Array.isArray(f.profile_W) || f.profile_W.length !== 24 || f.profile_W.some((w) => !(w >= 0))) e.push(`feeders[${i}].profile_W: must be 24 hourly watts >= 0`);
    if (f.kind !== "dc" && f.kind !== "ac") e.push(`feeders[${i}].kind: must be "dc" or "ac"`);
  });
  const n = d.network;
  if (n !== undefined) {
    if (n === null || typeof n !== "object" || Array.isArray(n)) e.push('network: an object such as {"ssid": "site-ap", "pass": "site-pass"}');
    else {
      for (const k of Object.keys(n)) if (!["ssid", "pass", "rssi", "dhcp_s"].includes(k)) e.push(`network.${k}: not a key of network; use ssid, pass, rssi, dhcp_s`);
      if (n.ssid !== undefined && !(typeof n.ssid === "string" && Buffer.byteLength(n.ssid) >= 1 && Buffer.byteLength(n.ssid) <= 32)) e.push("network.ssid: the access point's name, 1..32 bytes");
      if (n.pass !== undefined && !(typeof n.pass === "string" && (n.pass === "" || (n.pass.length >= 8 && n.pass.length <= 63)))) e.push("network.pass: a WPA2 passphrase, 8..63 characters, or empty for an open network");
      if (n.rssi !== undefined && !(typeof n.rssi === "number" && n.rssi >= -100 && n.rssi <= -20)) e.push("network.rssi: dBm the controller hears the access point at, -100..-20");
      if (n.dhcp_s !== undefined && !(typeof n.dhcp_s === "number" && n.dhcp_s >= 0)) e.push("network.dhcp_s: seconds the DHCP server takes to answer, >= 0");
    }
  }
  const eff = d.inverter?.efficiency;
  if (eff !== undefined && !(eff > 0 && eff <= 1)) e.push("inverter.efficiency: must be in (0, 1]");
  const hz = d.inverter?.ac_Hz;
  if (hz !== undefined && hz !== 50 && hz !== 60) e.push("inverter.ac_Hz: must be 50 or 60 (the mains frequency the CT clamps measure)");
  return e;
}

export function withDefaults(d: SiteDescription): FullSiteDescription {
  const errors = checkSiteDescription(d);
  if (errors.length) throw new Error(`site description: ${errors.join("; ")}`);
  return {
    name: d.name ?? "site",
    board: d.board ?? "pico",
    trace: d.trace,
    utcOffset_h: d.utcOffset_h ?? 0,
    array_kWp: d.array_kWp,
    trace_kWp: d.trace_kWp,
    derate: d.derate ?? 0.85,
    battery: { kWh: d.battery.kWh, chemistry: d.battery.chemistry, system_V: d.battery.system_V ?? 12, initialSoc_pct: d.battery.initialSoc_pct ?? 70 },
    inverter: { rating_W: d.inverter?.rating_W ?? 1000, efficiency: d.inverter?.efficiency ?? 0.9, idle_W: d.inverter?.idle_W ?? 8, ac_V: d.inverter?.ac_V ?? 230, ac_Hz: d.inverter?.ac_Hz ?? 50 },
    feeders: d.feeders ?? defaultFeeders,
    loadNoise: d.loadNoise ?? 0.1,
    lvdHold_s: d.lvdHold_s ?? 60,
    step_s: d.step_s ?? 60,
    network: d.network ?? {},
  };
}
