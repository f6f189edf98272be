// What a person at the terminal sees when something around the command is wrong: one line naming the cause and the
// fix, a non-zero exit, and no stack trace. Each case runs the real CLI as a child process.
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer, Server, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { projectRoot } from "../../contracts/paths";

const cli = resolve(projectRoot, "bin/minigrid.mjs");
const trace = resolve(projectRoot, "test/fixtures/real/traces/midc_bms_ghi_20220120.csv");
let dir: string;
let tmp: string;

function run(args: string[], timeoutMs = 120_000): Promise<{ status: number | null; out: string; err: string }> {
  return new Promise((done) => {
    // TMPDIR of its own: what a run leaves behind there is seen
    const child = spawn(process.execPath, [cli, ...args], { cwd: projectRoot, env: { ...process.env, TMPDIR: tmp } });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("close", (status) => {
      clearTimeout(timer);
      done({ status, out, err });
    });
  });
}

function listen(server: Server): Promise<number> {
  return new Promise((ok) => server.listen(0, "127.0.0.1", () => ok((server.address() as { port: number }).port)));
}

/** A port on which nothing listens (taken from the kernel, then released). */
async function deadPort(): Promise<number> {
  const s = createServer();
  const port = await listen(s);
  await new Promise((ok) => s.close(ok));
  return port;
}

function expectOneLine(r: { status: number | null; err: string }, message: RegExp, status?: number) {
  if (status === undefined) expect(r.status).toBeGreaterThan(0);
  else expect(r.status).toBe(status);
  expect(r.err).toMatch(message);
  expect(r.err).not.toContain("    at "); // no stack trace
  expect(r.err).not.toMatch(/node:internal|\.ts:\d+:\d+/);
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "mg-cli-errors-"));
  tmp = mkdtempSync(join(tmpdir(), "mg-cli-errors-tmp-"));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(tmp, { recursive: true, force: true });
});

describe("messages, not stack traces", () => {
  it("gateway: a broker port another program holds is named, with the fix", async () => {
    const holder = createServer();
    const port = await listen(holder);
    try {
      const cfg = join(dir, "gw.yaml");
      writeFileSync(cfg, `broker:\n  port: ${port}\nstorage:\n  path: ${join(dir, "gw.db")}\nhttp:\n  port: ${await deadPort()}\n`);
      const r = await run(["gateway", "--config", cfg], 60_000);
      expectOneLine(r, new RegExp(`broker\\.port: 127\\.0\\.0\\.1:${port} is in use by another program.*set broker\\.port to a free port`));
    } finally {
      holder.close();
    }
  });

  it("sim replay: a missing faults file", async () => {
    const r = await run(["sim", "replay", "--trace", trace, "--until", "1h", "--faults", join(dir, "nope.yaml")]);
    expectOneLine(r, /--faults .*nope\.yaml does not exist; give a fault script/, 2);
  });

  it("sim replay: an unknown fault kind, with the kinds there are", async () => {
    const f = join(dir, "faults.yaml");
    writeFileSync(f, "- kind: gateway-dwn\n  at: 1h\n");
    const r = await run(["sim", "replay", "--trace", trace, "--until", "1h", "--faults", f]);
    expectOneLine(r, /faults\[0\]\.kind: one of gateway-down, .*\(got "gateway-dwn"\)/, 2);
  });

  it("sim replay: a malformed trace CSV, with the rows refused", async () => {
    const f = join(dir, "bad.csv");
    writeFileSync(f, "unix_s,pv_W\n1700000000,abc\nhello,1\n");
    const r = await run(["sim", "replay", "--trace", f, "--until", "1h"]);
    expectOneLine(r, /trace .*bad\.csv: 2 of 2 rows refused \(line 2: pv_W 'abc' is not a number; line 3: time 'hello'\)/, 2);
    const g = join(dir, "header.csv");
    writeFileSync(g, "unix_s,pv_watts\n1700000000,1\n");
    expectOneLine(await run(["sim", "replay", "--trace", g, "--until", "1h"]), /trace .*header\.csv: line 1: unknown column 'pv_watts'; known: pv_W/, 2);
  });

  it("sim replay: a usage error is found before the gateway starts, so the command ends and leaves nothing behind", async () => {
    const r = await run(["sim", "replay", "--trace", trace, "--until", "1h", "--workers", "two"], 60_000);
    expectOneLine(r, /--workers takes a number >= 0 \(got 'two'\)/, 2);
    expect(r.out).toBe("");
    expect(readdirSync(tmp).filter((n) => n.startsWith("minigrid-replay-"))).toEqual([]);
  });

  it("sim replay --gateway: a broker that is not there fails at once, before any site runs", async () => {
    const port = await deadPort();
    const r = await run(["sim", "replay", "--trace", trace, "--until", "1h", "--gateway", `mqtt://127.0.0.1:${port}`]);
    expectOneLine(r, new RegExp(`cannot reach the gateway's broker at mqtt://127\\.0\\.0\\.1:${port} \\(connection refused: nothing listens there\\); start the gateway there`), 1);
    expect(r.out).not.toMatch(/ledger/);
  });

  it("sim replay --gateway: a listener that acknowledges nothing is a failure, not a success", async () => {
    const sockets: Socket[] = [];
    const silent = createServer((s) => sockets.push(s)); // accepts, never answers CONNECT
    const port = await listen(silent);
    try {
      const r = await run(["sim", "replay", "--trace", trace, "--until", "30m", "--drain", "0s", "--gateway", `mqtt://127.0.0.1:${port}`]);
      expectOneLine(r, /none of the \d+ batches produced was acknowledged by the broker at mqtt:\/\/127\.0\.0\.1:\d+/, 1);
    } finally {
      for (const s of sockets) s.destroy();
      silent.close();
    }
  });

  it("central: an unreachable database and a malformed database URL", async () => {
    const port = await deadPort();
    const r = await run(["central", "--broker", "mqtt://127.0.0.1:1883", "--database", `postgres://ingest:secret@127.0.0.1:${port}/minigrid`], 60_000);
    expectOneLine(r, new RegExp(`cannot reach the database at postgres://ingest:\\*\\*\\*\\*@127\\.0\\.0\\.1:${port}/minigrid \\(connection refused: nothing listens there\\); check that PostgreSQL runs there`), 1);
    expect(r.err).not.toContain("secret");
    const m = await run(["central", "--broker", "mqtt://127.0.0.1:1883", "--database", "db.example.org/minigrid"], 60_000);
    expectOneLine(m, /--database: 'db\.example\.org\/minigrid' is not a URL; give postgres:\/\/USER:PASSWORD@HOST:PORT\/DATABASE/, 2);
  });

  it("central: CORS origins are checked before anything starts", async () => {
    const base = ["central", "--broker", "mqtt://127.0.0.1:1883", "--database", "postgres://ingest@127.0.0.1/minigrid"];
    expectOneLine(await run([...base, "--http", "127.0.0.1:0", "--cors", "https://grafana.example.org/d"], 60_000), /--cors: 'https:\/\/grafana\.example\.org\/d' is not an origin; give scheme:\/\/host\[:port\] without a path/, 2);
    expectOneLine(await run([...base, "--http", "127.0.0.1:0", "--cors", "*"], 60_000), /--cors "\*" lets any web page read the API; give --token too/, 2);
    expectOneLine(await run([...base, "--cors", "https://grafana.example.org"], 60_000), /--cors needs --http HOST:PORT/, 2);
  });
});
