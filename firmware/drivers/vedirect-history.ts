// VE.Direct HEX history of a solar charger (Victron's BlueSolar/SmartSolar HEX protocol document, "history data"):
// register 0x104F holds the totals, 0x1050 today (day 0) and 0x1051..0x106E the 30 days before it (day 1..30).
// Each is one structure, little-endian (docs/protocols.md "VE.Direct HEX"). Pure; host side only (decode CLI, tests).
//
// A day record, 34 bytes: reserved u8 | yield u32 0.01 kWh | consumed (load output) u32 0.01 kWh | battery maximum
// u16 0.01 V | battery minimum u16 0.01 V | error database u8 | four last errors u8 each (ERR codes) | time in bulk,
// absorption, float u16 minutes each | maximum power u32 W | maximum battery current u16 0.1 A | maximum panel
// voltage u16 0.01 V | day sequence number u16.
// Checked against the asynchronous 0x1050 frames a BlueSolar MPPT 75/15 sent in test/fixtures/real/vedirect/
// bluesolar_1.23.dump: their maximum power (11 W) and day sequence number (274) are the text blocks' H21 and HSDS.
//
// The totals record, 34 bytes: reserved u8 | error database u8 | four last errors u8 each | total yield (user,
// resettable) u32 0.01 kWh | total yield (system) u32 0.01 kWh | maximum panel voltage u16 0.01 V | maximum battery
// voltage u16 0.01 V | number of days available u8 | reserved to the end. Not cross-checked by a capture.

import { leUint } from "./vedirect-hex";

export const VE_HISTORY_TOTAL = 0x104f;
export const VE_HISTORY_DAY0 = 0x1050;
export const VE_HISTORY_DAY30 = 0x106e;

export interface VeHistoryDay {
  /** 0 today, 1 yesterday ... 30 (from the register: 0x1050 + day). */
  day: number;
  yield_Wh: number;
  consumed_Wh: number;
  maxBattery_mV: number;
  minBattery_mV: number;
  /** Error codes (ERR) of the day, the last first; 0 (no error) left out. */
  errors: number[];
  bulk_min: number;
  absorption_min: number;
  float_min: number;
  maxPower_W: number;
  maxBattery_mA: number;
  maxPanel_mV: number;
  daySequence: number;
}

export interface VeHistoryTotal {
  errors: number[];
  yieldUser_Wh: number;
  yieldSystem_Wh: number;
  maxPanel_mV: number;
  maxBattery_mV: number;
  daysAvailable: number;
}

function errorsAt(d: ArrayLike<number>, from: number): number[] {
  const out: number[] = [];
  for (let i = from; i < from + 4; i++) if (d[i]) out.push(d[i]);
  return out;
}

/** A day record (register 0x1050..0x106E) from its value bytes; undefined when it is shorter than 34 bytes. */
export function decodeVeHistoryDay(register: number, d: ArrayLike<number>): VeHistoryDay | undefined {
  if (d.length < 34 || register < VE_HISTORY_DAY0 || register > VE_HISTORY_DAY30) return undefined;
  return {
    day: register - VE_HISTORY_DAY0,
    yield_Wh: leUint(d, 1, 5) * 10,
    consumed_Wh: leUint(d, 5, 9) * 10,
    maxBattery_mV: leUint(d, 9, 11) * 10,
    minBattery_mV: leUint(d, 11, 13) * 10,
    errors: errorsAt(d, 14),
    bulk_min: leUint(d, 18, 20),
    absorption_min: leUint(d, 20, 22),
    float_min: leUint(d, 22, 24),
    maxPower_W: leUint(d, 24, 28),
    maxBattery_mA: leUint(d, 28, 30) * 100,
    maxPanel_mV: leUint(d, 30, 32) * 10,
    daySequence: leUint(d, 32, 34),
  };
}

/** The totals record (register 0x104F) from its value bytes; undefined when it is shorter than 19 bytes. */
export function decodeVeHistoryTotal(d: ArrayLike<number>): VeHistoryTotal | undefined {
  if (d.length < 19) return undefined;
  return {
    errors: errorsAt(d, 2),
    yieldUser_Wh: leUint(d, 6, 10) * 10,
    yieldSystem_Wh: leUint(d, 10, 14) * 10,
    maxPanel_mV: leUint(d, 14, 16) * 10,
    maxBattery_mV: leUint(d, 16, 18) * 10,
    daysAvailable: d[18],
  };
}

/** The record a history register holds, decoded; undefined for any other register or too few bytes. */
export function decodeVeHistory(register: number, d: ArrayLike<number>): VeHistoryDay | VeHistoryTotal | undefined {
  return register === VE_HISTORY_TOTAL ? decodeVeHistoryTotal(d) : decodeVeHistoryDay(register, d);
}
