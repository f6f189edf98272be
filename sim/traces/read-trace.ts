// One entry for every trace the simulator accepts: a canonical CSV, a VE.Direct capture, an EPEver log, or a
// PV power / irradiance series, told apart by their first bytes (or by `format`).
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { Trace, parseCanonical } from "./canonical";
import { readVeDirectDump } from "./vedirect-dump";
import { readEpeverCsv } from "./epever-csv";
import { readPvSeries } from "./pv-series";

export type TraceFormat = "canonical" | "vedirect" | "epever" | "pv";

export interface ReadTraceOptions {
  format?: TraceFormat;
  column?: string;
  utcOffset_h?: number;
  /** VE.Direct captures have no times: where the first block is put. */
  start_unix?: number;
}

export function detectFormat(head: string): TraceFormat {
  const firstLine = head.split(/\r?\n/).find((l) => l.trim() !== "" && !l.startsWith("#")) ?? "";
  if (/^unix_s,/.test(firstLine)) return "canonical";
  if (/(^|\n)(V|PID|H1|VPV)\t/.test(head)) return "vedirect";
  if (/pv array|battery voltage|load power/i.test(firstLine)) return "epever";
  return "pv";
}

export function readTraceFile(path: string, o: ReadTraceOptions = {}): Trace {
  const buf = readFileSync(path);
  const text = buf.toString("latin1");
  const format = o.format ?? detectFormat(text.slice(0, 4096));
  const source = basename(path);
  if (format === "canonical") return parseCanonical(text);
  if (format === "vedirect") return readVeDirectDump(text, { start_unix: o.start_unix, source });
  if (format === "epever") return readEpeverCsv(buf.toString("utf8"), { utcOffset_h: o.utcOffset_h, source });
  return readPvSeries(buf.toString("utf8"), { column: o.column, utcOffset_h: o.utcOffset_h, source });
}
