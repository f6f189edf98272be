// EPEver (EPsolar) Tracer A/B/AN/BN MPPT charge controllers: register map from "EPsolar controller protocol
// V2.3" (docs/protocols.md "Modbus RTU"), checked against the real Tracer2215BN capture
// (fixtures/real/modbus/epsolar-tracer-pairs.json). 115200 8N1, slave 1. Live data are input registers
// (FC 04; FC 03 on 0x3xxx answers exception 02), settings are holding registers (FC 03/10).
// Values are raw / 100 unless noted; 32-bit values have the LOW word at the lower address.
// Read a 32-bit value in ONE request: the capture shows 0x331B and 0x331C read apart giving a torn value.

import { defineMap, HOLDING, LOW_FIRST, RegMap, SIGNED } from "../modbus-map";

const L = LOW_FIRST;

/**
 * What the board reads and publishes, as a board map (modbus-reader.ts: quantity key, register, flags, divisor;
 * 10 = 32-bit low word first, 16 battery quantity, 17 signed battery quantity, 27 signed 32-bit low word first
 * battery quantity, 32 charger status bits): the fields of epeverLive() below that become quantities, in
 * 5 contiguous reads. Their keys there: battery_charge_A, battery_temp_C, soc_pct, charger_status, battery_net_A.
 */
export const EPEVER_TRACER =
  "pv_V 0x3100 0 100 pv_A 0x3101 0 100 pv_W 0x3102 10 100 battery_V 0x3104 16 100 charge_A 0x3105 0 100 " +
  "load_V 0x310c 0 100 load_A 0x310d 0 100 load_W 0x310e 10 100 battery_temp_C 0x3110 17 100 " +
  "battery_soc_pct 0x311a 16 1 charger_status 0x3201 32 1 battery_A 0x331b 27 100";

/** Real-time data (0x31xx), status (0x32xx) and statistics (0x33xx): the map polled every interval. */
export function epeverLive(): RegMap {
  return defineMap("EPEver Tracer", [
    ["pv_V", 0x3100, 1, 0, -2],
    ["pv_A", 0x3101, 1, 0, -2],
    ["pv_W", 0x3102, 2, L, -2],
    ["battery_V", 0x3104, 1, 0, -2],
    ["battery_charge_A", 0x3105, 1, 0, -2],
    ["battery_charge_W", 0x3106, 2, L, -2],
    ["load_V", 0x310c, 1, 0, -2],
    ["load_A", 0x310d, 1, 0, -2],
    ["load_W", 0x310e, 2, L, -2],
    ["battery_temp_C", 0x3110, 1, SIGNED, -2],
    ["case_temp_C", 0x3111, 1, SIGNED, -2],
    ["heatsink_temp_C", 0x3112, 1, SIGNED, -2],
    ["soc_pct", 0x311a, 1, 0, 0], // plain integer percent
    ["remote_battery_temp_C", 0x311b, 1, SIGNED, -2],
    ["system_rated_V", 0x311d, 1, 0, -2],
    ["battery_status", 0x3200, 1, 0, 0], // bit fields: epeverBatteryStatus()
    ["charger_status", 0x3201, 1, 0, 0], // epeverChargerStatus()
    ["load_status", 0x3202, 1, 0, 0], // D0 running, D1 fault
    ["pv_max_today_V", 0x3300, 1, 0, -2],
    ["pv_min_today_V", 0x3301, 1, 0, -2],
    ["battery_max_today_V", 0x3302, 1, 0, -2],
    ["battery_min_today_V", 0x3303, 1, 0, -2],
    ["energy_consumed_today_kWh", 0x3304, 2, L, -2],
    ["energy_consumed_month_kWh", 0x3306, 2, L, -2],
    ["energy_consumed_year_kWh", 0x3308, 2, L, -2],
    ["energy_consumed_total_kWh", 0x330a, 2, L, -2],
    ["energy_generated_today_kWh", 0x330c, 2, L, -2],
    ["energy_generated_month_kWh", 0x330e, 2, L, -2],
    ["energy_generated_year_kWh", 0x3310, 2, L, -2],
    ["energy_generated_total_kWh", 0x3312, 2, L, -2],
    ["battery_stats_V", 0x331a, 1, 0, -2],
    ["battery_net_A", 0x331b, 2, L | SIGNED, -2], // + charging, - discharging
    ["battery_stats_temp_C", 0x331d, 1, SIGNED, -2],
    ["ambient_temp_C", 0x331e, 1, SIGNED, -2],
  ]);
}

/** Rated data (0x30xx, read once at start). */
export function epeverRated(): RegMap {
  return defineMap("EPEver Tracer rated", [
    ["pv_rated_V", 0x3000, 1, 0, -2],
    ["pv_rated_A", 0x3001, 1, 0, -2],
    ["pv_rated_W", 0x3002, 2, L, -2],
    ["battery_rated_V", 0x3004, 1, 0, -2],
    ["charge_rated_A", 0x3005, 1, 0, -2],
    ["charge_rated_W", 0x3006, 2, L, -2],
    ["charging_mode", 0x3008, 1, 0, 0], // 0 connect/disconnect, 1 PWM, 2 MPPT
    ["load_rated_A", 0x300e, 1, 0, -2],
  ]);
}

