// EPEver (EPsolar) charge-controller logs exported as CSV (Solar Station Monitor, or a logger polling the
// 0x3100 input registers): a time column and PV, battery and load columns, named in words with the unit in
// brackets, e.g. "Time, PV array voltage(V), PV array current(A), PV array power(W), Battery voltage(V),
// Battery charging current(A), Battery SOC(%), Load voltage(V), Load current(A), Load power(W),
// Battery temperature(C)". Columns are matched by words, case and punctuation ignored; unknown columns are kept
// out and listed in the notes. Power from V x A when a power column is missing.
import { CanonicalColumn, Trace, emptyRejections, reject, traceFromRows } from "./canonical";
import { parseTimestamp, splitCsvLine } from "./timestamps";

const patterns: [RegExp, CanonicalColumn][] = [
  [/^pv.*(volt|\(v\))/, "pv_V"],
  [/^pv.*(curr|\(a\))/, "pv_A"],
  [/^pv.*(power|\(w\))/, "pv_W"],
  [/^bat.*(soc|capacity|%)/, "soc_pct"],
  [/^bat.*temp/, "temp_C"],
  [/^bat.*(volt|\(v\))/, "battery_V"],
  [/^bat.*(curr|\(a\))/, "battery_A"],
  [/^load.*(curr|\(a\))/, "load_A"],
  [/^load.*(power|\(w\))/, "load_W"],
];

export interface EpeverCsvOptions {
  utcOffset_h?: number;
  source?: string;
}

export function readEpeverCsv(text: string, o: EpeverCsvOptions = {}): Trace {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== "");
  if (lines.length < 2) throw new Error("an EPEver log needs a header line and at least one row");
  const header = splitCsvLine(lines[0]).map((h) => h.toLowerCase().replace(/\s+/g, " ").trim());
  const timeIdx = header.findIndex((h) => /time|date/.test(h));
  if (timeIdx < 0) throw new Error(`no time column among: ${header.join(", ")}`);
  const map: { idx: number; col: CanonicalColumn }[] = [];
  const ignored: string[] = [];
  header.forEach((h, idx) => {
    if (idx === timeIdx) return;
    const hit = patterns.find(([re]) => re.test(h.replace(/^(battery|batt)\b/, "bat")));
    if (hit && !map.some((m) => m.col === hit[1])) map.push({ idx, col: hit[1] });
    else ignored.push(h);
  });
  if (!map.some((m) => m.col === "pv_W" || m.col === "pv_A")) throw new Error(`no PV column among: ${header.join(", ")}`);
  const rejected = emptyRejections();
  const rows: { t: number; v: Partial<Record<CanonicalColumn, number>> }[] = [];
  for (let n = 1; n < lines.length; n++) {
    const cells = splitCsvLine(lines[n]);
    const t = parseTimestamp(cells[timeIdx] ?? "", o.utcOffset_h);
    if (!Number.isFinite(t)) {
      reject(rejected, `line ${n + 1}: time '${cells[timeIdx] ?? ""}'`);
      continue;
    }
    const v: Partial<Record<CanonicalColumn, number>> = {};
    let bad = false;
    for (const m of map) {
      const x = Number(cells[m.idx]);
      if (cells[m.idx] === undefined || cells[m.idx] === "" || !Number.isFinite(x)) bad = true;
      else v[m.col] = x;
    }
    if (bad) {
      reject(rejected, `line ${n + 1}: a value is missing or not a number`);
      continue;
    }
    if (v.pv_W === undefined && v.pv_V !== undefined && v.pv_A !== undefined) v.pv_W = v.pv_V * v.pv_A;
    if (v.load_W === undefined && v.load_A !== undefined && v.battery_V !== undefined) v.load_W = v.load_A * v.battery_V;
    rows.push({ t, v });
  }
  const notes = [`source: ${o.source ?? "EPEver log"}`];
  if (ignored.length) notes.push(`columns not used: ${ignored.join(", ")}`);
  return traceFromRows(rows, notes, rejected);
}
