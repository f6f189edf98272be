// `minigrid gateway --config FILE` as a child process, as a site runs it, for tests that kill it (SIGKILL) the way a
// power cut or a crash would: started, it resolves once the gateway prints that it serves.
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

const bin = fileURLToPath(new URL("../../bin/minigrid.mjs", import.meta.url));

export class GatewayProcesses {
  private readonly children: ChildProcess[] = [];

  /** Starts the gateway on `configFile`; rejects with its output if it exits before it serves. */
  start(configFile: string): Promise<ChildProcess> {
    const child = spawn(process.execPath, [bin, "gateway", "--config", configFile], { stdio: ["ignore", "pipe", "pipe"] });
    this.children.push(child);
    let out = "";
    return new Promise((resolve, reject) => {
      child.stdout!.on("data", (d) => {
        out += d;
        if (out.includes("Ctrl-C to stop")) resolve(child);
      });
      child.stderr!.on("data", (d) => (out += d));
      child.once("exit", (code) => reject(new Error(`gateway exited (${code}) before it was ready:\n${out}`)));
    });
  }

  /** SIGKILL to every one still running (a test's afterAll / afterEach). */
  killAll(): void {
    for (const c of this.children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  }
}
