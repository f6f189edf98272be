// Register images for the Modbus slave model, written through the same register maps the firmware reads
// (firmware/drivers/maps), so that values -> registers -> driver -> values is a closed loop.

import { ACC, HOLDING, LOW_FIRST, NI, RegMap, scale, SIGNED, TEXT, Values } from "../../firmware/drivers/modbus-map";
import { sunspecModel, SUNS_HI, SUNS_LO, SUNSPEC_END } from "../../firmware/drivers/modbus-sunspec";
import type { ModbusSlave } from "./modbus-slave";

/** The registers of one field for a value (null -> the not-implemented pattern, or 0 for plain fields). */
export function encodeField(m: RegMap, i: number, value: number | string | null | undefined, e: number): number[] {
  const t = m.t[i];
  const w = m.w[i];
  if (t & TEXT) {
    const s = String(value ?? "").padEnd(w * 2, "\0");
    const out: number[] = [];
    for (let j = 0; j < w; j++) out.push(((s.charCodeAt(2 * j) & 0xff) << 8) | (s.charCodeAt(2 * j + 1) & 0xff));
    return out;
  }
  let raw: number;
  if (value === null || value === undefined || typeof value === "string") {
    if (t & ACC) raw = 0;
    else if (t & NI) raw = t & SIGNED ? (w === 2 ? -0x80000000 : -0x8000) : w === 2 ? 0xffffffff : 0xffff;
    else raw = 0;
  } else raw = Math.round(scale(value, -e));
  const bits = w === 2 ? 0x100000000 : 0x10000;
  if (raw < 0) raw += bits;
  raw = Math.max(0, Math.min(bits - 1, raw));
  if (w === 1) return [raw];
  const hi = Math.floor(raw / 0x10000);
  const lo = raw % 0x10000;
  return t & LOW_FIRST ? [lo, hi] : [hi, lo];
}

/**
 * Writes a record into the slave's banks (input or holding per field) through the map. Fields with a SunSpec
 * scale-factor register take their exponent from sf (register -> exponent; default 0) and the scale-factor
 * register is written too.
 */
export function fillFromRecord(slave: ModbusSlave, m: RegMap, values: Values, sf: Map<number, number> = new Map()): void {
  for (let i = 0; i < m.k.length; i++) {
    const bank = m.t[i] & HOLDING ? slave.holding : slave.input;
    let e = m.e[i];
    if (m.sf && m.sf[i]) {
      e = sf.get(m.sf[i]) ?? 0;
      bank.set(m.sf[i], e & 0xffff);
    }
    encodeField(m, i, values[m.k[i]], e).forEach((x, j) => bank.set(m.r[i] + j, x));
  }
}

/** Scale factors a SunSpec inverter model (101-103) uses in the image, by offset from the model's data start. */
export const SUNSPEC_INVERTER_SF: Record<number, number> = {
  4: -2, 11: -1, 13: 0, 15: -2, 17: 0, 19: 0, 21: -1, 24: 0, 26: -2, 28: -1, 30: 0, 35: -1,
};

export interface SunSpecModelImage {
  id: number;
  len: number; // L: 65/66 for model 1, 50 for 101-103
  values: Values;
}

/**
 * Loads a SunSpec device into the holding bank: "SunS" at base, the models in order, each zero-filled to
 * its length and then written through its map, then the end marker (0xFFFF, 0). Returns the address of
 * each model's ID register.
 */
export function loadSunSpec(slave: ModbusSlave, base: number, models: SunSpecModelImage[]): number[] {
  const h = slave.holding;
  h.set(base, SUNS_HI);
  h.set(base + 1, SUNS_LO);
  let at = base + 2;
  const where: number[] = [];
  for (const mo of models) {
    where.push(at);
    h.set(at, mo.id);
    h.set(at + 1, mo.len);
    for (let j = 0; j < mo.len; j++) h.set(at + 2 + j, 0);
    const m = sunspecModel(mo.id, mo.len, at);
    if (m) {
      const sf = new Map<number, number>();
      for (const off in SUNSPEC_INVERTER_SF) sf.set(at + 2 + Number(off), SUNSPEC_INVERTER_SF[off]);
      fillFromRecord(slave, m, mo.values, sf);
    }
    at += 2 + mo.len;
  }
  h.set(at, SUNSPEC_END);
  h.set(at + 1, 0);
  return where;
}
