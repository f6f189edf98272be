// The rules of a node's settings that a JSON schema cannot say: what the board has (networks, CT pins, INA226
// addresses, ports) and what one field asks of another. Each returns errors as "key.path: what is wrong; the fix".
// They read only values of the right type: the schema reports the rest.
import type { Board, NetworkKind } from "../../firmware/boards/types";
import { dottedQuad } from "./schema";
import { batteryTable, channelDefs, chargerTable, ctTable, energyTable, feederTable, inverterTable } from "../../firmware/protocol/channels";

/** The `net.kind` each network of a board takes; host-tcp takes none (the Linux build uses the host's network). */
const kindOf: { [k in NetworkKind]: "wifi" | "eth" | undefined } = {
  "esp32-wifi": "wifi",
  "esp8266-wifi": "wifi",
  "esp8266-at": "wifi",
  "w5500-ethernet": "eth",
  "host-tcp": undefined,
};

export function netKinds(board: Board): string[] {
  const out: string[] = [];
  for (const n of board.networks) {
    const k = kindOf[n];
    if (k && out.indexOf(k) < 0) out.push(k);
  }
  return out;
}

const isObject = (v: unknown): v is { [k: string]: any } => v !== null && typeof v === "object" && !Array.isArray(v);
const hex = (n: number) => "0x" + n.toString(16).toUpperCase();

function quadToInt(q: string): number {
  return q.split(".").reduce((a, p) => a * 256 + Number(p), 0);
}

/** Every channel id a node can report (firmware/protocol/channels.ts: 8 feeders, 4 CT clamps). */
export function channelIds(): Set<number> {
  const ids = new Set<number>();
  for (const t of [batteryTable, chargerTable, inverterTable, energyTable]) for (const c of channelDefs(t)) ids.add(c.id);
  const groups: [string, number, number][] = [[feederTable, 8, 4], [ctTable, 4, 2]];
  for (const [table, count, step] of groups) {
    for (const c of channelDefs(table)) for (let n = 0; n < count; n++) ids.add(c.id + (c.id >= 100 ? 1 : step) * n);
  }
  return ids;
}

/** Rules between fields of the same settings, whatever the board. */
export function crossFieldErrors(s: { [k: string]: any }): string[] {
  const errors: string[] = [];
  const quad = (v: unknown): v is string => typeof v === "string" && new RegExp(dottedQuad).test(v);
  if (s.report_s >= 1 && s.sample_s >= 1 && s.sample_s > s.report_s)
    errors.push(`sample_s: ${s.sample_s} s is longer than report_s (${s.report_s} s), so rows would have no samples; set sample_s to at most report_s`);
  const net = s.net;
  if (isObject(net)) {
    if (typeof net.ssid === "string") {
      const bytes = Buffer.byteLength(net.ssid, "utf8");
      if (bytes < 1 || bytes > 32) errors.push(`net.ssid: must be the Wi-Fi network's name, 1..32 bytes (got ${bytes} bytes); correct the name`);
    }
    if (typeof net.ip === "string") {
      for (const k of ["gw", "mask"]) if (net[k] === undefined) errors.push(`net.${k}: is required with a static net.ip; add it, or remove net.ip for DHCP`);
    } else {
      for (const k of ["gw", "mask"]) if (net[k] !== undefined) errors.push(`net.${k}: is used only with a static net.ip; add net.ip, or remove net.${k} for DHCP`);
    }
    if (quad(net.mask)) {
      const m = quadToInt(net.mask);
      // contiguous ones from the top: the inverted mask plus one is a power of two
      const inv = 0xffffffff - m;
      if ((inv & (inv + 1)) !== 0 || m === 0) errors.push(`net.mask: ${net.mask} is not a netmask; use e.g. 255.255.255.0`);
      else if (quad(net.ip) && quad(net.gw) && ((quadToInt(net.ip) ^ quadToInt(net.gw)) & m) >>> 0 !== 0)
        errors.push(`net.gw: ${net.gw} is not in the network of net.ip ${net.ip}/${net.mask}; give the router of that network`);
    }
  }
  if (Array.isArray(s.off)) {
    const ids = channelIds();
    s.off.forEach((id: unknown, i: number) => {
      if (typeof id === "number" && !ids.has(id)) errors.push(`off[${i}]: ${id} is no channel id; use the ids of docs/design.md "Channels"`);
    });
  }
  const seen = (list: unknown, key: string, what: string, show: (v: any) => string) => {
    if (!Array.isArray(list)) return;
    const at = new Map<unknown, number>();
    list.forEach((item, i) => {
      if (!isObject(item) || item[key] === undefined) return;
      const before = at.get(item[key]);
      if (before !== undefined) errors.push(`${what}[${i}].${key}: ${show(item[key])} is used by ${what}[${before}] too; give each its own`);
      else at.set(item[key], i);
    });
  };
  seen(s.feeders, "addr", "feeders", (a) => `address ${hex(a)}`);
  seen(s.ct, "pin", "ct", (p) => `pin ${p}`);
  return errors;
}

