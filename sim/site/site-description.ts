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
import { boards } from "../../firmware/boards/index";
import { JsonSchema, schemaErrors } from "../file-schema";

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

const num = (fix: string, range: JsonSchema = {}): JsonSchema => ({ type: "number", ...range, fix });

/** The description's JSON schema: every key, its type and range, and the fix shown when it is wrong. */
export const siteDescriptionSchema: JsonSchema = {
  type: "object",
  name: "a site description",
  additionalProperties: false,
  required: ["array_kWp", "battery"],
  fix: 'must be an object such as {"array_kWp": 1.2, "battery": {"kWh": 4.8, "chemistry": "lifepo4"}}',
  properties: {
    name: { type: "string", minLength: 1, fix: "must be the site's name, a non-empty string" },
    board: { type: "string", enum: boards.map((b) => b.id), fix: `must be one of ${boards.map((b) => b.id).join(", ")} (firmware/boards)` },
    trace: { type: "string", minLength: 1, fix: "must name the PV power or irradiance trace, a path relative to the file" },
    utcOffset_h: num("must be the local time's offset from UTC in hours, -12..14", { minimum: -12, maximum: 14 }),
    array_kWp: num("must be a number > 0 (the PV array's peak power, kW)", { exclusiveMinimum: 0 }),
    trace_kWp: num("must be a number > 0 (the rated power of the traced system, kW)", { exclusiveMinimum: 0 }),
    derate: num("must be in (0, 1] (irradiance traces: temperature, soiling and wiring losses)", { exclusiveMinimum: 0, maximum: 1 }),
    battery: {
      type: "object",
      name: "battery",
      additionalProperties: false,
      required: ["kWh", "chemistry"],
      fix: 'must be an object such as {"kWh": 4.8, "chemistry": "lifepo4"}',
      properties: {
        kWh: num("must be a number > 0", { exclusiveMinimum: 0 }),
        chemistry: { type: "string", enum: ["lead-acid", "lifepo4"], fix: 'must be "lead-acid" or "lifepo4"' },
        system_V: { type: "number", enum: [12, 24], fix: "must be 12 or 24 (the INA226 reads at most 36 V)" },
        initialSoc_pct: num("must be the state of charge at the start, 0..100 %", { minimum: 0, maximum: 100 }),
      },
    },
    inverter: {
      type: "object",
      name: "inverter",
      additionalProperties: false,
      fix: 'must be an object such as {"rating_W": 1000, "efficiency": 0.9}',
      properties: {
        rating_W: num("must be the inverter's rated output, W > 0", { exclusiveMinimum: 0 }),
        efficiency: num("must be in (0, 1]", { exclusiveMinimum: 0, maximum: 1 }),
        idle_W: num("must be the inverter's own draw, W >= 0", { minimum: 0 }),
        ac_V: num("must be the AC output voltage, V > 0", { exclusiveMinimum: 0 }),
        ac_Hz: { type: "number", enum: [50, 60], fix: "must be 50 or 60 (the mains frequency the CT clamps measure)" },
      },
    },
    feeders: {
      type: "array",
      fix: 'must be a list of feeders such as {"name": "homes", "kind": "dc", "profile_W": [24 hourly watts]}',
      items: {
        type: "object",
        name: "a feeder",
        additionalProperties: false,
        required: ["kind", "profile_W"],
        fix: 'must be an object such as {"name": "homes", "kind": "dc", "profile_W": [24 hourly watts]}',
        properties: {
          name: { type: "string", fix: "must be the feeder's name, a string" },
          kind: { type: "string", enum: ["dc", "ac"], fix: 'must be "dc" or "ac"' },
          profile_W: { type: "array", minItems: 24, maxItems: 24, items: num("must be 24 hourly watts >= 0", { minimum: 0 }), fix: "must be 24 hourly watts >= 0" },
        },
      },
    },
    loadNoise: num("must be the minute-to-minute variation of the loads, 0..1 (0.1 is +-10 %)", { minimum: 0, maximum: 1 }),
    lvdHold_s: num("must be the seconds the voltage stays under the disconnect point before it acts, >= 0", { minimum: 0 }),
    step_s: num("must be the model's step, s > 0", { exclusiveMinimum: 0 }),
    network: {
      type: "object",
      name: "network",
      additionalProperties: false,
      fix: 'must be an object such as {"ssid": "site-ap", "pass": "site-pass"}',
      properties: {
        ssid: { type: "string", minLength: 1, maxLength: 32, fix: "the access point's name, 1..32 bytes" },
        pass: { type: "string", pattern: "^(|.{8,63})$", fix: "a WPA2 passphrase, 8..63 characters, or empty for an open network" },
        rssi: num("dBm the controller hears the access point at, -100..-20", { minimum: -100, maximum: -20 }),
        dhcp_s: num("seconds the DHCP server takes to answer, >= 0", { minimum: 0 }),
      },
    },
  },
};

/** Problems with a description, each naming its key and the fix; empty when it is usable. */
export function checkSiteDescription(d: SiteDescription): string[] {
  const e = schemaErrors(siteDescriptionSchema, d);
  // the access point's name is limited in bytes (IEEE 802.11 SSID), which a schema counts in characters
  const ssid = d?.network?.ssid;
  if (typeof ssid === "string" && ssid.length <= 32 && Buffer.byteLength(ssid) > 32) e.push("network.ssid: the access point's name, 1..32 bytes");
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
