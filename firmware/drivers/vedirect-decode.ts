// VE.Direct text block -> values with units in their names. Pure. Labels, units and codes are those of
// docs/protocols.md "VE.Direct text" (Victron VE.Direct protocol 3.33); names of H4, H5, H10..H14 (counts,
// no unit) are the spec's descriptions. "---" (value not available: no temperature sensor, BMV not synchronised,
// DC-monitor mode) decodes to null, never 0. A label not in the table is kept, raw, under `unknown`.
// Codes stay numbers here; vedirect-names.ts adds their names where a person reads them (CLI, gateway), so the
// name tables stay out of the board's memory unless something there imports them.
// The board itself reads only the quantities it reports, straight from the labels: veSamples at the end.

import { Clock } from "../hal/types";
import { VeDirectFields } from "./vedirect";

/** label -> key. The unit is in the key; how the raw text is read follows from the tables below. */
export const VE_TEXT_KEYS = {
  V: "battery_mV",
  V2: "battery2_mV",
  V3: "battery3_mV",
  VS: "starter_mV",
  VM: "midpoint_mV",
  DM: "midpointDeviation_permille",
  VPV: "pv_mV",
  PPV: "pv_W",
  I: "battery_mA",
  I2: "battery2_mA",
  I3: "battery3_mA",
  IL: "load_mA",
  T: "battery_temp_C",
  P: "power_W",
  CE: "consumed_mAh",
  SOC: "soc_permille",
  /** minutes; -1 means infinite (not discharging) */
  TTG: "timeToGo_min",
  H1: "deepestDischarge_mAh",
  H2: "lastDischarge_mAh",
  H3: "averageDischarge_mAh",
  H4: "chargeCycles",
  H5: "fullDischarges",
  H6: "cumulativeDrawn_mAh",
  H7: "minBattery_mV",
  H8: "maxBattery_mV",
  H9: "sinceFullCharge_s",
  H10: "autoSyncs",
  H11: "lowVoltageAlarms",
  H12: "highVoltageAlarms",
  H13: "lowAuxVoltageAlarms",
  H14: "highAuxVoltageAlarms",
  H15: "minAux_mV",
  H16: "maxAux_mV",
  H17: "discharged_Wh",
  H18: "charged_Wh",
  H19: "yieldTotal_Wh",
  H20: "yieldToday_Wh",
  H21: "maxPowerToday_W",
  H22: "yieldYesterday_Wh",
  H23: "maxPowerYesterday_W",
  HSDS: "daySequence",
  AC_OUT_V: "acOut_mV",
  AC_OUT_I: "acOut_mA",
  AC_OUT_S: "acOut_VA",
  DC_IN_V: "dcIn_mV",
  DC_IN_I: "dcIn_mA",
  DC_IN_P: "dcIn_W",
  CS: "chargeState",
  ERR: "error",
  MPPT: "tracker",
  MODE: "deviceMode",
  /** DC monitor mode of a SmartShunt or BMV-712 (what the shunt measures: battery, a source, a load) */
  MON: "monitorMode",
  AR: "alarmReason",
  WARN: "warningReason",
  OR: "offReason",
  PID: "productId",
  Alarm: "alarm_on",
  Relay: "relay_on",
  LOAD: "load_on",
  FW: "firmware",
  FWE: "firmware24",
  "SER#": "serial",
  BMV: "model",
} as const;

type Keys = typeof VE_TEXT_KEYS;
type BoolLabel = "Alarm" | "Relay" | "LOAD";
type TextLabel = "FW" | "FWE" | "SER#" | "BMV";
type NumLabel = Exclude<keyof Keys, BoolLabel | TextLabel>;

/** A decoded block: only the keys whose labels were in the block are present. */
export type VeDirectValues = { [K in NumLabel as Keys[K]]?: number | null } & {
  [K in BoolLabel as Keys[K]]?: boolean | null;
} & { [K in TextLabel as Keys[K]]?: string } & {
  chargeState_name?: string;
  tracker_name?: string;
  deviceMode_name?: string;
  monitorMode_name?: string;
  error_name?: string;
  product_name?: string;
  unknown?: VeDirectFields;
};

