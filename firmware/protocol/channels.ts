// The channel table: every value a node can report, with a stable numeric id (never reused; a change of meaning
// takes a new id), a key with its unit, how it is aggregated over a report interval, and its decimal scale
// (on the wire: integer = round(value * 10^scale)). A node sends the subset it measures, in its birth message;
// the rows of its batches are in that order. The tables are functions: a node makes the objects of the channels
// it reports when it builds its table, and keeps no others in its variables.

/** mean/min/max over the samples of the interval; last sample; counter = monotonic total at the interval's end. */
export type Aggregation = "mean" | "min" | "max" | "last" | "counter";

export interface ChannelDef {
  id: number;
  key: string;
  agg: Aggregation;
  scale: number;
}

function ch(id: number, key: string, agg: Aggregation, scale: number): ChannelDef {
  return { id: id, key: key, agg: agg, scale: scale };
}

/** Battery bank (battery monitor over VE.Direct, or the charge controller's own reading). */
export function batteryChannels(): ChannelDef[] {
  return [
    ch(1, "battery_V", "mean", 3),
    ch(2, "battery_V", "min", 3),
    ch(3, "battery_V", "max", 3),
    ch(4, "battery_A", "mean", 3),
    ch(5, "battery_W", "mean", 1),
    ch(6, "battery_soc_pct", "last", 1),
    ch(7, "battery_consumed_Ah", "last", 3),
    ch(8, "battery_ttg_min", "last", 0),
    ch(9, "battery_temp_C", "mean", 1),
  ];
}

/** PV array and charger (charge controller over Modbus, or an MPPT over VE.Direct). */
export function chargerChannels(): ChannelDef[] {
  return [
    ch(20, "pv_V", "mean", 2),
    ch(21, "pv_A", "mean", 2),
    ch(22, "pv_W", "mean", 1),
    ch(23, "pv_W", "max", 1),
    ch(24, "charge_A", "mean", 2),
    ch(25, "charge_state", "last", 0),
    ch(26, "charger_fault", "last", 0),
    ch(30, "load_V", "mean", 2),
    ch(31, "load_A", "mean", 2),
    ch(32, "load_W", "mean", 1),
  ];
}

/** Inverter / inverter-charger. */
export function inverterChannels(): ChannelDef[] {
  return [
    ch(40, "ac_out_V", "mean", 1),
    ch(41, "ac_out_W", "mean", 0),
    ch(42, "ac_out_W", "max", 0),
    ch(43, "inverter_state", "last", 0),
    ch(44, "inverter_fault", "last", 0),
  ];
}

/** Energy counters (Wh, monotonic per boot-independent total kept in flash). */
export function energyChannels(): ChannelDef[] {
  return [
    ch(100, "pv_Wh", "counter", 1),
    ch(101, "battery_charge_Wh", "counter", 1),
    ch(102, "battery_discharge_Wh", "counter", 1),
    ch(103, "load_Wh", "counter", 1),
  ];
}

/** Load feeder n (1..8) measured by an INA226: ids 50 + 4(n-1) .. +3, energy 110 + (n-1). */
export function feederChannels(n: number): ChannelDef[] {
  const base = 50 + 4 * (n - 1);
  const p = "feeder" + n + "_";
  return [ch(base, p + "V", "mean", 3), ch(base + 1, p + "A", "mean", 3), ch(base + 2, p + "W", "mean", 1), ch(base + 3, p + "W", "max", 1), ch(110 + n - 1, p + "Wh", "counter", 1)];
}

/** Mains feeder n (1..4) on a CT clamp: ids 90 + 2(n-1) .. +1, energy 120 + (n-1). */
export function ctChannels(n: number): ChannelDef[] {
  const base = 90 + 2 * (n - 1);
  const p = "ct" + n + "_";
  return [ch(base, p + "A", "mean", 2), ch(base + 1, p + "W", "mean", 0), ch(120 + n - 1, p + "Wh", "counter", 1)];
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
