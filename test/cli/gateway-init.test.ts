// `minigrid gateway init`, as a technician runs it on a new site PC: the file it writes passes check-config and
// holds no password, only hashes and the token; a node logs in to a real gateway started from it with the password
// init printed (and not with another); an existing file is kept unless --force. The shipped deploy/ files: the
// example settings pass check-config; the systemd unit runs this repository's command on the paths the docs give.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { describe, expect, it } from "vitest";
import { projectRoot } from "../../contracts/paths";
import { initDefaults } from "../../gateway/config/init";
import { verifyPassword } from "../../gateway/config/password";
import { freePort } from "../../sim/fleet/embedded-gateway";
import { connectFrom } from "../gateway/attack-client";

const cli = join(projectRoot, "bin/minigrid.mjs");

function minigrid(args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: "utf8", cwd: projectRoot, timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, all: r.stdout + r.stderr };
}

interface Login {
  site: string;
  node: string;
  user: string;
  pass: string;
}

/** The table init prints: site, node, broker.user, broker.pass. */
function printedLogins(stdout: string): Login[] {
  const lines = stdout.split("\n");
  const head = lines.findIndex((l) => /^\s+site\s+node\s+broker\.user\s+broker\.pass\s*$/.test(l));
  expect(head, stdout).toBeGreaterThan(0);
  const out: Login[] = [];
  for (const l of lines.slice(head + 1)) {
    const cols = l.trim().split(/\s+/);
    if (cols.length !== 4) break;
    out.push({ site: cols[0], node: cols[1], user: cols[2], pass: cols[3] });
  }
  return out;
}

