// Resident memory of a process and every process below it, from /proc (Linux): what a run costs the machine when
// it spans processes (a gateway of its own, tsx's esbuild service).
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** VmRSS of `pid` and its descendants, in bytes (0 once it has exited). */
export function treeRssBytes(pid: number): number {
  let kb = 0;
  try {
    kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
    for (const task of readdirSync(`/proc/${pid}/task`))
      for (const child of readFileSync(`/proc/${pid}/task/${task}/children`, "utf8").trim().split(/\s+/).filter(Boolean)) kb += treeRssBytes(Number(child)) / 1024;
  } catch {
    /* gone meanwhile */
  }
  return kb * 1024;
}

/** Samples the peak of treeRssBytes over several roots every `everyMs` until stopped. */
export function peakSampler(roots: () => number[], everyMs = 200): { peak(): number; stop(): number } {
  let peak = 0;
  const sample = () => (peak = Math.max(peak, roots().reduce((a, pid) => a + treeRssBytes(pid), 0)));
  sample();
  const timer = setInterval(sample, everyMs);
  return {
    peak: () => peak,
    stop: () => {
      clearInterval(timer);
      sample();
      return peak;
    },
  };
}

/** The NODE_OPTIONS of the gateway's systemd unit (`Environment=NODE_OPTIONS=...`), as arguments. */
export function serviceNodeOptions(): string[] {
  const unit = readFileSync(fileURLToPath(new URL("../deploy/minigrid-gateway.service", import.meta.url)), "utf8");
  return (/^Environment=NODE_OPTIONS=(.*)$/m.exec(unit)?.[1] ?? "").replace(/^"|"$/g, "").split(" ").filter(Boolean);
}

/** `minigrid gateway --config <dir>/gateway.yaml` with `yaml`, as its own process with `nodeOptions`; resolves once it serves. */
export async function startGatewayProcess(dir: string, yaml: string, nodeOptions: string[] = []): Promise<{ proc: ChildProcess; log: () => string; stop: () => Promise<void> }> {
  writeFileSync(join(dir, "gateway.yaml"), yaml);
  const bin = fileURLToPath(new URL("../bin/minigrid.mjs", import.meta.url));
  // MG_BENCH_GATEWAY_NODE_ARGS: more Node options for the gateway alone, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"
  const nodeArgs = [...nodeOptions, ...(process.env.MG_BENCH_GATEWAY_NODE_ARGS ?? "").split(" ").filter(Boolean)];
  const proc = spawn(process.execPath, [...nodeArgs, bin, "gateway", "--config", join(dir, "gateway.yaml")], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  proc.stdout!.on("data", (b) => (log += b));
  proc.stderr!.on("data", (b) => (log += b));
  const stop = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once("exit", r));
    proc.kill("SIGTERM");
    const t = setTimeout(() => proc.kill("SIGKILL"), 30_000);
    await exited;
    clearTimeout(t);
  };
  const deadline = Date.now() + 120_000;
  while (!/Ctrl-C to stop/.test(log)) {
    if (proc.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`the gateway did not start: ${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { proc, log: () => log, stop };
}
