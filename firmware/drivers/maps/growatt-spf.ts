// Growatt SPF-class off-grid inverter/charger (SPF 3000-6000 ES PLUS). UNVERIFIED: third-party map
// (0xAHA/Growatt_ModbusTCP profiles/spf.py, see docs/protocols.md), not checked against a capture or
// the vendor's document. Input registers (FC 04); 32-bit values have the HIGH word first.

import { defineMap, RegMap, SIGNED } from "../modbus-map";

/**
 * What the board reads and publishes, as a board map (modbus-reader.ts: quantity key, register, flags, divisor;
 * 8 = 32-bit high word first, 16 battery quantity): the fields of growattSpf() below that become quantities.
 * The SPF gives no battery current here: battery_A and battery_W are reported as missing.
 */
export const GROWATT_SPF = "pv_V 1 0 10 pv_W 3 8 10 load_W 9 8 10 battery_V 17 16 100 battery_soc_pct 18 16 1 ac_out_V 22 0 10";

export function growattSpf(): RegMap {
  return defineMap("Growatt SPF", [
    ["status", 0, 1, 0, 0], // 0 standby, 1 no use, 2 discharge, 3 fault, 4 flash, 5 PV charge, 6 AC charge, 7 combine charge, ...
    ["pv_V", 1, 1, 0, -1],
    ["pv_W", 3, 2, 0, -1],
    ["load_W", 9, 2, 0, -1], // AC output active power
    ["load_VA", 11, 2, 0, -1],
    ["battery_V", 17, 1, 0, -2],
    ["soc_pct", 18, 1, 0, 0],
    ["ac_in_V", 20, 1, 0, -1],
    ["ac_in_Hz", 21, 1, 0, -2],
    ["ac_out_V", 22, 1, 0, -1],
    ["ac_out_Hz", 23, 1, 0, -2],
    ["inverter_temp_C", 25, 1, SIGNED, -1],
    ["ac_out_A", 34, 1, 0, -1],
    ["fault_bits", 40, 1, 0, 0],
    ["warning_bits", 41, 1, 0, 0],
    ["fault_code", 42, 1, 0, 0],
    ["warning_code", 43, 1, 0, 0],
    ["energy_pv_today_kWh", 48, 2, 0, -1],
    ["energy_pv_total_kWh", 50, 2, 0, -1],
    ["battery_W", 77, 2, SIGNED, -1], // + discharging, - charging
  ]);
}