describe("minigrid gateway init", () => {
  it("writes settings that check-config accepts, with a hash per node and no password; keeps an existing file unless --force", () => {
    const dir = mkdtempSync(join(tmpdir(), "mg-init-"));
    const file = join(dir, "gateway.yaml");
    const r = minigrid(["gateway", "init", file, "--node", "kisumu-1/inverter", "--node", "kisumu-1/battery", "--db", join(dir, "minigrid.db")]);
    expect(r.status, r.all).toBe(0);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const logins = printedLogins(r.stdout);
    expect(logins.map((l) => `${l.site}/${l.node} ${l.user}`)).toEqual(["kisumu-1/inverter kisumu-1-inverter", "kisumu-1/battery kisumu-1-battery"]);
    expect(new Set(logins.map((l) => l.pass)).size).toBe(2);
    for (const l of logins) expect(l.pass).toMatch(/^[A-Za-z0-9_-]{24}$/);

    const text = readFileSync(file, "utf8");
    for (const l of logins) expect(text).not.toContain(l.pass);
    const settings = parseYaml(text);
    expect(settings.nodes).toHaveLength(2);
    for (const [i, l] of logins.entries()) {
      expect(settings.nodes[i]).toMatchObject({ site: l.site, node: l.node, username: l.user });
      expect(verifyPassword(l.pass, settings.nodes[i].passwordHash)).toBe(true);
      expect(verifyPassword(l.pass + "x", settings.nodes[i].passwordHash)).toBe(false);
    }
    expect(settings.http.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(settings.demo).toBe(false);

    const check = minigrid(["gateway", "check-config", file]);
    expect(check.status, check.all).toBe(0);
    expect(check.stdout).toContain("ok (broker embedded, 2 node(s)");

    // an existing file holds the site's logins: kept, unless --force; then all new secrets, still private
    const again = minigrid(["gateway", "init", file, "--node", "kisumu-1/inverter"]);
    expect(again.status).toBe(2);
    expect(again.stderr).toContain("exists; it holds the site's logins and token. Give another FILE, or --force to replace it");
    expect(readFileSync(file, "utf8")).toBe(text);
    writeFileSync(file, text, { mode: 0o644 });
    const forced = minigrid(["gateway", "init", file, "--node", "kisumu-1/inverter", "--force", "--db", join(dir, "minigrid.db")]);
    expect(forced.status, forced.all).toBe(0);
    const replaced = parseYaml(readFileSync(file, "utf8"));
    expect(replaced.nodes).toHaveLength(1);
    expect(replaced.http.token).not.toBe(settings.http.token);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it("refuses node names it cannot use, and an init without a node, writing nothing", () => {
    const dir = mkdtempSync(join(tmpdir(), "mg-init-"));
    const file = join(dir, "gateway.yaml");
    const bad = minigrid(["gateway", "init", file, "--node", "Kisumu/inverter", "--node", "lonely", "--node", "a/b", "--node", "a/b"]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain(`--node "Kisumu/inverter": give SITE/NODE, each 1..32 lower-case letters`);
    expect(bad.stderr).toContain(`--node "lonely": give SITE/NODE`);
    expect(bad.stderr).toContain("--node a/b: named twice");
    const none = minigrid(["gateway", "init", file]);
    expect(none.status).toBe(2);
    expect(none.stderr).toContain("init needs at least one --node SITE/NODE");
    const sameUser = minigrid(["gateway", "init", file, "--node", "a-b/c", "--node", "a/b-c"]);
    expect(sameUser.status).toBe(2);
    expect(sameUser.stderr).toContain("its user name a-b-c is also a-b/c's");
    const samePorts = minigrid(["gateway", "init", file, "--node", "a/b", "--broker-port", "8080", "--broker-host", "127.0.0.1"]);
    expect(samePorts.status).toBe(2);
    expect(samePorts.stderr).toContain("http.port: 8080 is broker.port too");
    expect(() => statSync(file)).toThrow();
    const noFolder = minigrid(["gateway", "init", join(dir, "etc", "gateway.yaml"), "--node", "a/b"]);
    expect(noFolder.status).toBe(2);
    expect(noFolder.stderr).toContain(`cannot write ${join(dir, "etc", "gateway.yaml")}: the folder ${join(dir, "etc")} does not exist; create it first`);
    expect(noFolder.stderr).not.toMatch(/\n\s+at /); // no stack trace
    const badPort = minigrid(["gateway", "init", file, "--node", "a/b", "--broker-port", "70000"]);
    expect(badPort.status).toBe(2);
    expect(badPort.stderr).toContain("--broker-port takes a whole number 1..65535 (got '70000')");
    const misplaced = minigrid(["gateway", "check-config", file, "--node", "a/b"]);
    expect(misplaced.status).toBe(2);
    expect(misplaced.stderr).toContain("--node: only for minigrid gateway init");
  });

  it("a node logs in to the gateway started from it with the printed password, not with another; SIGTERM stops it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mg-init-"));
    const file = join(dir, "gateway.yaml");
    const brokerPort = await freePort();
    const httpPort = await freePort();
    const init = minigrid(["gateway", "init", file, "--node", "site-a/meter", "--broker-host", "127.0.0.1", "--broker-port", String(brokerPort), "--http-port", String(httpPort), "--db", join(dir, "minigrid.db")]);
    expect(init.status, init.all).toBe(0);
    const [login] = printedLogins(init.stdout);
    const token = parseYaml(readFileSync(file, "utf8")).http.token as string;

    // what the running gateway loads is logged (test/helpers/import-log.mjs): none of the firmware tools
    const importLog = join(dir, "imports.log");
    const gw = spawn(process.execPath, ["--import", join(projectRoot, "test/helpers/import-log.mjs"), cli, "gateway", "--config", file], {
      cwd: dir,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, MINIGRID_IMPORT_LOG: importLog },
    });
    let out = "";
    gw.stdout.on("data", (b: Buffer) => (out += b.toString()));
    gw.stderr.on("data", (b: Buffer) => (out += b.toString()));
    const exited = new Promise<number | null>((resolve) => gw.on("exit", (code) => resolve(code)));
    try {
      const deadline = Date.now() + 60_000;
      while (!/Ctrl-C to stop/.test(out) && gw.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(out).toContain("1 node(s) configured");
      const url = `mqtt://127.0.0.1:${brokerPort}`;
      const good = await connectFrom(url, "127.0.0.1", { clientId: "site-a.meter", username: login.user, password: login.pass });
      expect(good.code).toBe(0);
      good.client.end(true);
      const wrong = await connectFrom(url, "127.0.0.1", { clientId: "site-a.meter", username: login.user, password: login.pass.slice(1) });
      expect(wrong.code).not.toBe(0);
      // the API asks for the token init wrote
      const api = `http://127.0.0.1:${httpPort}/api/sites`;
      expect((await fetch(api)).status).toBe(401);
      expect((await fetch(api, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${httpPort}/app.js`)).status).toBe(200); // the dashboard, bundled now
    } finally {
      gw.kill("SIGTERM");
    }
    expect(await exited).toBe(0);
    expect(out).toMatch(/minigrid gateway: stopped; /);
    const packages = new Set(readFileSync(importLog, "utf8").split("\n").map((u) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(u)?.[1]));
    expect(packages.has("aedes") && packages.has("better-sqlite3")).toBe(true);
    for (const tool of ["typescript", "terser", "acorn", "espruino", "sparkplug-payload", "pg"]) expect(packages.has(tool), tool).toBe(false);
  });
});

describe("deploy/", () => {
  it("the example settings pass check-config", () => {
    const r = minigrid(["gateway", "check-config", "deploy/gateway.example.yaml"]);
    expect(r.status, r.all).toBe(0);
    expect(r.stdout).toContain("database /var/lib/minigrid/minigrid.db");
  });

  it("the systemd unit checks and runs this repository's gateway as its own user, writing only its state folder", () => {
    const unit = readFileSync(join(projectRoot, "deploy/minigrid-gateway.service"), "utf8");
    const keys = new Map<string, string[]>();
    for (const line of unit.split("\n")) {
      const m = /^([A-Za-z]+)=(.*)$/.exec(line);
      if (m) keys.set(m[1], [...(keys.get(m[1]) ?? []), m[2]]);
    }
    const one = (k: string) => keys.get(k)?.[0];
    // the command lines name bin/minigrid.mjs under /opt/minigrid and the settings docs/install.md puts in /etc
    expect(one("ExecStart")).toBe("/usr/bin/node /opt/minigrid/bin/minigrid.mjs gateway --config /etc/minigrid/gateway.yaml");
    expect(one("ExecStartPre")).toBe("/usr/bin/node /opt/minigrid/bin/minigrid.mjs gateway check-config /etc/minigrid/gateway.yaml");
    expect(statSync(join(projectRoot, "bin/minigrid.mjs")).isFile()).toBe(true);
    expect(one("User")).toBe("minigrid");
    expect(one("ProtectSystem")).toBe("strict");
    expect(one("NoNewPrivileges")).toBe("true");
    expect(one("KillSignal")).toBe("SIGTERM");
    // a smaller young generation keeps the gateway's peak memory down (the fleet benchmark runs it so)
    expect(one("Environment")).toBe("NODE_OPTIONS=--max-semi-space-size=4");
    // where init and the example put the database is the one place it may write
    const example = parseYaml(readFileSync(join(projectRoot, "deploy/gateway.example.yaml"), "utf8"));
    expect(one("ReadWritePaths")).toBe("/var/lib/minigrid");
    expect(example.storage.path.startsWith("/var/lib/minigrid/")).toBe(true);
    expect(initDefaults.dbPath.startsWith("/var/lib/minigrid/")).toBe(true);
    expect(one("WorkingDirectory")).toBe("/var/lib/minigrid");
  });
});