/** Rules of the board: network kind, ports, pins and addresses. `full`: a whole settings file (net is required where
 *  the board needs one), else a cfg change (only what it holds is checked). */
export function boardErrors(s: { [k: string]: any }, board: Board, full: boolean): string[] {
  const errors: string[] = [];
  const kinds = netKinds(board);
  const net = s.net;
  if (kinds.length === 0) {
    if (net !== undefined) errors.push(`net: the ${board.id} build uses the host's network; remove net`);
  } else if (net === undefined) {
    if (full) errors.push(`net: is required on the ${board.id}; add ${kinds[0] === "wifi" ? '{"kind": "wifi", "ssid": "...", "pass": "..."}' : '{"kind": "eth"}'}`);
  } else if (isObject(net) && typeof net.kind === "string") {
    if (kinds.indexOf(net.kind) < 0) errors.push(`net.kind: the ${board.id} has no ${net.kind === "wifi" ? "Wi-Fi" : "Ethernet"}; set it to ${kinds.map((k) => JSON.stringify(k)).join(" or ")}`);
    else if (net.kind === "wifi" && net.ssid === undefined) errors.push("net.ssid: is required for Wi-Fi; set it to the Wi-Fi network's name");
    else if (net.kind === "eth") for (const k of ["ssid", "pass"]) if (net[k] !== undefined) errors.push(`net.${k}: is for Wi-Fi, and the ${board.id} uses Ethernet; remove it`);
  }

  const broker = s.broker;
  if (isObject(broker) && broker.tls === true && !board.tls)
    errors.push(`broker.tls: the ${board.id}'s interpreter has no TLS; remove it and use the gateway's plain MQTT port (1883) on the site network`);
  if (isObject(broker) && broker.ca !== undefined && broker.tls !== true) errors.push("broker.ca: is used only with broker.tls; add \"tls\": true, or remove ca");

  const linux = board.networks.indexOf("host-tcp") >= 0;
  if (Array.isArray(s.vedirect)) {
    let wired = 0;
    s.vedirect.forEach((v: unknown, i: number) => {
      if (!isObject(v)) return;
      if (v.capture !== undefined && !linux) errors.push(`vedirect[${i}].capture: only the Linux build replays captures; remove it`);
      if (v.capture === undefined) wired++;
    });
    if (wired > 0 && !board.vedirect) errors.push(`vedirect: the ${board.id} has no VE.Direct port; remove the devices${linux ? " or give each a capture file" : ""}`);
    else if (wired > 1) errors.push(`vedirect: the ${board.id} has one VE.Direct port (${board.vedirect!.serial}); list one device`);
  }
  if (isObject(s.modbus) && !board.modbus) errors.push(`modbus: the ${board.id} has no RS-485 port; remove modbus`);
  if (Array.isArray(s.feeders) && s.feeders.length) {
    if (!board.i2c) errors.push(`feeders: the ${board.id} has no I2C bus for INA226 monitors; remove the feeders`);
    else {
      const addrs = board.i2c.ina226Addresses;
      s.feeders.forEach((f: unknown, i: number) => {
        if (isObject(f) && typeof f.addr === "number" && addrs.indexOf(f.addr) < 0)
          errors.push(`feeders[${i}].addr: ${f.addr} (${hex(f.addr)}) is not an INA226 address of the ${board.id}; use one of ${addrs.map((a) => `${a} (${hex(a)})`).join(", ")}`);
      });
    }
  }
  if (Array.isArray(s.ct)) {
    s.ct.forEach((c: unknown, i: number) => {
      if (!isObject(c) || typeof c.pin !== "string") return;
      if (board.ctPins.indexOf(c.pin) < 0)
        errors.push(board.ctPins.length ? `ct[${i}].pin: ${c.pin} is not a CT input of the ${board.id}; use one of ${board.ctPins.join(", ")}` : `ct[${i}]: the ${board.id} has no CT inputs; remove ct`);
      else if (c.vpin === c.pin) errors.push(`ct[${i}].vpin: the voltage reference cannot share the CT's pin ${c.pin}; give its own ADC pin`);
    });
  }
  if (s.selfTest !== undefined && !linux) errors.push(`selfTest: only the Linux build runs the self-test; remove it`);
  return errors;
}
