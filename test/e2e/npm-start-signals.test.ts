// `npm start` stopped the way a service manager, a terminal multiplexer or a script stops it: a signal to the npm
// process, not to the node process under it. SIGTERM and SIGINT stop the demo cleanly (its ledger printed, npm's
// status 0, no node process left behind); npm killed outright leaves no demo running either. The ports: one asked
// for that another program holds is refused naming the option; a default one that is taken is replaced by a free
// one, and the terminal says so.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { projectRoot } from "../../contracts/paths";
import { demoPort } from "../../cli/commands/start";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** `npm start` with a free port each, until its dashboard is up; then `signal` to the npm process. */
async function npmStartThen(signal: NodeJS.Signals, data: string) {
  const npm = spawn("npm", ["start", "--", "--data", data, "--port", "0", "--broker-port", "0", "--sites", "1"], { cwd: projectRoot, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  npm.stdout.on("data", (b: Buffer) => (out += b.toString()));
  npm.stderr.on("data", (b: Buffer) => (out += b.toString()));
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => npm.on("close", (code, sig) => resolve({ code, signal: sig })));
  const deadline = Date.now() + 240_000;
  while (!/replay the last/.test(out) && npm.exitCode === null && Date.now() < deadline) await sleep(200);
  expect(out).toMatch(/minigrid: dashboard http:\/\/127\.0\.0\.1:\d+\//);
  // the demo itself: npm's child, a node process
  const children = execFileSync("ps", ["-o", "pid=,args=", "--ppid", String(npm.pid)], { encoding: "utf8" }).trim().split("\n");
  const demo = children.map((l) => l.trim().split(/\s+/)).find((cols) => cols.slice(1).join(" ").includes("bin/minigrid.mjs start"));
  expect(demo, children.join("\n")).toBeDefined();
  const demoPid = Number(demo![0]);
  await sleep(1500); // some batches stored
  const sent = Date.now();
  npm.kill(signal);
  const end = await Promise.race([closed, sleep(60_000).then(() => undefined)]);
  const stopMs = Date.now() - sent;
  for (let i = 0; i < 50 && alive(demoPid); i++) await sleep(100);
  return { out, end, stopMs, demoAlive: alive(demoPid), demoPid };
}

describe("npm start and signals", () => {
  it.each(["SIGTERM", "SIGINT"] as const)("%s to the npm process stops the demo cleanly, with its ledger", async (signal) => {
    const data = mkdtempSync(join(tmpdir(), "minigrid-start-sig-"));
    const r = await npmStartThen(signal, data);
    try {
      expect(r.end, r.out).toEqual({ code: 0, signal: null });
      expect(r.out).toContain(`minigrid: ${signal}: stopping`);
      expect(r.out).toMatch(/^ledger$/m);
      expect(r.out).toMatch(/^demo\S*\/n1\s+\d+/m);
      expect(r.demoAlive).toBe(false);
    } finally {
      if (r.demoAlive) process.kill(r.demoPid, "SIGKILL");
    }
  }, 300_000);

  it("npm killed outright: the demo notices its parent is gone and stops", async () => {
    const data = mkdtempSync(join(tmpdir(), "minigrid-start-sig-"));
    const r = await npmStartThen("SIGKILL", data);
    try {
      expect(r.end?.signal).toBe("SIGKILL");
      expect(r.demoAlive).toBe(false);
      expect(r.out).toContain("minigrid: npm, which started it, ended: stopping");
      expect(r.out).toMatch(/^ledger$/m);
    } finally {
      if (r.demoAlive) process.kill(r.demoPid, "SIGKILL");
    }
  }, 300_000);
});

describe("npm start and ports", () => {
  async function holdPort(): Promise<{ server: Server; port: number }> {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    return { server, port: (server.address() as { port: number }).port };
  }

  it("a port asked for and held by another program is refused, naming the option, before anything starts", async () => {
    const held = await holdPort();
    try {
      for (const option of ["--port", "--broker-port"]) {
        const other = option === "--port" ? "--broker-port" : "--port";
        const r = spawnSync(process.execPath, ["bin/minigrid.mjs", "start", option, String(held.port), other, "0", "--data", mkdtempSync(join(tmpdir(), "minigrid-start-sig-"))], { cwd: projectRoot, encoding: "utf8", timeout: 60_000 });
        expect(r.status, r.stdout + r.stderr).toBe(2);
        expect(r.stderr).toContain(`${option} ${held.port}: port ${held.port} on 127.0.0.1 is in use by another program; give another port, ${option} 0 for any free one`);
        expect(r.stdout).not.toMatch(/dashboard|compiling/);
      }
    } finally {
      held.server.close();
    }
  });

  it("a default port that is taken is replaced by a free one, and the terminal says which", async () => {
    const held = await holdPort();
    try {
      const lines: string[] = [];
      const port = await demoPort("dashboard and API", "port", undefined, held.port, (l) => lines.push(l));
      expect(port).not.toBe(held.port);
      expect(port).toBeGreaterThan(0);
      expect(lines).toEqual([`minigrid: port ${held.port} (dashboard and API) is taken by another program; the demo uses port ${port} instead (--port N to choose)`]);
      // free: the default is kept, silently
      held.server.close();
      await new Promise((r) => held.server.once("close", r));
      const quiet: string[] = [];
      expect(await demoPort("dashboard and API", "port", undefined, held.port, (l) => quiet.push(l))).toBe(held.port);
      expect(quiet).toEqual([]);
    } finally {
      held.server.close();
    }
  });
});
