// A VE.Direct text capture (docs/protocols.md "VE.Direct text": Label<TAB>Value lines, a block ending in
// "Checksum<TAB><byte>", the bytes of a block summing to 0 mod 256) into the canonical trace. Only blocks whose
// checksum holds are used; a partial first block, HEX frames (':' .. '\n') between blocks and bad blocks are
// skipped and counted. A capture carries no time: blocks are taken `period_s` apart (default 1 s, the device's
// rate) from `start_unix`. A BMV alternates live and history blocks: a row is made for each block with V.
// Units on the wire: V, VPV mV; I, IL mA; P, PPV W; SOC permille.
import { CanonicalColumn, Trace, emptyRejections, reject, traceFromRows } from "./canonical";

export interface VeDumpOptions {
  start_unix?: number;
  period_s?: number;
  source?: string;
}

function toRow(f: Record<string, string>): Partial<Record<CanonicalColumn, number>> | undefined {
  const num = (k: string) => (f[k] !== undefined && /^-?\d+$/.test(f[k]) ? Number(f[k]) : undefined);
  const v: Partial<Record<CanonicalColumn, number>> = {};
  const V = num("V");
  if (V === undefined) return undefined;
  v.battery_V = V / 1000;
  const I = num("I");
  if (I !== undefined) v.battery_A = I / 1000;
  const soc = num("SOC");
  if (soc !== undefined) v.soc_pct = soc / 10;
  const vpv = num("VPV");
  if (vpv !== undefined) v.pv_V = vpv / 1000;
  const ppv = num("PPV");
  if (ppv !== undefined) v.pv_W = ppv;
  const il = num("IL");
  if (il !== undefined) {
    v.load_A = il / 1000;
    v.load_W = (il / 1000) * v.battery_V;
  }
  return v;
}

export function readVeDirectDump(bytes: string, o: VeDumpOptions = {}): Trace {
  const start = o.start_unix ?? 0;
  const period = o.period_s ?? 1;
  const rejected = emptyRejections();
  const rows: { t: number; v: Partial<Record<CanonicalColumn, number>> }[] = [];
  let blocks = 0;
  let sum = 0;
  let fields: Record<string, string> = {};
  let line = "";
  let first = true;
  let i = 0;
  while (i < bytes.length) {
    const c = bytes.charCodeAt(i);
    // a HEX frame between blocks: skip to its newline, outside the checksum
    if (c === 0x3a && line === "" && sum === 0) {
      const nl = bytes.indexOf("\n", i);
      i = nl < 0 ? bytes.length : nl + 1;
      continue;
    }
    sum = (sum + c) & 0xff;
    i++;
    if (c === 0x0a) {
      line = "";
      continue;
    }
    if (c === 0x0d) continue;
    line += String.fromCharCode(c);
    if (line === "Checksum\t") {
      if (i >= bytes.length) break;
      sum = (sum + bytes.charCodeAt(i)) & 0xff;
      i++;
      const ok = sum === 0 && !first;
      if (ok) {
        const v = toRow(fields);
        if (v) rows.push({ t: start + blocks * period, v });
      } else if (!first) reject(rejected, `block at byte ${i}: checksum`);
      blocks++;
      first = false;
      sum = 0;
      line = "";
      fields = {};
      continue;
    }
    const tab = line.indexOf("\t");
    if (tab > 0 && i < bytes.length && (bytes[i] === "\r" || bytes[i] === "\n")) fields[line.slice(0, tab)] = line.slice(tab + 1);
  }
  const notes = [`source: ${o.source ?? "VE.Direct capture"}; ${blocks} blocks, one each ${period} s from ${start}; first (partial) block skipped`];
  return traceFromRows(rows, notes, rejected);
}
