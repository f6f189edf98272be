// The `minigrid` command as a person at the terminal meets it, each case a child process: the overview and
// --version without any command loaded, a suggestion for a mistyped command or option, and a refusal, with a
// message and a non-zero status, of what makes no sense. What a command loads is read with a module-loader hook
// (test/helpers/import-log.mjs), so that checking the gateway's settings is seen to need neither the firmware
// compiler nor the gateway's broker and database.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { catalog } from "../../cli/catalog.mjs";
import { projectRoot } from "../../contracts/paths";
import { boards } from "../../firmware/boards/index";

const cli = join(projectRoot, "bin/minigrid.mjs");
const trace = join(projectRoot, "test/fixtures/real/traces/serf_east_1min_ac_power.csv");

function minigrid(args: string[], opts: { importLog?: string } = {}) {
  const pre = opts.importLog ? ["--import", join(projectRoot, "test/helpers/import-log.mjs")] : [];
  const env = { ...process.env, MINIGRID_IMPORT_LOG: opts.importLog ?? "" };
  const r = spawnSync(process.execPath, [...pre, cli, ...args], { encoding: "utf8", cwd: projectRoot, env, timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, all: r.stdout + r.stderr };
}

function loaded(log: string): string[] {
  return readFileSync(log, "utf8").split("\n").filter(Boolean);
}

const packageOf = (url: string) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1];

describe("minigrid: the overview, --version, mistakes", () => {
  it("--help lists every command without loading any TypeScript, nor tsx", () => {
    const log = join(mkdtempSync(join(tmpdir(), "mg-cli-")), "imports.log");
    const r = minigrid(["--help"], { importLog: log });
    expect(r.status).toBe(0);
    for (const c of catalog) expect(r.stdout).toContain(`  ${c.name.padEnd(9)}  ${c.summary}`);
    const urls = loaded(log);
    expect(urls.some((u) => u.endsWith("/cli/catalog.mjs"))).toBe(true); // the hook saw the loads
    expect(urls.filter((u) => u.endsWith(".ts") || u.includes("/node_modules/"))).toEqual([]);
  });

  it("no command: the overview and status 2; --version: the package's version", () => {
    const none = minigrid([]);
    expect(none.status).toBe(2);
    expect(none.stdout).toContain("Usage: minigrid <command>");
    const v = minigrid(["--version"]);
    expect(v.status).toBe(0);
    expect(v.stdout.trim()).toBe(`minigrid ${JSON.parse(readFileSync(join(projectRoot, "package.json"), "utf8")).version}`);
  });

  it("a subcommand's --help is that subcommand's help, opening with its Usage line; the command's covers them all", () => {
    const replay = minigrid(["sim", "replay", "--help"]);
    expect(replay.status).toBe(0);
    expect(replay.stdout.startsWith("Usage: minigrid sim replay")).toBe(true);
    expect(replay.stdout).toContain("--workers N");
    expect(replay.stdout).not.toContain("--settings FILE");
    const run = minigrid(["sim", "run", "--help"]);
    expect(run.stdout.startsWith("Usage: minigrid sim run")).toBe(true);
    expect(run.stdout).not.toContain("--workers N");
    const sim = minigrid(["sim", "--help"]);
    expect(sim.stdout).toContain("--settings FILE");
    expect(sim.stdout).toContain("--workers N");
    const update = minigrid(["node", "update", "--help"]);
    expect(update.status).toBe(0);
    expect(update.stdout.startsWith("Usage: minigrid node update SITE NODE")).toBe(true);
    expect(update.stdout).not.toContain("minigrid node reboot");
  });

  it("a mistyped command, subcommand or option gets the closest one named, and status 2", () => {
    const cmd = minigrid(["gatway", "check-config", "x.yaml"]);
    expect(cmd.status).toBe(2);
    expect(cmd.stderr).toContain("unknown command 'gatway'; did you mean 'minigrid gateway'?");
    expect(minigrid(["biuld"]).stderr).toContain("did you mean 'minigrid build'?");
    const far = minigrid(["photosynthesis"]);
    expect(far.status).toBe(2);
    expect(far.stderr).toContain("unknown command 'photosynthesis'");
    expect(far.stderr).not.toContain("did you mean");
    const sub = minigrid(["gateway", "chek-config", "x.yaml"]);
    expect(sub.status).toBe(2);
    expect(sub.stderr).toContain("unknown subcommand 'chek-config'; did you mean 'check-config'?");
    for (const [args, hint] of [[["sim", "repaly"], "did you mean 'replay'?"], [["settings", "chek"], "did you mean 'check'?"], [["node", "rebot"], "did you mean 'reboot'?"]] as const) {
      const r = minigrid([...args]);
      expect(r.status, args.join(" ")).toBe(2);
      expect(r.stderr).toContain(hint);
    }
    const opt = minigrid(["gateway", "--confg", "x.yaml"]);
    expect(opt.status).toBe(2);
    expect(opt.stderr).toContain("unknown option '--confg'; did you mean '--config'?");
  });

  it("refuses flash --board linux: nothing is built or sent", () => {
    const r = minigrid(["flash", "--board", "linux", "--dry-run"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/the linux build runs on a computer, not on a board: there is nothing to flash/);
    expect(r.stderr).toContain("Boards to flash: " + boards.filter((b) => b.id !== "linux").map((b) => b.id).join(", "));
    expect(r.stdout).not.toMatch(/compiling/);
  });

  it("refuses --sites 0 (and 2.5, and 51) for the demo and for a replay, before starting anything", () => {
    for (const n of ["0", "2.5", "51"]) {
      const r = minigrid(["start", "--sites", n, "--port", "0", "--data", mkdtempSync(join(tmpdir(), "mg-cli-"))]);
      expect(r.status, r.all).toBe(2);
      expect(r.stderr).toContain(`--sites takes a whole number 1..50 (got '${n}')`);
      expect(r.stdout).not.toMatch(/dashboard/);
    }
    const replay = minigrid(["sim", "replay", "--trace", trace, "--sites", "0", "--until", "1h"]);
    expect(replay.status, replay.all).toBe(2);
    expect(replay.stderr).toContain("--sites takes a whole number 1..1000 (got '0')");
  });

  it("refuses bench --only that matches no benchmark, naming them", () => {
    const r = minigrid(["bench", "--only", "warp-drive"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--only "warp-drive" matches no benchmark; give part of one of: firmware-size, ');
    expect(r.stderr).toContain("gateway-ingest");
    // the folder's name is not the benchmark's: "bench" is part of every path but no name
    expect(minigrid(["bench", "--only", "bench"]).status).toBe(2);
  });

  it("checking the gateway's settings loads neither the firmware compiler nor the gateway's broker and database", () => {
    const dir = mkdtempSync(join(tmpdir(), "mg-cli-"));
    const log = join(dir, "imports.log");
    writeFileSync(join(dir, "gateway.yaml"), "version: 1\nbroker: { host: 0.0.0.0, port: 1883 }\nalarms: {}\n");
    const r = minigrid(["gateway", "check-config", join(dir, "gateway.yaml")], { importLog: log });
    expect(r.status, r.all).toBe(0);
    const packages = new Set(loaded(log).map(packageOf).filter(Boolean));
    expect(packages.has("ajv")).toBe(true);
    for (const heavy of ["typescript", "terser", "acorn", "espruino", "aedes", "better-sqlite3", "mqtt"]) expect(packages.has(heavy), heavy).toBe(false);
  });
});
