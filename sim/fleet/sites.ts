// The sites of a run, as data a worker thread can receive: what the replay needs to build each VirtualSite and its
// site model (description, trace file, seed, time shift), nothing that cannot be cloned.
import { dirname, resolve } from "node:path";
import { readFileSync, statSync } from "node:fs";
import { findBoard } from "../../firmware/boards/index";
import { readTraceFile } from "../traces/read-trace";
import { Trace } from "../traces/canonical";
import { SiteModel, SiteState } from "../site/site-model";
import { checkSiteDescription, SiteDescription, withDefaults } from "../site/site-description";

export interface SiteSpec {
  site: string;
  node: string;
  board: string;
  description: SiteDescription;
  /** Trace file (absolute path). */
  trace: string;
  traceColumn?: string;
  seed: number;
  shift_s: number;
  /** Unix seconds at virtual time 0. */
  startUnix: number;
  report_s?: number;
  withCt?: boolean;
  firmwareFile?: string;
  /** Boots the node had in an earlier run (see VirtualSiteOptions.bootsBefore). */
  bootsBefore?: number;
  /** Boots through the boot loader, updatable over the air (VirtualSiteOptions.updatable). */
  updatable?: boolean;
}

export interface FleetOptions {
  sites: number;
  seed: number;
  /** Hours between the sites' weather (each site sees the trace shifted by k x shift_h). */
  shift_h?: number;
  /** A shift of every site's trace (s), e.g. to move a trace's sun into another time zone. */
  baseShift_s?: number;
  startUnix?: number;
  board?: string;
  withCt?: boolean;
}

/** A site description file (sim/site/site-description.ts), its trace path relative to the file. */
export function loadSiteFile(path: string): SiteDescription & { trace: string } {
  let d: SiteDescription;
  try {
    d = JSON.parse(readFileSync(path, "utf8")) as SiteDescription;
  } catch (e) {
    throw new Error(`${path}: not a JSON site description: ${(e as Error).message}`);
  }
  // every problem at once, each with its key and the fix, under the file's name
  const errors = checkSiteDescription(d);
  if (d && typeof d === "object" && !d.trace) errors.unshift('trace: is required in a file; name the PV power or irradiance trace of the site, relative to the file');
  if (errors.length) throw new Error(`${path}: the site description has ${errors.length === 1 ? "a problem" : `${errors.length} problems`}:\n  ${errors.join("\n  ")}`);
  return { ...d, trace: resolve(dirname(path), d.trace!) };
}

/** N sites from one description: seeds seed, seed+1, ...; node names n1..nN on sites <name>-1..; time shifts. */
export function fleetSpecs(desc: SiteDescription & { trace: string }, o: FleetOptions): SiteSpec[] {
  const full = withDefaults(desc);
  const board = o.board ?? full.board;
  if (!findBoard(board)) throw new Error(`board '${board}' is not known`);
  const startUnix = o.startUnix ?? Math.floor(readTraceFile(desc.trace).t[0]);
  const name = (full.name.toLowerCase().replace(/[^a-z0-9_-]/g, "-") || "site").slice(0, 24);
  return Array.from({ length: o.sites }, (_, k) => ({
    site: o.sites === 1 ? name : `${name}-${k + 1}`,
    node: "n1",
    board,
    description: desc,
    trace: desc.trace,
    seed: o.seed + k,
    shift_s: Math.round((o.baseShift_s ?? 0) + k * (o.shift_h ?? 0) * 3600),
    startUnix,
    withCt: o.withCt,
  }));
}

/**
 * Traces read in this thread, by path, column and the file's version: a fleet's sites share one file, and a site
 * model only reads it.
 */
const tracesRead = new Map<string, Trace>();

function sharedTrace(path: string, column: string | undefined): Trace {
  const st = statSync(path);
  const key = `${path}\0${column ?? ""}\0${st.mtimeMs}\0${st.size}`;
  let trace = tracesRead.get(key);
  if (!trace) tracesRead.set(key, (trace = readTraceFile(path, { column })));
  return trace;
}

export function modelFor(spec: SiteSpec): (t: number) => SiteState {
  const m = new SiteModel(spec.description, sharedTrace(spec.trace, spec.traceColumn), { seed: spec.seed, shift_s: spec.shift_s, start_unix: spec.startUnix });
  return (t) => m.at(t);
}
