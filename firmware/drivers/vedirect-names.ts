// Names of VE.Direct codes, for people (CLI, gateway, logs): CS, MPPT, MODE, MON, ERR, PID, AR/WARN and OR bits, as
// Victron's VE.Direct protocol document lists them (docs/protocols.md "VE.Direct text"). Kept apart from the decoder so the firmware need not carry them.

import { VeDirectValues } from "./vedirect-decode";

/** CS (and HEX register 0x0201 device state). */
export const VE_CHARGE_STATES: { [code: number]: string } = {
  0: "off", 1: "low power", 2: "fault", 3: "bulk", 4: "absorption", 5: "float", 6: "storage", 7: "equalize (manual)",
  9: "inverting", 11: "power supply", 245: "starting-up", 246: "repeated absorption", 247: "auto-equalize / recondition",
  248: "BatterySafe", 252: "external control",
};
export const VE_TRACKER: { [code: number]: string } = { 0: "off", 1: "voltage or current limited", 2: "MPPT active" };
export const VE_MODES: { [code: number]: string } = { 1: "charger", 2: "inverter", 4: "off", 5: "eco", 253: "hibernate" };
/** Product ids (PID) and Victron's names for them: the product id list of Victron's VE.Direct protocol document
 *  (3.33), battery monitors, solar chargers (BlueSolar, SmartSolar, VE.Can), Phoenix inverters, SmartShunts. */
