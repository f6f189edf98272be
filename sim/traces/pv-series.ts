// PV power or irradiance series (the pvanalytics files: a timestamp column, then measured columns) into the
// canonical trace. Which column: the one named by `column`, else the first whose header says irradiance
// (W/m^2, irradiance, GHI, POA) or DC power, else AC power. A header with "kw" is in kW. Small negative night
// readings (sensor offset, inverter standby draw) become 0.
import { CanonicalColumn, Trace, emptyRejections, reject, traceFromRows } from "./canonical";
import { parseTimestamp, splitCsvLine } from "./timestamps";

export interface PvSeriesOptions {
  column?: string;
  utcOffset_h?: number;
  source?: string;
}

function kindOf(header: string): { col: CanonicalColumn; scale: number } | undefined {
  const h = header.toLowerCase();
  if (/w\/m\^?2|irradiance|ghi|poa/.test(h) && !/refcell/.test(h)) return { col: "irradiance_Wm2", scale: 1 };
  if (/power/.test(h)) return { col: "pv_W", scale: /_kw|\(kw\)|kw_/.test(h) ? 1000 : 1 };
  return undefined;
}

export function readPvSeries(text: string, o: PvSeriesOptions = {}): Trace {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== "");
  if (lines.length < 2) throw new Error("a PV series needs a header line and at least one row");
  const header = splitCsvLine(lines[0]);
  let idx = -1;
  if (o.column !== undefined) {
    idx = header.indexOf(o.column);
    if (idx < 1) throw new Error(`no column '${o.column}'; the file has: ${header.slice(1).join(", ")}`);
  } else {
    const score = (h: string) => {
      const k = kindOf(h);
      if (!k) return 0;
      if (k.col === "irradiance_Wm2") return /poa/i.test(h) ? 2 : 3;
      return /dc_power/i.test(h) ? 4 : 1;
    };
    let best = 0;
    header.forEach((h, i) => {
      if (i > 0 && score(h) > best) [best, idx] = [score(h), i];
    });
    if (idx < 1) throw new Error(`no PV power or irradiance column among: ${header.slice(1).join(", ")} (name one with --column)`);
  }
  const kind = kindOf(header[idx]) ?? { col: "pv_W" as CanonicalColumn, scale: 1 };
  const rejected = emptyRejections();
  const rows: { t: number; v: Partial<Record<CanonicalColumn, number>> }[] = [];
  for (let n = 1; n < lines.length; n++) {
    const cells = splitCsvLine(lines[n]);
    const t = parseTimestamp(cells[0] ?? "", o.utcOffset_h);
    const x = Number(cells[idx]);
    if (!Number.isFinite(t)) {
      reject(rejected, `line ${n + 1}: time '${cells[0]}'`);
      continue;
    }
    if (cells[idx] === undefined || cells[idx] === "" || !Number.isFinite(x)) {
      reject(rejected, `line ${n + 1}: value '${cells[idx] ?? ""}'`);
      continue;
    }
    rows.push({ t, v: { [kind.col]: Math.max(0, x * kind.scale) } });
  }
  const notes = [`source: ${o.source ?? "PV series"}, column '${header[idx]}' as ${kind.col}${kind.scale !== 1 ? ` (x${kind.scale})` : ""}`];
  return traceFromRows(rows, notes, rejected);
}
