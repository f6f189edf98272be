// How fast the `minigrid` command answers, against a bare Node start measured in the same run (the ratio is what
// compares across machines: both move with the machine's load):
//   cli.nodeBare.ms               `node -e 0`, median of 15 starts
//   cli.help.ms                   `minigrid --help` (no command loaded: cli/catalog.mjs), median of 15
//   cli.help.ratio                cli.help.ms / cli.nodeBare.ms (target: a few times)
//   cli.help.rssMB                its peak resident memory, median
//   cli.checkConfig.ms            `minigrid gateway check-config FILE` (a settings file of a few keys; one command
//                                 loaded through tsx, after a first start has filled tsx's cache), median of 7
//   cli.checkConfig.rssMB         its peak resident memory, median
// The starts alternate (bare, help, bare, help ...), so that a burst of load elsewhere falls on both.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { projectRoot } from "../contracts/paths";

const cli = join(projectRoot, "bin/minigrid.mjs");
// peak memory reported by the child itself at exit, on stderr
const rssProbe = "data:text/javascript," + encodeURIComponent('process.on("exit",()=>process.stderr.write("\\nmaxrss_kb="+process.resourceUsage().maxRSS+"\\n"))');

function run(args: string[]): { ms: number; rssMB: number } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ["--import", rssProbe, ...args], { cwd: projectRoot, encoding: "utf8" });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`cli bench: node ${args.join(" ")} exited with ${r.status}: ${r.stderr}`);
  const kb = Number(/maxrss_kb=(\d+)/.exec(r.stderr)?.[1]);
  return { ms, rssMB: kb / 1024 };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round = (x: number, digits: number) => Number(x.toFixed(digits));

export async function bench(): Promise<Record<string, number>> {
  const bare: number[] = [];
  const help: { ms: number; rssMB: number }[] = [];
  run(["-e", "0"]); // the first start reads node from disk
  for (let i = 0; i < 15; i++) {
    bare.push(run(["-e", "0"]).ms);
    help.push(run([cli, "--help"]));
  }
  const check: { ms: number; rssMB: number }[] = [];
  const dir = mkdtempSync(join(tmpdir(), "minigrid-cli-bench-"));
  try {
    const settings = join(dir, "gateway.yaml");
    writeFileSync(settings, "version: 1\nbroker: { host: 0.0.0.0, port: 1883 }\nhttp: { host: 127.0.0.1, port: 8080 }\n");
    const args = [cli, "gateway", "check-config", settings];
    run(args); // fills tsx's cache of compiled sources
    for (let i = 0; i < 7; i++) check.push(run(args));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const bareMs = median(bare);
  const helpMs = median(help.map((h) => h.ms));
  return {
    "cli.nodeBare.ms": round(bareMs, 1),
    "cli.help.ms": round(helpMs, 1),
    "cli.help.ratio": round(helpMs / bareMs, 2),
    "cli.help.rssMB": round(median(help.map((h) => h.rssMB)), 1),
    "cli.checkConfig.ms": round(median(check.map((c) => c.ms)), 0),
    "cli.checkConfig.rssMB": round(median(check.map((c) => c.rssMB)), 1),
  };
}
