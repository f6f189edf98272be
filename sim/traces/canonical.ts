// The canonical trace: what every reader converts a real log into and what the site model reads. CSV, one row per
// instant, first column `unix_s` (Unix seconds, UTC), then named columns whose names carry their unit:
//   pv_W, pv_V, pv_A, irradiance_Wm2, load_W, load_A, battery_V, battery_A, soc_pct, temp_C
// Lines starting with '#' are comments (the reader puts the source and its licence there). An empty cell is a
// missing value (NaN). Rows are sorted by time; a reader drops rows that go back in time and counts them.

export const canonicalColumns = ["pv_W", "pv_V", "pv_A", "irradiance_Wm2", "load_W", "load_A", "battery_V", "battery_A", "soc_pct", "temp_C"] as const;
export type CanonicalColumn = (typeof canonicalColumns)[number];

export interface Trace {
  /** Unix seconds of each row, ascending. */
  t: Float64Array;
  /** One array per column, same length as t; NaN where the source had nothing. */
  cols: Partial<Record<CanonicalColumn, Float64Array>>;
  /** Comment lines (source, licence, conversion notes). */
  notes: string[];
  /** Rows the reader refused (unparsable time or value, time going back), with the first reasons. */
  rejected: { count: number; first: string[] };
}

export function emptyRejections(): Trace["rejected"] {
  return { count: 0, first: [] };
}

export function reject(r: Trace["rejected"], why: string): void {
  r.count++;
  if (r.first.length < 5) r.first.push(why);
}

/** Build a trace from rows of (time, values by column); rows out of order are refused. */
export function traceFromRows(rows: { t: number; v: Partial<Record<CanonicalColumn, number>> }[], notes: string[], rejected = emptyRejections()): Trace {
  const kept: typeof rows = [];
  for (const r of rows) {
    if (kept.length && r.t <= kept[kept.length - 1].t) {
      reject(rejected, `time ${r.t} does not follow ${kept[kept.length - 1].t}`);
      continue;
    }
    kept.push(r);
  }
  const names = new Set<CanonicalColumn>();
  for (const r of kept) for (const k of Object.keys(r.v) as CanonicalColumn[]) names.add(k);
  const cols: Trace["cols"] = {};
  for (const name of canonicalColumns) {
    if (!names.has(name)) continue;
    const a = new Float64Array(kept.length);
    kept.forEach((r, i) => (a[i] = r.v[name] ?? NaN));
    cols[name] = a;
  }
  return { t: Float64Array.from(kept.map((r) => r.t)), cols, notes, rejected };
}

export function formatCanonical(trace: Trace): string {
  const names = canonicalColumns.filter((c) => trace.cols[c]);
  const out = trace.notes.map((n) => `# ${n}`);
  out.push(["unix_s", ...names].join(","));
  for (let i = 0; i < trace.t.length; i++) {
    const cells = names.map((c) => {
      const v = trace.cols[c]![i];
      return Number.isNaN(v) ? "" : String(Math.round(v * 1000) / 1000);
    });
    out.push([String(trace.t[i]), ...cells].join(","));
  }
  return out.join("\n") + "\n";
}

export function parseCanonical(text: string): Trace {
  const notes: string[] = [];
  const rejected = emptyRejections();
  const lines = text.split(/\r?\n/);
  let header: string[] | undefined;
  const rows: { t: number; v: Partial<Record<CanonicalColumn, number>> }[] = [];
  lines.forEach((line, n) => {
    if (!line.trim()) return;
    if (line.startsWith("#")) return void notes.push(line.replace(/^#\s?/, ""));
    const cells = line.split(",").map((c) => c.trim());
    if (!header) {
      if (cells[0] !== "unix_s") throw new Error(`line ${n + 1}: a canonical trace starts with the header unix_s,<columns> (got '${cells[0]}')`);
      for (const c of cells.slice(1)) if (!(canonicalColumns as readonly string[]).includes(c)) throw new Error(`line ${n + 1}: unknown column '${c}'; known: ${canonicalColumns.join(", ")}`);
      header = cells;
      return;
    }
    const t = Number(cells[0]);
    if (!cells[0] || !Number.isFinite(t)) return reject(rejected, `line ${n + 1}: time '${cells[0]}'`);
    const v: Partial<Record<CanonicalColumn, number>> = {};
    for (let k = 1; k < header.length; k++) {
      const cell = cells[k] ?? "";
      const x = cell === "" ? NaN : Number(cell);
      // an empty cell is a missing value; anything else must be a number, or the row is refused and counted
      if (cell !== "" && !Number.isFinite(x)) return reject(rejected, `line ${n + 1}: ${header[k]} '${cell}' is not a number`);
      v[header[k] as CanonicalColumn] = Number.isFinite(x) ? x : NaN;
    }
    rows.push({ t, v });
  });
  if (!header) throw new Error("empty trace: no unix_s header line");
  const tr = traceFromRows(rows, notes, rejected);
  for (const c of header.slice(1) as CanonicalColumn[]) tr.cols[c] ??= new Float64Array(tr.t.length).fill(NaN);
  return tr;
}

/** Value of a column at time t, linear between rows, NaN outside the trace or next to a gap. */
export function valueAt(trace: Trace, col: CanonicalColumn, t: number): number {
  const a = trace.cols[col];
  const ts = trace.t;
  if (!a || ts.length === 0 || t < ts[0] || t > ts[ts.length - 1]) return NaN;
  let lo = 0;
  let hi = ts.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (ts[mid] <= t) lo = mid;
    else hi = mid;
  }
  if (ts[lo] === t || hi === lo) return a[lo];
  const f = (t - ts[lo]) / (ts[hi] - ts[lo]);
  return a[lo] + (a[hi] - a[lo]) * f;
}