export const VE_PRODUCTS: { [pid: number]: string } = {
  0x203: "BMV-700", 0x204: "BMV-702", 0x205: "BMV-700H", 0x300: "BlueSolar MPPT 70/15",
  0xa040: "BlueSolar MPPT 75/50", 0xa041: "BlueSolar MPPT 150/35", 0xa042: "BlueSolar MPPT 75/15",
  0xa043: "BlueSolar MPPT 100/15", 0xa044: "BlueSolar MPPT 100/30", 0xa045: "BlueSolar MPPT 100/50",
  0xa046: "BlueSolar MPPT 150/70", 0xa047: "BlueSolar MPPT 150/100", 0xa049: "BlueSolar MPPT 100/50 rev2",
  0xa04a: "BlueSolar MPPT 100/30 rev2", 0xa04b: "BlueSolar MPPT 150/35 rev2", 0xa04c: "BlueSolar MPPT 75/10",
  0xa04d: "BlueSolar MPPT 150/45", 0xa04e: "BlueSolar MPPT 150/60", 0xa04f: "BlueSolar MPPT 150/85",
  0xa050: "SmartSolar MPPT 250/100", 0xa051: "SmartSolar MPPT 150/100", 0xa052: "SmartSolar MPPT 150/85",
  0xa053: "SmartSolar MPPT 75/15", 0xa054: "SmartSolar MPPT 75/10", 0xa055: "SmartSolar MPPT 100/15",
  0xa056: "SmartSolar MPPT 100/30", 0xa057: "SmartSolar MPPT 100/50", 0xa058: "SmartSolar MPPT 150/35",
  0xa059: "SmartSolar MPPT 150/100 rev2", 0xa05a: "SmartSolar MPPT 150/85 rev2", 0xa05b: "SmartSolar MPPT 250/70",
  0xa05c: "SmartSolar MPPT 250/85", 0xa05d: "SmartSolar MPPT 250/60", 0xa05e: "SmartSolar MPPT 250/45",
  0xa05f: "SmartSolar MPPT 100/20", 0xa060: "SmartSolar MPPT 100/20 48V", 0xa061: "SmartSolar MPPT 150/45",
  0xa062: "SmartSolar MPPT 150/60", 0xa063: "SmartSolar MPPT 150/70", 0xa064: "SmartSolar MPPT 250/85 rev2",
  0xa065: "SmartSolar MPPT 250/100 rev2", 0xa066: "BlueSolar MPPT 100/20", 0xa067: "BlueSolar MPPT 100/20 48V",
  0xa068: "SmartSolar MPPT 250/60 rev2", 0xa069: "SmartSolar MPPT 250/70 rev2",
  0xa06a: "SmartSolar MPPT 150/45 rev2", 0xa06b: "SmartSolar MPPT 150/60 rev2",
  0xa06c: "SmartSolar MPPT 150/70 rev2", 0xa06d: "SmartSolar MPPT 150/85 rev3",
  0xa06e: "SmartSolar MPPT 150/100 rev3", 0xa06f: "BlueSolar MPPT 150/45 rev2", 0xa070: "BlueSolar MPPT 150/60 rev2",
  0xa071: "BlueSolar MPPT 150/70 rev2", 0xa072: "BlueSolar MPPT 150/45 rev3", 0xa073: "SmartSolar MPPT 150/45 rev3",
  0xa074: "SmartSolar MPPT 75/10 rev2", 0xa075: "SmartSolar MPPT 75/15 rev2", 0xa076: "BlueSolar MPPT 100/30 rev3",
  0xa077: "BlueSolar MPPT 100/50 rev3", 0xa078: "BlueSolar MPPT 150/35 rev3", 0xa079: "BlueSolar MPPT 75/10 rev2",
  0xa07a: "BlueSolar MPPT 75/15 rev2", 0xa07b: "BlueSolar MPPT 100/15 rev2", 0xa07c: "BlueSolar MPPT 75/10 rev3",
  0xa07d: "BlueSolar MPPT 75/15 rev3", 0xa102: "SmartSolar MPPT VE.Can 150/70",
  0xa103: "SmartSolar MPPT VE.Can 150/45", 0xa104: "SmartSolar MPPT VE.Can 150/60",
  0xa105: "SmartSolar MPPT VE.Can 150/85", 0xa106: "SmartSolar MPPT VE.Can 150/100",
  0xa107: "SmartSolar MPPT VE.Can 250/45", 0xa108: "SmartSolar MPPT VE.Can 250/60",
  0xa109: "SmartSolar MPPT VE.Can 250/70", 0xa10a: "SmartSolar MPPT VE.Can 250/85",
  0xa10b: "SmartSolar MPPT VE.Can 250/100", 0xa10c: "SmartSolar MPPT VE.Can 150/70 rev2",
  0xa10d: "SmartSolar MPPT VE.Can 150/85 rev2", 0xa10e: "SmartSolar MPPT VE.Can 150/100 rev2",
  0xa10f: "BlueSolar MPPT VE.Can 150/100", 0xa112: "BlueSolar MPPT VE.Can 250/70",
  0xa113: "BlueSolar MPPT VE.Can 250/100", 0xa114: "SmartSolar MPPT VE.Can 250/70 rev2",
  0xa115: "SmartSolar MPPT VE.Can 250/100 rev2", 0xa116: "SmartSolar MPPT VE.Can 250/85 rev2",
  0xa201: "Phoenix Inverter 12V 250VA 230V", 0xa202: "Phoenix Inverter 24V 250VA 230V",
  0xa204: "Phoenix Inverter 48V 250VA 230V", 0xa211: "Phoenix Inverter 12V 375VA 230V",
  0xa212: "Phoenix Inverter 24V 375VA 230V", 0xa214: "Phoenix Inverter 48V 375VA 230V",
  0xa221: "Phoenix Inverter 12V 500VA 230V", 0xa222: "Phoenix Inverter 24V 500VA 230V",
  0xa224: "Phoenix Inverter 48V 500VA 230V", 0xa231: "Phoenix Inverter 12V 250VA 230V",
  0xa232: "Phoenix Inverter 24V 250VA 230V", 0xa234: "Phoenix Inverter 48V 250VA 230V",
  0xa239: "Phoenix Inverter 12V 250VA 120V", 0xa23a: "Phoenix Inverter 24V 250VA 120V",
  0xa23c: "Phoenix Inverter 48V 250VA 120V", 0xa241: "Phoenix Inverter 12V 375VA 230V",
  0xa242: "Phoenix Inverter 24V 375VA 230V", 0xa244: "Phoenix Inverter 48V 375VA 230V",
  0xa249: "Phoenix Inverter 12V 375VA 120V", 0xa24a: "Phoenix Inverter 24V 375VA 120V",
  0xa24c: "Phoenix Inverter 48V 375VA 120V", 0xa251: "Phoenix Inverter 12V 500VA 230V",
  0xa252: "Phoenix Inverter 24V 500VA 230V", 0xa254: "Phoenix Inverter 48V 500VA 230V",
  0xa259: "Phoenix Inverter 12V 500VA 120V", 0xa25a: "Phoenix Inverter 24V 500VA 120V",
  0xa25c: "Phoenix Inverter 48V 500VA 120V", 0xa261: "Phoenix Inverter 12V 800VA 230V",
  0xa262: "Phoenix Inverter 24V 800VA 230V", 0xa264: "Phoenix Inverter 48V 800VA 230V",
  0xa269: "Phoenix Inverter 12V 800VA 120V", 0xa26a: "Phoenix Inverter 24V 800VA 120V",
  0xa26c: "Phoenix Inverter 48V 800VA 120V", 0xa271: "Phoenix Inverter 12V 1200VA 230V",
  0xa272: "Phoenix Inverter 24V 1200VA 230V", 0xa274: "Phoenix Inverter 48V 1200VA 230V",
  0xa279: "Phoenix Inverter 12V 1200VA 120V", 0xa27a: "Phoenix Inverter 24V 1200VA 120V",
  0xa27c: "Phoenix Inverter 48V 1200VA 120V", 0xa381: "BMV-712 Smart", 0xa382: "BMV-710H Smart",
  0xa383: "BMV-712 Smart Rev2", 0xa389: "SmartShunt 500A/50mV", 0xa38a: "SmartShunt 1000A/50mV",
  0xa38b: "SmartShunt 2000A/50mV", 0xa3f0: "Smart BuckBoost 12V/12V-50A",
};
/** ERR, the charger's error code (VE.Direct protocol document). */
export const VE_ERRORS: { [code: number]: string } = {
  0: "no error", 2: "battery voltage too high", 17: "charger temperature too high", 18: "charger over current",
  19: "charger current reversed", 20: "bulk time limit exceeded", 21: "current sensor issue (sensor bias/sensor broken)",
  26: "terminals overheated", 28: "converter issue (dual converter models only)", 33: "input voltage too high (solar panel)",
  34: "input current too high (solar panel)", 38: "input shutdown (due to excessive battery voltage)",
  39: "input shutdown (due to current flow during off mode)", 65: "lost communication with one of devices",
  66: "synchronised charging device configuration issue", 67: "BMS connection lost", 68: "network misconfigured",
  116: "factory calibration data lost", 117: "invalid/incompatible firmware", 119: "user settings invalid",
};
/** MON, the DC monitor mode of a SmartShunt or BMV-712 (VE.Direct protocol document): what its shunt measures. */
export const VE_MONITOR_MODES: { [code: number]: string } = {
  "-9": "solar charger", "-8": "wind turbine", "-7": "shaft generator", "-6": "alternator", "-5": "fuel cell",
  "-4": "water generator", "-3": "DC/DC charger", "-2": "AC charger", "-1": "generic source", 0: "battery monitor",
  1: "generic load", 2: "electric drive", 3: "fridge", 4: "water pump", 5: "bilge pump", 6: "DC system", 7: "inverter",
  8: "water heater",
};
/** AR and WARN bits (decimal sum on the wire). */
export const VE_ALARM_BITS = [
  "low voltage", "high voltage", "low SOC", "low starter voltage", "high starter voltage", "low temperature",
  "high temperature", "mid voltage", "overload", "DC ripple", "low V AC out", "high V AC out", "short circuit",
  "BMS lockout",
];
/** OR bits. */
export const VE_OFF_REASON_BITS = [
  "no input power", "switched off (power switch)", "switched off (device mode register)", "remote input",
  "protection active", "paygo", "BMS", "engine shutdown detection", "analysing input voltage",
];