/**
 * What the decoder reads: VE_TEXT_KEYS and VE_TEXT_SCALE as words in strings (" label=key ..."), so that the
 * board keeps them in its code rather than as objects of 66 properties in its variables. A label with a space or
 * "=" in it (corrupt input) is in none of them. test/drivers/vedirect-tables.test.ts checks that these strings say
 * what the objects say.
 */
export const VE_TEXT_TABLE =
  " V=battery_mV V2=battery2_mV V3=battery3_mV VS=starter_mV VM=midpoint_mV" +
  " DM=midpointDeviation_permille VPV=pv_mV PPV=pv_W I=battery_mA I2=battery2_mA I3=battery3_mA" +
  " IL=load_mA T=battery_temp_C P=power_W CE=consumed_mAh SOC=soc_permille TTG=timeToGo_min" +
  " H1=deepestDischarge_mAh H2=lastDischarge_mAh H3=averageDischarge_mAh H4=chargeCycles" +
  " H5=fullDischarges H6=cumulativeDrawn_mAh H7=minBattery_mV H8=maxBattery_mV H9=sinceFullCharge_s" +
  " H10=autoSyncs H11=lowVoltageAlarms H12=highVoltageAlarms H13=lowAuxVoltageAlarms" +
  " H14=highAuxVoltageAlarms H15=minAux_mV H16=maxAux_mV H17=discharged_Wh H18=charged_Wh" +
  " H19=yieldTotal_Wh H20=yieldToday_Wh H21=maxPowerToday_W H22=yieldYesterday_Wh" +
  " H23=maxPowerYesterday_W HSDS=daySequence AC_OUT_V=acOut_mV AC_OUT_I=acOut_mA AC_OUT_S=acOut_VA" +
  " DC_IN_V=dcIn_mV DC_IN_I=dcIn_mA DC_IN_P=dcIn_W CS=chargeState ERR=error MPPT=tracker" +
  " MODE=deviceMode MON=monitorMode AR=alarmReason WARN=warningReason OR=offReason PID=productId Alarm=alarm_on" +
  " Relay=relay_on LOAD=load_on FW=firmware FWE=firmware24 SER#=serial BMV=model ";
/** Labels whose value is text: FW keeps its leading zero ("0308"), BMV may hold spaces and '/'. */
const TEXT = " FW FWE SER# BMV ";
/** ON/OFF (old BMV firmware: On/Off). */
const BOOL = " Alarm Relay LOAD ";
/** Hexadecimal: PID "0xA042", OR "0x00000001". */
const HEX = " PID OR ";
/** Multipliers from the wire unit to the unit in the key: 0.01 V -> mV, 0.1 A -> mA, 0.01 kWh -> Wh. */
export const VE_TEXT_SCALE: { [label: string]: number } = {
  AC_OUT_V: 10, DC_IN_V: 10, AC_OUT_I: 100, DC_IN_I: 100, H17: 10, H18: 10, H19: 10, H20: 10, H22: 10,
};
export const VE_SCALE_10 = " AC_OUT_V DC_IN_V H17 H18 H19 H20 H22 ";
export const VE_SCALE_100 = " AC_OUT_I DC_IN_I ";

function plain(label: string): boolean {
  return label.length > 0 && label.indexOf(" ") < 0 && label.indexOf("=") < 0;
}

/** w.indexOf(n), or -1. The interpreter's indexOf also "finds" a needle that runs past the end of the string
 *  ("abc".indexOf("cd") is 2 on Espruino 2v29): such a hit can only be the last one, and is refused here. */
function find(w: string, n: string): number {
  const i = w.indexOf(n);
  return i >= 0 && i + n.length <= w.length ? i : -1;
}

function isIn(words: string, label: string): boolean {
  return plain(label) && find(words, " " + label + " ") >= 0;
}

/** The key of a label, or undefined for a label not in the table. */
export function veTextKey(label: string): string | undefined {
  const i = plain(label) ? find(VE_TEXT_TABLE, " " + label + "=") : -1;
  if (i < 0) return undefined;
  const from = i + label.length + 2;
  return VE_TEXT_TABLE.substring(from, VE_TEXT_TABLE.indexOf(" ", from));
}

/** Whole number in base 10 (optional '-') or 16 (after "0x"), or null. By hand: the interpreter's RegExp gets
 *  /^-?[0-9]+$/ wrong (an optional first item never matches; measured on Espruino 2v29). */
