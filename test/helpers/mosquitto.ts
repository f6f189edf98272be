// Start a real mosquitto for a test: a generated config in a temp dir, a free port, persistence in that dir.
// `startMosquitto()` resolves undefined (with the reason in `mosquittoMissing`) when the binary is not installed.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const mosquittoBin = ["/usr/sbin/mosquitto", "/usr/bin/mosquitto", "/usr/local/sbin/mosquitto", "/opt/homebrew/sbin/mosquitto"].find((p) => existsSync(p));
export const mosquittoMissing = mosquittoBin ? "" : "mosquitto is not installed (apt-get install -y mosquitto): skipped";

export interface Mosquitto {
  port: number;
  url: string;
  dir: string;
  /** Everything mosquitto wrote to its log so far. */
  log(): string;
  /** Stop (SIGTERM; persistence is saved) but keep the dir, so that start() resumes from it. */
  stop(): Promise<void>;
  /** A crash: SIGKILL, so nothing is saved on the way out; the dir is kept for start(). */
  kill(): Promise<void>;
  /** Start again on the same port and dir after stop(). */
  start(): Promise<void>;
  /** Stop and remove the dir. */
  close(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const sock = connect(port, "127.0.0.1");
      sock.once("connect", () => {
        sock.destroy();
        resolve();
      });
      sock.once("error", () => {
        sock.destroy();
        if (Date.now() > until) reject(new Error(`mosquitto did not listen on ${port}`));
        else setTimeout(attempt, 30);
      });
    };
    attempt();
  });
}

export interface MosquittoOptions {
  /** Extra lines for mosquitto.conf (e.g. "max_queued_messages 100000"). */
  conf?: string[];
}

export async function startMosquitto(opts: MosquittoOptions = {}): Promise<Mosquitto | undefined> {
  if (!mosquittoBin) return undefined;
  const dir = mkdtempSync(join(tmpdir(), "mosquitto-"));
  const port = await freePort();
  const confFile = join(dir, "mosquitto.conf");
  writeFileSync(
    confFile,
    [
      `listener ${port} 127.0.0.1`,
      "allow_anonymous true",
      "persistence true",
      `persistence_location ${dir}/`,
      // started as root, mosquitto switches to the user "mosquitto", which cannot write its persistence file into
      // this temp dir ("Error saving in-memory database ... Permission denied"): stay root instead
      ...(process.getuid?.() === 0 ? ["user root"] : []),
      "log_dest stderr",
      "log_type all",
      ...(opts.conf ?? []),
    ].join("\n") + "\n",
  );
  let child: ChildProcess | undefined;
  let logText = "";
  const start = async () => {
    child = spawn(mosquittoBin, ["-c", confFile], { stdio: ["ignore", "pipe", "pipe"] });
    child.stdout?.on("data", (d) => (logText += d));
    child.stderr?.on("data", (d) => (logText += d));
    await waitForPort(port, 5000);
  };
  const stop = async () => {
    const c = child;
    child = undefined;
    // a process that already ended (also by a signal, when exitCode stays null) sends no more "exit"
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      // SIGTERM saves the persistence file first; on a machine too busy to finish that in 10 s, SIGKILL
      const kill = setTimeout(() => c.kill("SIGKILL"), 10_000);
      c.once("exit", () => {
        clearTimeout(kill);
        resolve();
      });
      c.kill("SIGTERM");
    });
  };
  const kill = async () => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once("exit", () => resolve());
      c.kill("SIGKILL");
    });
  };
  await start();
  return {
    kill,
    port,
    url: `mqtt://127.0.0.1:${port}`,
    dir,
    log: () => logText,
    stop,
    start,
    close: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
