// A VE.Direct text capture (docs/protocols.md "VE.Direct text": Label<TAB>Value lines, a block ending in
// "Checksum<TAB><byte>", the bytes of a block summing to 0 mod 256) into the canonical trace. Only blocks whose
// checksum holds are used (firmware/drivers/vedirect.ts, the parser the board runs); what comes before the first
// whole block, HEX frames (':' .. '\n') and bad blocks are skipped, bad blocks counted. A capture carries no time: blocks are taken `period_s` apart (default 1 s, the device's
// rate) from `start_unix`. A BMV alternates live and history blocks: a row is made for each block with V.
// Units on the wire: V, VPV mV; I, IL mA; P, PPV W; SOC permille.
import { createVeDirectParser } from "../../firmware/drivers/vedirect";
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
  // the firmware's own stream parser: whole blocks after junk or a partial start are taken, HEX frames skipped
  let blocks = 0;
  const p = createVeDirectParser(
    (f) => {
      const v = toRow(f!);
      if (v) rows.push({ t: start + blocks * period, v });
      blocks++;
    },
    undefined,
    (why) => {
      reject(rejected, `block ${blocks + 1}: ${why}`);
      blocks++;
    },
  );
  p.push(bytes);
  const skipped = p.counters.partialStart ? "; the part before the first whole block skipped" : "";
  const notes = [`source: ${o.source ?? "VE.Direct capture"}; ${blocks} blocks, one each ${period} s from ${start}${skipped}`];
  return traceFromRows(rows, notes, rejected);
}
