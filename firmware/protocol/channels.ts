// The channel table: every value a node can report, with a stable numeric id (never reused; a change of meaning
// takes a new id), a key with its unit, how it is aggregated over a report interval, and its decimal scale
// (on the wire: integer = round(value * 10^scale)). A node sends the subset it measures, in its birth message;
// the rows of its batches are in that order.
// The tables are strings of four words per channel, "id key aggregation scale": one string costs a board almost no
// variables, where a table of objects costs several per channel (docs/style.md 13).

/** mean/min/max over the samples of the interval; last sample; counter = monotonic total at the interval's end. */
export type Aggregation = "mean" | "min" | "max" | "last" | "counter";

export interface ChannelDef {
  id: number;
  key: string;
  agg: Aggregation;
  scale: number;
}

/** Battery bank (battery monitor over VE.Direct, or the charge controller's own reading). */
export const batteryTable =
  "1 battery_V mean 3 2 battery_V min 3 3 battery_V max 3 4 battery_A mean 3 5 battery_W mean 1 6 battery_soc_pct last 1 " +
  "7 battery_consumed_Ah last 3 8 battery_ttg_min last 0 9 battery_temp_C mean 1";

/** PV array and charger (charge controller over Modbus, or an MPPT over VE.Direct). */
export const chargerTable =
  "20 pv_V mean 2 21 pv_A mean 2 22 pv_W mean 1 23 pv_W max 1 24 charge_A mean 2 25 charge_state last 0 " +
  "26 charger_fault last 0 30 load_V mean 2 31 load_A mean 2 32 load_W mean 1";

/** Inverter / inverter-charger. */
export const inverterTable = "40 ac_out_V mean 1 41 ac_out_W mean 0 42 ac_out_W max 0 43 inverter_state last 0 44 inverter_fault last 0";

/** Energy counters (Wh, monotonic per boot-independent total kept in flash). */
export const energyTable = "100 pv_Wh counter 1 101 battery_charge_Wh counter 1 102 battery_discharge_Wh counter 1 103 load_Wh counter 1";

/**
 * Load feeder n (1..8) measured by an INA226, '#' standing for n: ids 50 + 4(n-1) .. +3, energy 110 + (n-1).
 * Mains feeder n (1..4) on a CT clamp: ids 90 + 2(n-1) .. +1, energy 120 + (n-1). Counter ids (100 and up) step by 1.
 */
export const feederTable = "50 feeder#_V mean 3 51 feeder#_A mean 3 52 feeder#_W mean 1 53 feeder#_W max 1 110 feeder#_Wh counter 1";
export const ctTable = "90 ct#_A mean 2 91 ct#_W mean 0 120 ct#_Wh counter 1";

/**
 * The power an energy counter integrates: battery_charge_Wh and battery_discharge_Wh read battery_W (positive and
 * negative power), any other X_Wh reads X_W. (String replace: the interpreter's RegExp mishandles optional groups.)
 */
export function counterPower(key: string): string {
  return key.substr(0, key.length - 3).replace("_discharge", "").replace("_charge", "") + "_W";
}

/** Node side (tests, tools): a table string as objects. */
export function channelDefs(table: string): ChannelDef[] {
  const w = table.split(" ");
  const out: ChannelDef[] = [];
  for (let i = 0; i + 3 < w.length; i += 4) out.push({ id: +w[i], key: w[i + 1], agg: w[i + 2] as Aggregation, scale: +w[i + 3] });
  return out;
}

/** Integer on the wire for a value, or null (never 0) when there is none. */
export function scaleToWire(value: number | null | undefined, scale: number): number | null {
  if (value === null || value === undefined || value !== value) return null;
  return Math.round(value * Math.pow(10, scale));
}

export function scaleFromWire(raw: number | null, scale: number): number | null {
  if (raw === null) return null;
  return raw / Math.pow(10, scale);
}