/** Battery settings (holding registers 0x9000.., FC 03 to read, FC 10 to write). */
export function epeverSettings(): RegMap {
  const H = HOLDING;
  return defineMap("EPEver Tracer settings", [
    ["battery_type", 0x9000, 1, H, 0], // 0 user, 1 sealed, 2 gel, 3 flooded
    ["battery_capacity_Ah", 0x9001, 1, H, 0],
    ["temp_compensation_mV_per_C_2V", 0x9002, 1, H, -2],
    ["high_voltage_disconnect_V", 0x9003, 1, H, -2],
    ["charging_limit_V", 0x9004, 1, H, -2],
    ["over_voltage_reconnect_V", 0x9005, 1, H, -2],
    ["equalization_V", 0x9006, 1, H, -2],
    ["boost_V", 0x9007, 1, H, -2],
    ["float_V", 0x9008, 1, H, -2],
    ["boost_reconnect_V", 0x9009, 1, H, -2],
    ["low_voltage_reconnect_V", 0x900a, 1, H, -2],
    ["under_voltage_recover_V", 0x900b, 1, H, -2],
    ["under_voltage_warning_V", 0x900c, 1, H, -2],
    ["low_voltage_disconnect_V", 0x900d, 1, H, -2],
    ["discharging_limit_V", 0x900e, 1, H, -2],
  ]);
}

/**
 * The other holding registers a technician's PC tool reads (EPsolar controller protocol V2.3), for the decode
 * CLI: the real-time clock (0x9013-0x9015, read whole it is also given as a date: epeverClock), temperature limits,
 * the day/night thresholds of the light control, the load's control mode, the charge stage durations and the
 * depth of discharge and charge. Raw words where the document gives no scale.
 */
export function epeverOther(): RegMap {
  const H = HOLDING;
  return defineMap("EPEver Tracer other", [
    ["clock_min_sec", 0x9013, 1, H, 0], // minute << 8 | second
    ["clock_day_hour", 0x9014, 1, H, 0], // day << 8 | hour
    ["clock_year_month", 0x9015, 1, H, 0], // (year - 2000) << 8 | month
    ["battery_temp_upper_limit_degC", 0x9017, 1, H | SIGNED, -2],
    ["battery_temp_lower_limit_degC", 0x9018, 1, H | SIGNED, -2],
    ["controller_temp_upper_limit_degC", 0x9019, 1, H | SIGNED, -2],
    ["controller_temp_recover_degC", 0x901a, 1, H | SIGNED, -2],
    ["night_threshold_V", 0x901e, 1, H, -2],
    ["night_delay_min", 0x901f, 1, H, 0],
    ["day_threshold_V", 0x9020, 1, H, -2],
    ["day_delay_min", 0x9021, 1, H, 0],
    ["load_control_mode", 0x903d, 1, H, 0], // 0 manual, 1 light on/off, 2 light on + timer, 3 time control
    ["battery_rated_voltage_code", 0x9067, 1, H, 0], // 0 auto, 1 12 V, 2 24 V
    ["equalize_duration_min", 0x906b, 1, H, 0],
    ["boost_duration_min", 0x906c, 1, H, 0],
    ["discharging_percentage_pct", 0x906d, 1, H, 0],
    ["charging_percentage_pct", 0x906e, 1, H, 0],
    ["battery_management_mode", 0x9070, 1, H, 0], // 0 voltage compensation, 1 SOC
  ]);
}

/** 0x3200 battery status: D3-0 voltage (0 normal, 1 over, 2 under, 3 low-voltage disconnect, 4 fault), D7-4 temperature (0 normal, 1 over, 2 low). */
export function epeverBatteryStatus(x: number): { v: number; t: number } {
  return { v: x & 0xf, t: (x >> 4) & 0xf };
}

/** 0x3201 charger status: D0 running, D1 fault, D3-2 charging (0 none, 1 float, 2 boost, 3 equalize). */
export function epeverChargerStatus(x: number): { run: boolean; fault: boolean; ch: number } {
  return { run: !!(x & 1), fault: !!(x & 2), ch: (x >> 2) & 3 };
}

/** RTC holding registers 0x9013-0x9015: (min << 8 | sec), (day << 8 | hour), (year << 8 | month), year since 2000. */
export function epeverClock(v: ArrayLike<number>): { y: number; mo: number; d: number; h: number; mi: number; s: number } {
  return { y: 2000 + (v[2] >> 8), mo: v[2] & 0xff, d: v[1] >> 8, h: v[1] & 0xff, mi: v[0] >> 8, s: v[0] & 0xff };
}
