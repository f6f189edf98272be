// CORS as a setting (http.cors.origins): a browser page on an allowed origin may call the API (preflight without the
// token, then the request with it); other origins get no CORS headers and a refused preflight; without the setting
// no CORS header is ever sent. The settings are checked with the key and the fix.
import { afterEach, describe, expect, it } from "vitest";
import { checkConfig } from "../../gateway/config/load";
import { gatewayConfigSections, startGatewayService, type RunningGateway } from "../../gateway/service";
import { tempDir, testConfig } from "./fixture";

const TOKEN = "cors-test-token-0123456789";
let running: RunningGateway | undefined;

afterEach(async () => {
  await running?.gateway.stop();
  running = undefined;
});

async function start(cors?: { origins: string[] }): Promise<string> {
  const config = testConfig(tempDir());
  config.http = { host: "127.0.0.1", port: 0, token: TOKEN, ...(cors ? { cors } : {}) };
  running = await startGatewayService(config, () => undefined);
  return running.url;
}

const preflight = (url: string, origin: string, method = "GET") =>
  fetch(url, { method: "OPTIONS", headers: { origin, "access-control-request-method": method, "access-control-request-headers": "authorization" } });

describe("CORS", () => {
  it("lets a page on an allowed origin call the API: preflight without the token, then the request with it", async () => {
    const base = await start({ origins: ["https://grafana.example.org"] });
    const pre = await preflight(base + "/api/sites", "https://grafana.example.org");
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-origin")).toBe("https://grafana.example.org");
    expect(pre.headers.get("access-control-allow-headers")).toMatch(/Authorization/);
    expect(pre.headers.get("access-control-allow-methods")).toBe("GET, OPTIONS");
    const put = await preflight(base + "/api/sites/s1/nodes/n1/config", "https://grafana.example.org", "PUT");
    expect(put.headers.get("access-control-allow-methods")).toBe("GET, PUT, OPTIONS");
    const r = await fetch(base + "/api/sites", { headers: { origin: "https://grafana.example.org", authorization: "Bearer " + TOKEN } });
    expect(r.status).toBe(200);
    expect(r.headers.get("access-control-allow-origin")).toBe("https://grafana.example.org");
    expect(r.headers.get("vary")).toBe("Origin");
    // the token is still asked for: CORS decides what a browser may read, not who may call
    const without = await fetch(base + "/api/sites", { headers: { origin: "https://grafana.example.org" } });
    expect(without.status).toBe(401);
    expect(without.headers.get("access-control-allow-origin")).toBe("https://grafana.example.org");
  });

  it("gives another origin no CORS headers and refuses its preflight, naming the setting", async () => {
    const base = await start({ origins: ["https://grafana.example.org"] });
    const pre = await preflight(base + "/api/sites", "https://evil.example.com");
    expect(pre.status).toBe(403);
    expect(pre.headers.get("access-control-allow-origin")).toBeNull();
    expect((await pre.json()).error.message).toMatch(/http\.cors\.origins/);
    const r = await fetch(base + "/api/sites", { headers: { origin: "https://evil.example.com", authorization: "Bearer " + TOKEN } });
    expect(r.status).toBe(200);
    expect(r.headers.get("access-control-allow-origin")).toBeNull();
    expect((await preflight(base + "/api/nowhere", "https://grafana.example.org")).status).toBe(404);
  });

  it("sends no CORS header at all without the setting", async () => {
    const base = await start();
    const r = await fetch(base + "/api/sites", { headers: { origin: "https://grafana.example.org", authorization: "Bearer " + TOKEN } });
    expect(r.headers.get("access-control-allow-origin")).toBeNull();
    const pre = await preflight(base + "/api/sites", "https://grafana.example.org");
    expect(pre.headers.get("access-control-allow-origin")).toBeNull();
    // and OPTIONS is then a method like any other: the token first
    expect(pre.status).toBe(401);
  });

  it("checks the setting: origins without a path, '*' only with a token", () => {
    const errorsOf = (http: unknown) => {
      const r = checkConfig({ http }, gatewayConfigSections);
      return r.ok ? [] : r.errors;
    };
    expect(errorsOf({ cors: { origins: ["https://grafana.example.org", "http://192.168.1.20:3000"] } })).toEqual([]);
    const bad = errorsOf({ cors: { origins: ["https://grafana.example.org/dashboards"] } });
    expect(bad).toHaveLength(1);
    expect(bad[0]).toMatch(/^http\.cors\.origins\[0\]: .*; list origins as scheme:\/\/host\[:port\] without a path/);
    expect(errorsOf({ cors: {} })[0]).toMatch(/^http\.cors\.origins: is required; list the origins browsers may call the API from/);
    expect(errorsOf({ cors: { origins: ["*"] } })[0]).toMatch(/^http\.cors\.origins: "\*" .*; set http\.token/);
    expect(errorsOf({ cors: { origins: ["*"] }, token: TOKEN })).toEqual([]);
    expect(errorsOf({ metrics: { channels: "yes" } })[0]).toMatch(/^http\.metrics\.channels: must be true or false \(got "yes"\); set http\.metrics\.channels to true/);
  });
});
