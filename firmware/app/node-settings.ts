// The node's settings (docs/firmware.md "Configuring a node"): from the board's JSON file on Linux, from Storage on a board;
// a `cfg` command from the gateway changes them, and they are saved back to Storage and reported in birth.
// A sensor's own part of them is declared with its driver (drivers/ct-clamp-settings.ts).

import { CtSetting } from "../drivers/ct-clamp-settings";

export type { CtSetting } from "../drivers/ct-clamp-settings";

export interface VeDirectSetting {
  /** "bmv": a battery monitor (BMV, SmartShunt); "mppt": a solar charger. */
  kind: string;
  /** Linux board: capture file replayed as this device's bytes. */
  capture?: string;
}

export interface ModbusSetting {
  /** Register map: "epever" (Tracer) or "growatt" (SPF). */
  map: string;
  slave: number;
  period_s: number;
}

export interface FeederSetting {
  addr: number;
  shunt_ohm: number;
  max_A: number;
}

/**
 * How the controller reaches the site network (firmware/net/). Which kinds a board can use is its `networks`
 * (boards/); the Linux build uses the host's network and ignores this.
 */
export interface NetSetting {
  /** "wifi": the board's own Wi-Fi (ESP32, Espruino WiFi) or an ESP8266 module on a UART (pico-esp8266);
   *  "eth": a W5500 Ethernet module on SPI (pico). */
  kind: string;
  /** Wi-Fi network name and password (WPA2). */
  ssid?: string;
  pass?: string;
  /** A static address (dotted quad); DHCP when absent. `gw` the router, `mask` the netmask, `dns` a name server. */
  ip?: string;
  gw?: string;
  mask?: string;
  dns?: string;
}

export interface NodeSettings {
  site: string;
  node: string;
  /** The network; absent: the host's (Linux build). */
  net?: NetSetting;
  /** tls: MQTT over the interpreter's TLS (boards with `tls`); ca: the broker's certificate, PEM. */
  broker: { host: string; port: number; user?: string; pass?: string; tls?: boolean; ca?: string };
  /** Report interval: one row per interval. */
  report_s: number;
  /** Sample period of the polled sensors (Modbus, INA226, CT). */
  sample_s: number;
  /** Rows per batch. */
  rows: number;
  vedirect: VeDirectSetting[];
  modbus?: ModbusSetting;
  feeders: FeederSetting[];
  ct: CtSetting[];
  /** Channel ids switched off by the gateway. */
  off: number[];
  selfTest?: boolean;
  /** Settings version: the slot with the higher one is loaded (loadSettings). `minigrid flash` and `provision`
   *  stamp the Unix time, so that a provisioned file is newer than any the node saved before. */
  sv?: number;
  /** On trial (a cfg changed the network or the broker): the boots it has had so far (node-app.ts). */
  tr?: number;
}

export const settingsFile = "mg.settings";
/** The second slot: settings are saved over the older of the two, so a power cut at any byte of a save leaves
 *  the previous settings whole (a torn file does not parse and is passed over). */
const spareFile = "mg.settings~";

/** The readJSON/writeJSON/erase part of Storage. */
export interface SettingsStore {
  readJSON(name: string, noExceptions?: boolean): any;
  writeJSON(name: string, data: any): boolean;
  erase(name: string): void;
}

/** The newer of the two slots that parse (settingsFile when neither has a version). */
export function loadSettings(st: SettingsStore): any {
  const a = st.readJSON(settingsFile, true);
  const b = st.readJSON(spareFile, true);
  return b && !(a && a.sv >= b.sv) ? b : a;
}

/** Save `s` one version up over the older slot; with `drop`, erase `s`'s slot instead (a failed trial). */
export function saveSettings(st: SettingsStore, s: NodeSettings, drop?: number): void {
  const v = s.sv || 0;
  if (drop) return st.erase(v & 1 ? spareFile : settingsFile);
  s.sv = v + 1;
  st.writeJSON(s.sv & 1 ? spareFile : settingsFile, s);
}

/** Defaults: every field a settings file or a `cfg` command may leave out. */
export function withDefaults(p: any): NodeSettings {
  p = p || {};
  const b = p.broker || {};
  return {
    site: typeof p.site === "string" ? p.site : "site",
    node: typeof p.node === "string" ? p.node : "node",
    net: p.net || undefined,
    broker: { host: b.host || "127.0.0.1", port: b.port || 1883, user: b.user, pass: b.pass, tls: b.tls, ca: b.ca },
    report_s: p.report_s > 0 ? p.report_s : 60,
    sample_s: p.sample_s > 0 ? p.sample_s : 5,
    rows: p.rows > 0 ? p.rows : 1,
    vedirect: p.vedirect || [],
    modbus: p.modbus || undefined,
    feeders: p.feeders || [],
    ct: p.ct || [],
    off: p.off || [],
    selfTest: !!p.selfTest,
    sv: p.sv,
    tr: p.tr,
  };
}

/**
 * Apply a `cfg` (the retained desired configuration, or a cfg command): every setting but the node's identity, each
 * with a light check (the gateway checks it fully first: cli/settings/); an identity or unknown key is refused by
 * name, and then nothing is applied.
 */
export function applyConfig(s: NodeSettings, change: { [k: string]: any }): string | undefined {
  for (const k in change) {
    const v = change[k];
    if (k === "report_s" || k === "sample_s" || k === "rows") {
      if (typeof v !== "number" || !(v > 0) || v > 86400) return k + " must be 1..86400";
    } else if (k === "off" || k === "vedirect" || k === "feeders" || k === "ct") {
      if (!Array.isArray(v)) return k + " must be a list";
    } else if (k === "broker" || k === "net" || k === "modbus") {
      // a section replaces the whole of it: a broker without host or a net without kind would cut the node off
      // (modbus: null is none)
      const key = k === "broker" ? "host" : k === "net" ? "kind" : "map";
      if (v === null ? k !== "modbus" : typeof v !== "object" || !v[key]) return k + "." + key + " missing";
    } else return k === "site" || k === "node" ? k + " is the node's identity" : "unknown setting " + k;
  }
  for (const k in change) (s as any)[k] = change[k];
  return undefined;
}