function whole(raw: string, hex: boolean): number | null {
  const n = raw.length;
  let i = hex ? 2 : raw.charAt(0) === "-" ? 1 : 0;
  if (hex && (raw.charAt(0) !== "0" || (raw.charAt(1) !== "x" && raw.charAt(1) !== "X"))) return null;
  if (i >= n) return null;
  for (; i < n; i++) {
    const c = raw.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (hex && ((c >= 65 && c <= 70) || (c >= 97 && c <= 102))))) return null;
  }
  return hex ? parseInt(raw.substring(2), 16) : parseInt(raw, 10);
}

/** Raw text of one field -> number, boolean, string or null (not available / unreadable). */
export function veTextValue(label: string, raw: string): number | boolean | string | null {
  if (isIn(TEXT, label)) return raw;
  if (isIn(BOOL, label)) {
    const u = raw.toUpperCase();
    return u === "ON" ? true : u === "OFF" ? false : null;
  }
  const v = whole(raw, isIn(HEX, label)); // null for "---" and anything unreadable
  const k = isIn(VE_SCALE_10, label) ? 10 : isIn(VE_SCALE_100, label) ? 100 : 0;
  return v !== null && k ? v * k : v;
}

export function decodeVeDirectBlock(fields: VeDirectFields): VeDirectValues {
  const out: { [key: string]: any } = {};
  let unknown: VeDirectFields | undefined;
  for (const label in fields) {
    if (!fields.hasOwnProperty(label)) continue;
    const key = veTextKey(label);
    if (key === undefined) {
      if (!unknown) unknown = {};
      unknown[label] = fields[label];
      continue;
    }
    out[key] = veTextValue(label, fields[label]);
  }
  if (unknown) out.unknown = unknown;
  return out as VeDirectValues;
}

/**
 * What the board reports of a block from a device of `kind` ("bmv" or "mppt"): quantity key (protocol/channels.ts),
 * value, quality q ("o" when not given) and the clock's time, to `out`. A value that is not a whole number ("---":
 * not available) is reported as null. Without a block (the port is not ok): the main quantities, null, with q.
 * The quantities are label, key and the divisor from the wire unit to the key's (mV -> V, mA -> A, per-mille -> %),
 * three words each, one string in the code rather than a table of objects in the board's variables. A battery
 * monitor gives the battery; an MPPT the PV side and the charger, and its V (key "-": not reported) serves load_W. The first
 * 4 (BMV) or 2 (MPPT) are the ones reported when the port is not ok. Numbers are read as the device writes them
 * (docs/protocols.md "VE.Direct text": decimal, optional '-', no leading zeros): what does not print back the same is
 * not a number. The parameters come in this order so that the board binds the first three per device.
 */
export function veSamples(
  kind: string,
  out: (key: string, value: number | null, q: "o" | "s" | "f", t: number) => void,
  clock: Clock,
  fields?: VeDirectFields,
  q?: "o" | "s" | "f",
): void {
  const bmv = kind === "bmv";
  const w = (
    bmv
      ? "V battery_V 1e3 I battery_A 1e3 P battery_W 1 SOC battery_soc_pct 10 CE battery_consumed_Ah 1e3 TTG battery_ttg_min 1 T battery_temp_C 1"
      : "VPV pv_V 1e3 PPV pv_W 1 I charge_A 1e3 CS charge_state 1 ERR charger_fault 1 IL load_A 1e3 V - 1e3"
  ).split(" ");
  const t = clock.seconds();
  const qq = q || "o";
  // label -> value in the key's unit (null: not available); property names in this file are kept as written by the
  // release build
  const v: { [label: string]: number | null } = {};
  for (let i = 0; i < w.length; i += 3) {
    const raw = fields ? fields[w[i]] : i < (bmv ? 12 : 6) ? "" : undefined;
    if (raw === undefined) continue;
    const n = parseInt(raw, 10);
    const x = (v[w[i]] = "" + n === raw ? n / +w[i + 2] : null);
    if (w[i + 1] !== "-") out(w[i + 1], x, qq, t);
  }
  if (bmv) return;
  // derived: PV current from power and voltage, load power from load current and battery voltage
  if (v.PPV !== undefined && v.VPV) out("pv_A", v.PPV === null ? null : v.PPV / v.VPV, qq, t);
  if (v.IL !== undefined && v.V) out("load_W", v.IL === null ? null : v.IL * v.V, qq, t);
}