/** Names of the bits set in a mask (AR/WARN with VE_ALARM_BITS, OR with VE_OFF_REASON_BITS). */
export function veBitNames(mask: number, names: string[]): string[] {
  const out: string[] = [];
  for (let b = 0; b < names.length; b++) if (mask & (1 << b)) out.push(names[b]);
  return out;
}

/** The decoded block with *_name keys added for the codes that have a known name. */
export function nameVeDirectValues(v: VeDirectValues): VeDirectValues {
  const out: VeDirectValues = Object.assign({}, v);
  if (v.chargeState != null && VE_CHARGE_STATES[v.chargeState]) out.chargeState_name = VE_CHARGE_STATES[v.chargeState];
  if (v.tracker != null && VE_TRACKER[v.tracker]) out.tracker_name = VE_TRACKER[v.tracker];
  if (v.deviceMode != null && VE_MODES[v.deviceMode]) out.deviceMode_name = VE_MODES[v.deviceMode];
  if (v.monitorMode != null && VE_MONITOR_MODES[v.monitorMode]) out.monitorMode_name = VE_MONITOR_MODES[v.monitorMode];
  if (v.error != null && VE_ERRORS[v.error]) out.error_name = VE_ERRORS[v.error];
  if (v.productId != null && VE_PRODUCTS[v.productId]) out.product_name = VE_PRODUCTS[v.productId];
  return out;
}
