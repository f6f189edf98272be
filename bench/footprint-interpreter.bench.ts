// Variables (process.memory().usage) the built firmware costs on the real interpreter, loaded two ways:
//   footprint.vars.file.espruino      dist/firmware/linux.js run as a file on the command line (source and every
//                                     function body copied into RAM)
//   footprint.vars.bootcde.espruino   the same code written into Storage as `.bootcde` exactly as `minigrid flash`
//                                     has the espruino CLI do it (1024-byte chunks, offset and total size), then
//                                     load(".bootcde"): function bodies stay in flash
//   footprint.vars.boot.espruino      a second run in the same folder that only boots (the interpreter runs
//                                     `.bootcde` at start-up, as a board does at power-on)
//   footprint.vars.backlog.espruino   steady state with a backlog: booted from Storage with both VE.Direct ports
//                                     replaying real captures (a BMV-702 and a BlueSolar MPPT), a report every
//                                     second, no broker: after BACKLOG_MS the queue holds a backlog of batches and
//                                     the client keeps retrying
//   footprint.vars.budget.<board>    each board's own file in its budget's case (test/interpreter/footprint.ts:
//                                     every driver on, its network joined, a backlog of a fixed number of
//                                     batches), the Pico's files on the 5,100-variable build; beside it
//   footprint.vars.budgetMax.<board>  the budget (firmware/boards/types.ts), which the footprint test holds
//   footprint.vars.*.espruino5100     boot, backlog and allDrivers again on a build with a Pico's 5,100 variables
//                                     (ESPRUINO_BIN_5100, default ESPRUINO_BIN + "-5100" when that file exists),
//                                     booting the Storage the first build wrote: loading a 50 KB file is beyond
//                                     a Pico's memory, which is why `minigrid flash` writes .bootcde instead
//   footprint.bytes.release           the file's size, for reading the figures against
// Each figure is the usage a probe prints 300 ms after start (after a garbage collection), minus the usage of the
// probe alone loaded the same way. The firmware runs in a fresh folder whose minigrid.json points it at a closed
// port on 127.0.0.1 (it starts, cannot reach a broker, keeps retrying), inside try/catch, so a firmware that throws
// early or prints nothing still gives figures (of whatever it got to allocate). A figure the probe did not print
// (out of memory, crash) is left out and named on stderr.
// Runs only where ESPRUINO_BIN names the interpreter's Linux build.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { firmwareOutDir, projectRoot } from "../contracts/paths";
import { boards } from "../firmware/boards/index";
import { measureFootprint } from "../test/interpreter/footprint";
import { storageWriter } from "../test/interpreter/board-standins";

const DELAY_MS = 300;
const BACKLOG_MS = 8000;
// quit() is made harmless so that a firmware ending its own run does not end it before the probe; the probe ends
// the run itself (E.reboot() exits the Linux build) since the firmware may leave timers running.
const probe = (ms: number) =>
  "quit=function(){};setTimeout(function(){var m=process.memory(true);" +
  `print("FOOTPRINT "+m.usage+" "+m.total);E.reboot()},${ms});`;

function wrapped(code: string, ms = DELAY_MS): string {
  return probe(ms) + "try{\n" + code + "\n}catch(e){print('FOOTPRINT-ERROR '+e)}\n";
}

// Settings for the Linux board (firmware/boards/linux.ts settingsFile): a broker nobody listens on.
const SETTINGS = JSON.stringify({ site: "bench", node: "bench", broker: { host: "127.0.0.1", port: 1 } });

const capture = (name: string) => join(projectRoot, "test/fixtures/real/vedirect", name);
const BACKLOG_SETTINGS = JSON.stringify({
  site: "bench", node: "bench", broker: { host: "127.0.0.1", port: 1 }, report_s: 1, sample_s: 1,
  vedirect: [{ kind: "bmv", capture: capture("bvm702.dump") }, { kind: "mppt", capture: capture("bluesolar_1.23.dump") }],
});

function usage(bin: string, dir: string, args: string[], settings = SETTINGS): number | undefined {
  writeFileSync(join(dir, "minigrid.json"), settings);
  const r = spawnSync(bin, args, { cwd: dir, encoding: "latin1", timeout: 20_000, killSignal: "SIGKILL" });
  const out = r.stdout ?? "";
  // After "OUT OF MEMORY" the usage is only what was left when the interpreter gave up: no figure.
  if (out.includes("OUT OF MEMORY")) return undefined;
  const m = /FOOTPRINT (\d+) \d+/.exec(out);
  return m ? Number(m[1]) : undefined;
}

