// The device side of VE.Direct text, pure: values -> fields in the order real devices send them -> checksummed block.
// The inverse of firmware/drivers/vedirect-decode.ts, so a round trip gives back the values within the protocol's
// resolution (integers in the wire unit; 0.01 kWh fields to 10 Wh, 0.01 V to 10 mV, 0.1 A to 100 mA).

import { VeDirectFields } from "../../firmware/drivers/vedirect";
import { VE_TEXT_KEYS, VE_TEXT_SCALE, VeDirectValues } from "../../firmware/drivers/vedirect-decode";

export type VeDirectKind = "bmv" | "mppt";

/** Field order as in the real captures: SmartSolar MPPT (go-victron-hex-pairs.json) with IL from the BlueSolar dump;
 *  BMV live and history blocks from bvm702.dump, with the BMV-702's VS/VM/DM/T and H13..H16 where given. */
export const VE_FIELD_ORDER: { [part: string]: string[] } = {
  mppt: ["PID", "FW", "SER#", "V", "I", "VPV", "PPV", "CS", "MPPT", "OR", "ERR", "LOAD", "IL", "H19", "H20", "H21", "H22", "H23", "HSDS"],
  bmvLive: ["PID", "V", "VS", "VM", "DM", "I", "P", "CE", "SOC", "TTG", "T", "Alarm", "Relay", "AR", "BMV", "FW"],
  bmvHistory: ["H1", "H2", "H3", "H4", "H5", "H6", "H7", "H8", "H9", "H10", "H11", "H12", "H13", "H14", "H15", "H16", "H17", "H18"],
};

const KEYS = VE_TEXT_KEYS as { [label: string]: string };

/** One value as the device writes it; undefined when the field is not sent. */
export function veTextRaw(label: string, v: number | string | boolean | null | undefined): string | undefined {
  if (v === undefined) return undefined;
  if (v === null) return "---";
  if (typeof v === "boolean") return v ? "ON" : "OFF";
  if (typeof v === "string") return v;
  if (label === "PID") return "0x" + v.toString(16).toUpperCase();
  if (label === "OR") return "0x" + v.toString(16).toUpperCase().padStart(8, "0");
  return String(Math.round(v / (VE_TEXT_SCALE[label] ?? 1)));
}

/** The fields of one block, in device order, from decoded-style values (missing keys are left out). */
export function veFieldsFromValues(order: string[], values: VeDirectValues): VeDirectFields {
  const f: VeDirectFields = {};
  const vals = values as { [key: string]: number | string | boolean | null | undefined };
  for (const label of order) {
    const raw = veTextRaw(label, vals[KEYS[label]]);
    if (raw !== undefined) f[label] = raw;
  }
  return f;
}

/** The block of one device part straight from values (what encodeVeDirectBlock(veFieldsFromValues(..)) gives, without
 *  the intermediate object: a simulated fleet sends one block per device per virtual second). `first` is looked up
 *  before `values` (the device's identity). */
export function encodeVeDirectValues(order: string[], values: VeDirectValues, first: VeDirectValues): string {
  const a = first as { [key: string]: number | string | boolean | null | undefined };
  const b = values as { [key: string]: number | string | boolean | null | undefined };
  let s = "";
  for (const label of order) {
    const key = KEYS[label];
    const raw = veTextRaw(label, a[key] !== undefined ? a[key] : b[key]);
    if (raw !== undefined) s += "\r\n" + label + "\t" + raw;
  }
  return withChecksum(s);
}

function withChecksum(body: string): string {
  const s = body + "\r\nChecksum\t";
  let sum = 0;
  for (let i = 0; i < s.length; i++) sum += s.charCodeAt(i);
  return s + String.fromCharCode((256 - (sum & 0xff)) & 0xff);
}

/** "\r\n" LABEL "\t" VALUE for each field, then "\r\nChecksum\t" and the byte that makes the block sum to 0 mod 256
 *  (docs/protocols.md "VE.Direct text"). Values must be ASCII. */
export function encodeVeDirectBlock(fields: VeDirectFields): string {
  let s = "";
  for (const label of Object.keys(fields)) s += "\r\n" + label + "\t" + fields[label];
  return withChecksum(s);
}
