// One settings section for the HTTP API (`http`), a token that is checked on every route once it is set, and
// settings the gateway would refuse at start refused by check-config too, with the key and the fix; the gateway
// never dies with a stack trace for a settings problem.
import { writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { checkConfig } from "../../gateway/config/load";
import { gatewayConfigSections, startGatewayService, type RunningGateway } from "../../gateway/service";
import { main } from "../../cli/main";
import { hashOnce, tempDir, testConfig } from "./fixture";

let running: RunningGateway | undefined;
let blocker: Server | undefined;

afterEach(async () => {
  await running?.gateway.stop();
  running = undefined;
  await new Promise<void>((r) => (blocker ? blocker.close(() => r()) : r()));
  blocker = undefined;
  vi.restoreAllMocks();
});

const errorsOf = (raw: unknown) => {
  const r = checkConfig(raw, gatewayConfigSections);
  return r.ok ? [] : r.errors;
};

/** Run `minigrid ...` in this process; what it printed on stderr, and its exit code. */
async function cli(args: string[]): Promise<{ code: number; err: string }> {
  let err = "";
  vi.spyOn(console, "error").mockImplementation((...a: unknown[]) => void (err += a.join(" ") + "\n"));
  vi.spyOn(console, "warn").mockImplementation((...a: unknown[]) => void (err += a.join(" ") + "\n"));
  vi.spyOn(console, "log").mockImplementation(() => undefined);
  let code: number;
  try {
    code = await main(args);
  } catch (e) {
    err += (e as Error).stack;
    code = -1;
  }
  vi.restoreAllMocks();
  return { code, err };
}

describe("HTTP API settings", () => {
  it("refuses an `api` section, naming `http` as the place for its settings", () => {
    const errors = errorsOf({ api: { requireToken: true, token: "0123456789abcdef" } });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^api: .*http/);
    expect(errors[0]).toMatch(/http\.token/);
  });

  it("refuses http.host beyond loopback without http.token, as the gateway would at start", () => {
    const errors = errorsOf({ http: { host: "0.0.0.0" } });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^http\.token: is required when http\.host is "0\.0\.0\.0".*; set http\.token to/);
    expect(errorsOf({ http: { host: "0.0.0.0", token: "0123456789abcdef" } })).toEqual([]);
  });

  it("refuses TLS files the gateway could not read", () => {
    const errors = errorsOf({ broker: { tls: { cert: "/nonexistent/cert.pem", key: "/nonexistent/key.pem" } } });
    expect(errors.join("\n")).toMatch(/^broker\.tls\.cert: cannot read "\/nonexistent\/cert\.pem".*; set broker\.tls\.cert/m);
    expect(errors.join("\n")).toMatch(/^broker\.tls\.key: /m);
  });

  it("checks a token that is set on every route, on loopback too: data, event stream, export, metrics, commands", async () => {
    const config = testConfig(tempDir());
    config.http = { host: "127.0.0.1", port: 0, token: "0123456789abcdef-token" } as typeof config.http;
    running = await startGatewayService(config, () => undefined);
    const base = running.url;
    const routes = [
      ["GET", "/api/sites"],
      ["GET", "/api/sites/s1/nodes"],
      ["GET", "/api/sites/s1/nodes/n1/latest"],
      ["GET", "/api/sites/s1/nodes/n1/history?channel=1"],
      ["GET", "/api/sites/s1/nodes/n1/export.csv"],
      ["GET", "/api/events"],
      ["GET", "/api/alarms"],
      ["GET", "/metrics"],
      ["POST", "/api/sites/s1/nodes/n1/commands"],
      ["PUT", "/api/sites/s1/nodes/n1/config"],
    ];
    for (const [method, path] of routes) {
      const r = await fetch(base + path, { method, body: method === "GET" ? undefined : JSON.stringify({ c: "reboot" }) });
      expect(`${method} ${path} ${r.status}`).toBe(`${method} ${path} 401`);
      await r.body?.cancel();
    }
    const ok = await fetch(base + "/api/sites", { headers: { authorization: "Bearer 0123456789abcdef-token" } });
    expect(ok.status).toBe(200);
    const metrics = await (await fetch(base + "/metrics", { headers: { authorization: "Bearer 0123456789abcdef-token" } })).text();
    expect(metrics).toContain(`minigrid_http_refused_total{reason="token"} ${routes.length}`);
    const page = await fetch(base + "/");
    expect([200, 404]).toContain(page.status); // the page itself holds no data
    await page.body?.cancel();
  });
});

describe("minigrid gateway with settings it cannot start with", () => {
  it("check-config refuses what the gateway would refuse, naming the key and the fix", async () => {
    const dir = tempDir();
    const file = join(dir, "gw.yaml");
    writeFileSync(file, "http: {host: 0.0.0.0}\napi: {requireToken: true}\n");
    const r = await cli(["gateway", "check-config", file]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/http\.token: is required/);
    expect(r.err).toMatch(/api: /);
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  it("a port already taken: a clear message naming broker.port and its fix, non-zero exit, no stack trace", async () => {
    blocker = createServer();
    const port = await new Promise<number>((r) => blocker!.listen(0, "127.0.0.1", () => r((blocker!.address() as { port: number }).port)));
    const dir = tempDir();
    const file = join(dir, "gw.yaml");
    writeFileSync(
      file,
      [
        `broker: {host: 127.0.0.1, port: ${port}}`,
        `storage: {path: ${JSON.stringify(join(dir, "gw.db"))}}`,
        "http: {port: 1}",
        `nodes: [{site: s1, node: n1, username: n1, passwordHash: "${hashOnce("pw-n1")}"}]`,
      ].join("\n"),
    );
    const r = await cli(["gateway", "--config", file]);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(new RegExp(`broker\\.port: .*${port}.*; set broker\\.port`));
    expect(r.err).not.toMatch(/\n\s+at /);
  });
});