type Figures = { file?: number; bootcde?: number; boot?: number; backlog?: number; boot5100?: number; backlog5100?: number };

/** Usage with the program loaded each way: file, .bootcde then load(), a boot of what Storage holds, a backlog. */
function measure(bin: string, code: string, small: string | undefined): Figures {
  const fileDir = mkdtempSync(join(tmpdir(), "mg-footprint-"));
  const storeDir = mkdtempSync(join(tmpdir(), "mg-footprint-"));
  const backlogDir = mkdtempSync(join(tmpdir(), "mg-footprint-"));
  try {
    writeFileSync(join(fileDir, "program.js"), wrapped(code), "latin1");
    const file = usage(bin, fileDir, ["program.js"]);
    // load() is left out of the loader: the first build only writes Storage, the boots below run it.
    const loader = storageWriter(".bootcde", wrapped(code));
    writeFileSync(join(storeDir, "loader.js"), loader + 'load(".bootcde")\n', "latin1");
    const bootcde = usage(bin, storeDir, ["loader.js"]);
    // -e runs the expression after the interpreter has booted, which runs `.bootcde` from espruino.flash.
    const boot = usage(bin, storeDir, ["-e", ""]);
    const boot5100 = small ? usage(small, storeDir, ["-e", ""]) : undefined;
    let backlog: number | undefined;
    let backlog5100: number | undefined;
    if (code) {
      writeFileSync(join(backlogDir, "loader.js"), storageWriter(".bootcde", wrapped(code, BACKLOG_MS)), "latin1");
      usage(bin, backlogDir, ["loader.js"], BACKLOG_SETTINGS);
      backlog = usage(bin, backlogDir, ["-e", ""], BACKLOG_SETTINGS);
      backlog5100 = small ? usage(small, backlogDir, ["-e", ""], BACKLOG_SETTINGS) : undefined;
    } else {
      backlog = boot;
      backlog5100 = boot5100;
    }
    return { file, bootcde, boot, backlog, boot5100, backlog5100 };
  } finally {
    rmSync(fileDir, { recursive: true, force: true });
    rmSync(storeDir, { recursive: true, force: true });
    rmSync(backlogDir, { recursive: true, force: true });
  }
}

export async function bench(): Promise<Record<string, number>> {
  const bin = process.env.ESPRUINO_BIN;
  if (!bin) {
    process.stderr.write("ESPRUINO_BIN is not set: no interpreter footprint figures\n");
    return {};
  }
  let code: string;
  try {
    code = readFileSync(join(firmwareOutDir, "linux.js"), "latin1");
  } catch {
    process.stderr.write("dist/firmware/linux.js is missing (run `minigrid build`): no footprint figures\n");
    return {};
  }
  const small = process.env.ESPRUINO_BIN_5100 || (existsSync(bin + "-5100") ? bin + "-5100" : undefined);
  const base = measure(bin, "", small);
  const prog = measure(bin, code, small);
  const figures: Record<string, number> = { "footprint.bytes.release": Buffer.byteLength(code, "latin1") };
  for (const b of boards.filter((x) => x.id !== "linux")) {
    const boot = b.variables === 5100 && small ? small : bin;
    const f = measureFootprint(b.id, bin, boot);
    if (f.variables !== undefined) figures[`footprint.vars.budget.${b.id}`] = f.variables;
    else process.stderr.write(`footprint: no budget figure for ${b.id} (out of memory or a crash)\n`);
    figures[`footprint.vars.budgetMax.${b.id}`] = b.budget.variables;
  }
  for (const way of ["file", "bootcde", "boot", "backlog", ...(small ? (["boot5100", "backlog5100"] as const) : [])] as const) {
    const b = base[way];
    const p = prog[way];
    if (b === undefined || p === undefined) {
      process.stderr.write(`footprint: no figure for ${way} (the probe printed nothing: out of memory or a crash)\n`);
      continue;
    }
    figures[`footprint.vars.${way.replace("5100", "")}.espruino${way.endsWith("5100") ? "5100" : ""}`] = p - b;
  }
  return figures;
}
