// SunSpec discovery, pure: find the "SunS" marker, then walk the model chain (ID, L, L registers of data)
// until ID 0xFFFF (SunSpec Information Model Specification, "Device Modbus Map"; docs/protocols.md).
// The caller does the reads (2 holding registers at next()) and feeds each answer back.

import { RegMap } from "./modbus-map";
import { sunspecCommon, sunspecInverter } from "./maps/sunspec";

/** Where the marker may sit, in the order tried. */
export const SUNSPEC_BASES = [40000, 0, 50000];
/** "SunS" as two registers. */
export const SUNS_HI = 0x5375;
export const SUNS_LO = 0x6e53;
/** Last model ID. */
export const SUNSPEC_END = 0xffff;

/** Walk state. */
export const WALK_MARKER = 0;
export const WALK_MODELS = 1;
export const WALK_DONE = 2;
export const WALK_NONE = 3; // no marker at any base
export const WALK_BROKEN = 4; // a read failed or the chain runs off the address space

const MAX_MODELS = 32;

/** The map of a known model whose ID register is at `at`, or null for a model this firmware does not read. */
export function sunspecModel(id: number, len: number, at: number): RegMap | null {
  if (id === 1 && (len === 65 || len === 66)) return sunspecCommon(at + 2);
  if (id >= 101 && id <= 103 && len === 50) return sunspecInverter(id, at + 2);
  return null;
}

export class SunSpecWalk {
  st = WALK_MARKER;
  i = 0; // index into SUNSPEC_BASES
  a = SUNSPEC_BASES[0]; // address of the next read
  n = 0; // models seen
  ids: number[] = []; // IDs of every model in the chain, known or not
  maps: RegMap[] = []; // maps of the known models, in chain order

  /** Address of the next 2-register FC 03 read, or -1 when the walk is over (see st). */
  next(): number {
    return this.st === WALK_MARKER || this.st === WALK_MODELS ? this.a : -1;
  }

  /** The two registers read at next(), or null when the read failed (exception, timeout). */
  feed(v: ArrayLike<number> | null): void {
    if (this.st === WALK_MARKER) {
      if (v && v.length >= 2 && v[0] === SUNS_HI && v[1] === SUNS_LO) {
        this.st = WALK_MODELS;
        this.a += 2;
      } else if (++this.i < SUNSPEC_BASES.length) this.a = SUNSPEC_BASES[this.i];
      else this.st = WALK_NONE;
      return;
    }
    if (this.st !== WALK_MODELS) return;
    if (!v || v.length < 2) {
      this.st = WALK_BROKEN;
      return;
    }
    const id = v[0];
    const len = v[1];
    if (id === SUNSPEC_END) {
      this.st = WALK_DONE;
      return;
    }
    this.ids.push(id);
    const m = sunspecModel(id, len, this.a);
    if (m) this.maps.push(m);
    this.a += 2 + len;
    if (++this.n >= MAX_MODELS || this.a + 2 > 0x10000) this.st = WALK_BROKEN;
  }
}
