// SunSpec information models (SunSpec Information Model Specification; docs/protocols.md "SunSpec"):
// layouts relative to the first register after a model's ID and L. Holding registers (FC 03), big-endian,
// high word first. value = raw x 10^SF, SF an int16 register; "not implemented" reads as null.

import { ACC, defineMap, HOLDING, NI, RegMap, SIGNED, TEXT } from "../modbus-map";

const H = HOLDING;
const U = H | NI; // uint16 with 0xFFFF = not implemented
const S = H | NI | SIGNED; // int16 with 0x8000 = not implemented

/** Model 1 "Common" (L = 65, or 66 with a pad register) at data address `at`. */
export function sunspecCommon(at: number): RegMap {
  return defineMap("SunSpec common", [
    ["manufacturer", 0, 16, H | TEXT, 0],
    ["model", 16, 16, H | TEXT, 0],
    ["options", 32, 8, H | TEXT, 0],
    ["version", 40, 8, H | TEXT, 0],
    ["serial", 48, 16, H | TEXT, 0],
    ["device_address", 64, 1, U, 0],
  ], at);
}

/** Models 101/102/103 (single, split, three phase inverter, integer + scale factor, L = 50) at data address `at`. */
export function sunspecInverter(id: number, at: number): RegMap {
  return defineMap("SunSpec inverter " + id, [
    ["ac_A", 0, 1, U, 0, 4],
    ["ac_a_A", 1, 1, U, 0, 4],
    ["ac_b_A", 2, 1, U, 0, 4],
    ["ac_c_A", 3, 1, U, 0, 4],
    ["ac_ab_V", 5, 1, U, 0, 11],
    ["ac_bc_V", 6, 1, U, 0, 11],
    ["ac_ca_V", 7, 1, U, 0, 11],
    ["ac_an_V", 8, 1, U, 0, 11],
    ["ac_bn_V", 9, 1, U, 0, 11],
    ["ac_cn_V", 10, 1, U, 0, 11],
    ["ac_W", 12, 1, S, 0, 13],
    ["ac_Hz", 14, 1, U, 0, 15],
    ["ac_VA", 16, 1, S, 0, 17],
    ["ac_var", 18, 1, S, 0, 19],
    ["ac_pf_pct", 20, 1, S, 0, 21],
    ["energy_Wh", 22, 2, H | ACC, 0, 24], // acc32: 0 = not accumulated
    ["dc_A", 25, 1, U, 0, 26],
    ["dc_V", 27, 1, U, 0, 28],
    ["dc_W", 29, 1, S, 0, 30],
    ["cabinet_temp_C", 31, 1, S, 0, 35],
    ["heatsink_temp_C", 32, 1, S, 0, 35],
    ["transformer_temp_C", 33, 1, S, 0, 35],
    ["other_temp_C", 34, 1, S, 0, 35],
    ["state", 36, 1, U, 0], // 1 off, 2 sleeping, 3 starting, 4 MPPT, 5 throttled, 6 shutting down, 7 fault, 8 standby
    ["vendor_state", 37, 1, U, 0],
    ["events", 38, 2, H | NI, 0], // bitfield32
  ], at);
}
