// Growatt SPF-class off-grid inverter/charger (SPF 3000-6000 ES PLUS): Growatt's "OffGrid Modbus RS485/RS232 RTU
// Protocol" (input registers, FC 04; 16-bit unsigned registers, 32-bit values HIGH word first). Field by field,
// what was checked against Growatt's published document and what was not (docs/protocols.md "Growatt SPF"):
//   checked: the document's change record (V0.02-V0.07) names input register 0 system status, 17 battery voltage in
//     0.01 V (changed from 0.1 V in V0.05) and 77-78 battery power; these registers hold what this map says.
//   UNVERIFIED (every other field, and the sign and scale of 77-78): taken from a third-party register list, not
//     from Growatt's register table itself, and not checked against a capture. Until a site's capture or the
//     vendor's table confirms them, read these values as indications, not measurements.

import { defineMap, RegMap, SIGNED } from "../modbus-map";

/**
 * What the board reads and publishes, as a board map (modbus-reader.ts: quantity key, register, flags, divisor;
 * 8 = 32-bit high word first, 16 battery quantity): the fields of growattSpf() below that become quantities, the
 * inverter's own channels included (inverter_state from the system status, ac_out_W, inverter_fault from the fault
 * code). The SPF gives no battery current here: battery_A and battery_W are reported as missing.
 */
export const GROWATT_SPF =
  "inverter_state 0 0 1 pv_V 1 0 10 pv_W 3 8 10 ac_out_W 9 8 10 battery_V 17 16 100 battery_soc_pct 18 16 1 ac_out_V 22 0 10 inverter_fault 42 0 1";

export function growattSpf(): RegMap {
  return defineMap("Growatt SPF", [
    // checked: system status (document change record V0.02). 0 standby, 2 discharge, 3 fault, 4 flash, 5 PV charge,
    // 6 AC charge, 7 combine charge ... (the code list itself: UNVERIFIED)
    ["status", 0, 1, 0, 0],
    ["pv_V", 1, 1, 0, -1], // UNVERIFIED
    ["pv_W", 3, 2, 0, -1], // UNVERIFIED
    ["ac_out_W", 9, 2, 0, -1], // UNVERIFIED: AC output active power
    ["ac_out_VA", 11, 2, 0, -1], // UNVERIFIED
    ["battery_V", 17, 1, 0, -2], // checked: 0.01 V since document V0.05
    ["soc_pct", 18, 1, 0, 0], // UNVERIFIED
    ["ac_in_V", 20, 1, 0, -1], // UNVERIFIED
    ["ac_in_Hz", 21, 1, 0, -2], // UNVERIFIED
    ["ac_out_V", 22, 1, 0, -1], // UNVERIFIED
    ["ac_out_Hz", 23, 1, 0, -2], // UNVERIFIED
    ["inverter_temp_C", 25, 1, SIGNED, -1], // UNVERIFIED
    ["ac_out_A", 34, 1, 0, -1], // UNVERIFIED
    ["fault_bits", 40, 1, 0, 0], // UNVERIFIED
    ["warning_bits", 41, 1, 0, 0], // UNVERIFIED
    ["fault_code", 42, 1, 0, 0], // UNVERIFIED
    ["warning_code", 43, 1, 0, 0], // UNVERIFIED
    ["energy_pv_today_kWh", 48, 2, 0, -1], // UNVERIFIED
    ["energy_pv_total_kWh", 50, 2, 0, -1], // UNVERIFIED
    ["battery_W", 77, 2, SIGNED, -1], // checked: battery power at 77-78 (document V0.07); sign and scale UNVERIFIED
  ]);
}
