// Names of VE.Direct codes, for people (CLI, gateway, logs): CS, MPPT, MODE, PID, AR/WARN and OR bits, as listed in
// docs/protocols.md "VE.Direct text". Kept apart from the decoder so the firmware need not carry them.

import { VeDirectValues } from "./vedirect-decode";

/** CS (and HEX register 0x0201 device state). */
export const VE_CHARGE_STATES: { [code: number]: string } = {
  0: "off", 1: "low power", 2: "fault", 3: "bulk", 4: "absorption", 5: "float", 6: "storage", 7: "equalize (manual)",
  9: "inverting", 11: "power supply", 245: "starting-up", 246: "repeated absorption", 247: "auto-equalize / recondition",
  248: "BatterySafe", 252: "external control",
};
export const VE_TRACKER: { [code: number]: string } = { 0: "off", 1: "voltage or current limited", 2: "MPPT active" };
export const VE_MODES: { [code: number]: string } = { 1: "charger", 2: "inverter", 4: "off", 5: "eco", 253: "hibernate" };
/** Product ids from docs/protocols.md, and 0xA042 from test/fixtures/real/vedirect/SOURCES.md (bluesolar_1.23.dump). */
export const VE_PRODUCTS: { [pid: number]: string } = {
  0x203: "BMV-700", 0x204: "BMV-702", 0xa389: "SmartShunt 500A", 0xa04c: "BlueSolar MPPT 75/10",
  0xa042: "BlueSolar MPPT 75/15", 0xa053: "SmartSolar MPPT 75/15", 0xa075: "SmartSolar MPPT 75/15",
  0xa056: "SmartSolar MPPT 100/30",
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
  if (v.productId != null && VE_PRODUCTS[v.productId]) out.product_name = VE_PRODUCTS[v.productId];
  return out;
}
