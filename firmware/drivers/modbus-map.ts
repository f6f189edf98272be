// Register maps as data, the read plan for a map and the decoding of the blocks read. Pure.
// A map is a table of fields in typed arrays (dense in the interpreter), one row per value:
// key (with its unit), register address (PDU address, 0-based), words, type flags, power-of-ten exponent.

import { FC_READ_HOLDING, FC_READ_INPUT, s16, word32 } from "./modbus-rtu";

/** Signed (two's complement). */
export const SIGNED = 1;
/** 32-bit with the LOW word at the lower address (EPEver); otherwise the high word comes first (Growatt, SunSpec). */
export const LOW_FIRST = 2;
/** Holding register, read with FC 03; otherwise an input register, FC 04. */
export const HOLDING = 4;
/** SunSpec "not implemented" values read as null: int16 0x8000, uint16 0xFFFF, int32 0x80000000, uint32 0xFFFFFFFF. */
export const NI = 8;
/** SunSpec acc32/acc16: 0 means not accumulated, read as null. */
export const ACC = 16;
/** Text, two characters per register, high byte first, trailing NULs and spaces dropped. */
export const TEXT = 32;

export interface RegMap {
  n: string; // device name
  k: string[]; // keys, unit in the name: pv_V, load_W, soc_pct
  r: Uint16Array; // register address
  w: Uint8Array; // words (1 or 2; text: its length)
  t: Uint8Array; // flags above
  e: Int8Array; // value = raw x 10^e (ignored where sf gives a scale-factor register)
  sf?: Uint16Array; // SunSpec: register holding the scale factor (int16 exponent), 0 = use e
}

/** A row as written in a map file: key, register, words, flags, exponent [, scale-factor register]. */
export type Row = [string, number, number, number, number] | [string, number, number, number, number, number];

/** Builds a map from rows; registers are offset by `base` (SunSpec models are placed where they are found). */
export function defineMap(name: string, rows: Row[], base = 0): RegMap {
  const n = rows.length;
  const m: RegMap = { n: name, k: [], r: new Uint16Array(n), w: new Uint8Array(n), t: new Uint8Array(n), e: new Int8Array(n) };
  for (let i = 0; i < n; i++) {
    const row = rows[i];
    m.k.push(row[0]);
    m.r[i] = row[1] + base;
    m.w[i] = row[2];
    m.t[i] = row[3];
    m.e[i] = row[4];
    if (row.length > 5) {
      if (!m.sf) m.sf = new Uint16Array(n);
      m.sf[i] = (row[5] as number) + base;
    }
  }
  return m;
}

/** The function code a field is read with. */
export function fieldFc(m: RegMap, i: number): number {
  return m.t[i] & HOLDING ? FC_READ_HOLDING : FC_READ_INPUT;
}

/**
 * Plans the fewest block reads covering every field of a map (and its scale-factor registers): per function
 * code, sorted by address, blocks of at most maxQty registers (MAP §6.3/6.4: 125). Fields closer than
 * maxGap unused registers share a block (0: only contiguous runs, since some devices refuse reads of
 * reserved registers). A field is never split. Greedy from the lowest address, which is optimal for this.
 * Returns [fc, start, qty] triples.
 */
export function planReads(m: RegMap, maxGap = 0, maxQty = 125): Uint16Array {
  const spans: number[] = []; // fc * 2^17 + start, end: one number sorts by fc then address
  for (let i = 0; i < m.r.length; i++) {
    const fc = fieldFc(m, i);
    spans.push(fc * 0x20000 + m.r[i], m.w[i]);
    if (m.sf && m.sf[i]) spans.push(fc * 0x20000 + m.sf[i], 1);
  }
  const order: number[] = [];
  for (let i = 0; i < spans.length; i += 2) order.push(i);
  order.sort(function (a, b) {
    return spans[a] - spans[b];
  });
  const out: number[] = [];
  let fc = -1;
  let start = 0;
  let end = 0; // one past the last register of the current block
  for (let j = 0; j < order.length; j++) {
    const key = spans[order[j]];
    const f = Math.floor(key / 0x20000);
    const r = key - f * 0x20000;
    const e = r + spans[order[j] + 1];
    if (f === fc && r <= end + maxGap && Math.max(e, end) - start <= maxQty) {
      if (e > end) end = e;
      continue;
    }
    if (fc >= 0) out.push(fc, start, end - start);
    fc = f;
    start = r;
    end = e;
  }
  if (fc >= 0) out.push(fc, start, end - start);
  const p = new Uint16Array(out.length);
  for (let i = 0; i < out.length; i++) p[i] = out[i];
  return p;
}

/** A decoded record: key -> value, null where the value is missing or not implemented (never 0). */
export type Values = { [key: string]: number | string | null };

// The block of a plan that holds registers [r, r + w) read with fc, as [block index, offset], or -1.
function locate(p: Uint16Array, fc: number, r: number, w: number): number {
  for (let b = 0; b < p.length; b += 3) {
    if (p[b] === fc && r >= p[b + 1] && r + w <= p[b + 1] + p[b + 2]) return (b / 3) * 0x10000 + r - p[b + 1];
  }
  return -1;
}

/** 10^e without Math.pow rounding: divide for negative exponents so that 1296 x 10^-2 is exactly 12.96. */
export function scale(raw: number, e: number): number {
  let d = 1;
  for (let i = e < 0 ? -e : e; i > 0; i--) d *= 10;
  return e < 0 ? raw / d : raw * d;
}

/** Decodes one field from the registers of its block (v, starting at offset o). */
export function decodeField(m: RegMap, i: number, v: ArrayLike<number>, o: number, e: number): number | string | null {
  const t = m.t[i];
  const w = m.w[i];
  if (t & TEXT) {
    let s = "";
    for (let j = 0; j < w; j++) s += String.fromCharCode(v[o + j] >> 8, v[o + j] & 0xff);
    return s.replace(/[\0 ]+$/, "");
  }
  let raw: number;
  if (w === 2) {
    raw = word32(v, o, !!(t & LOW_FIRST), !!(t & SIGNED));
    if (t & NI && raw === (t & SIGNED ? -0x80000000 : 0xffffffff)) return null;
  } else {
    raw = v[o];
    if (t & NI && raw === (t & SIGNED ? 0x8000 : 0xffff)) return null;
    if (t & SIGNED) raw = s16(raw);
  }
  if (t & ACC && raw === 0) return null;
  return scale(raw, e);
}

/**
 * Decodes the blocks read for a plan into a record. blocks[j] holds the registers of plan block j, or
 * null/undefined when that read failed: its fields are null. A SunSpec scale factor that is itself not
 * implemented (0x8000) or out of range makes its fields null.
 */
export function decodeBlocks(m: RegMap, p: Uint16Array, blocks: (ArrayLike<number> | null | undefined)[]): Values {
  const out: Values = {};
  for (let i = 0; i < m.k.length; i++) {
    const fc = fieldFc(m, i);
    const at = locate(p, fc, m.r[i], m.w[i]);
    const v = at < 0 ? null : blocks[Math.floor(at / 0x10000)];
    let e: number | null = m.e[i];
    if (m.sf && m.sf[i]) {
      const sa = locate(p, fc, m.sf[i], 1);
      const sv = sa < 0 ? null : blocks[Math.floor(sa / 0x10000)];
      const x = sv ? s16(sv[sa & 0xffff]) : 0x8000;
      e = x >= -10 && x <= 10 ? x : null;
    }
    out[m.k[i]] = v && e !== null && v.length >= (at & 0xffff) + m.w[i] ? decodeField(m, i, v, at & 0xffff, e) : null;
  }
  return out;
}
