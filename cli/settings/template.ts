// The starting settings file `minigrid settings init` writes for a board: every field with a sensible default, what
// only the installer knows left empty (site, node, broker address, Wi-Fi), and a "_help" object that explains each
// field with the board's own pins and addresses. The CLI drops "_help" before sending; the firmware ignores it.
import type { Board } from "../../firmware/boards/types";
import { netKinds } from "./board-rules";
import { identityProperties, JsonSchema, remoteProperties } from "./schema";

const hex = (n: number) => "0x" + n.toString(16).toUpperCase();

/** "key" or "key.sub" or "list[].field" -> its description in the schema, for every field. */
function descriptions(props: JsonSchema, prefix: string, out: { [path: string]: string }): void {
  for (const k of Object.keys(props)) {
    const s = props[k];
    const path = prefix + k;
    if (s.description) out[path] = s.description;
    if (s.properties) descriptions(s.properties, path + ".", out);
    if (s.items?.properties) descriptions(s.items.properties, path + "[].", out);
  }
}

/** What to fill in before the file can be sent. */
export function blanks(board: Board): string[] {
  const out = ["site", "node", "broker.host"];
  if (netKinds(board)[0] === "wifi") out.push("net.ssid", "net.pass");
  out.push("broker.user", "broker.pass");
  return out;
}

export function helpFor(board: Board): { [path: string]: string } {
  const help: { [path: string]: string } = {
    _: `Settings of one ${board.name} (${board.id}) controller. Fill in: ${blanks(board).join(", ")}. Check with: minigrid settings check --board ${board.id} FILE. ` +
      "Send with: minigrid flash (program and settings) or minigrid provision (settings only). Remove a sensor the controller does not have. " +
      "This _help object is never sent to the board. docs/provisioning.md explains every field.",
  };
  const props = { ...identityProperties, ...remoteProperties };
  if (netKinds(board).length === 0) delete props.net;
  descriptions(props, "", help);
  const kinds = netKinds(board);
  if (kinds.length) help.net = `${help.net} This board: ${kinds.map((k) => JSON.stringify(k)).join(" or ")} (${board.networks.join(", ")}).`;
  if (kinds[0] === "eth") {
    delete help["net.ssid"];
    delete help["net.pass"];
  }
  if (board.vedirect) help.vedirect += ` This board's port: ${board.vedirect.serial} (TX ${board.vedirect.tx}, RX ${board.vedirect.rx}), 19200 baud.`;
  if (board.modbus) help.modbus += ` This board's RS-485: ${board.modbus.serial} (TX ${board.modbus.tx}, RX ${board.modbus.rx}, DE ${board.modbus.driverEnable}).`;
  if (board.i2c) {
    const a = board.i2c.ina226Addresses;
    help.feeders += ` This board: ${board.i2c.bus} (SCL ${board.i2c.scl}, SDA ${board.i2c.sda}), addresses ${a.map((x) => `${x} (${hex(x)})`).join(", ")}. ` +
      `Example: [{"addr": ${a[0]}, "shunt_ohm": 0.002, "max_A": 40}].`;
  }
  if (board.ctPins.length) help.ct += ` This board's CT inputs: ${board.ctPins.join(", ")}. Example: [{"pin": "${board.ctPins[0]}", "ical": 60.6, "V": 230}] (add "Hz": 60 on 60 Hz mains).`;
  return help;
}

/** The starting settings of a board, `_help` first. */
export function startingSettings(board: Board): { [k: string]: any } {
  const kind = netKinds(board)[0];
  const s: { [k: string]: any } = { _help: helpFor(board), site: "", node: "" };
  if (kind === "wifi") s.net = { kind: "wifi", ssid: "", pass: "" };
  else if (kind === "eth") s.net = { kind: "eth" };
  s.broker = { host: "", port: 1883, user: "", pass: "" };
  s.report_s = 60;
  s.sample_s = 5;
  s.rows = 1;
  s.vedirect = board.vedirect ? [{ kind: "bmv" }] : [];
  if (board.modbus) s.modbus = { map: "epever", slave: 1, period_s: 10 };
  s.feeders = [];
  s.ct = [];
  s.off = [];
  return s;
}
