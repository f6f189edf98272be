// Attacks on the gateway's HTTP API by a local user or an intruder: every route without the token, with a wrong
// one, with the token in the query where only headers are taken, and settings that look safe but are not.
// The real gateway service (broker, SQLite file, API) on loopback with a token set.
import { afterEach, describe, expect, it } from "vitest";
import { checkConfig } from "../../gateway/config/load";
import { gatewayConfigSections, startGatewayService, type RunningGateway } from "../../gateway/service";
import { tempDir, testConfig } from "../gateway/fixture";
import { recordAttack } from "./record";

const TOKEN = "a-long-random-token-0123456789";
let running: RunningGateway | undefined;

afterEach(async () => {
  await running?.gateway.stop();
  running = undefined;
});

const routes: [string, string, unknown?][] = [
  ["GET", "/api/sites"],
  ["GET", "/api/sites/s1/nodes"],
  ["GET", "/api/sites/s1/nodes/n1/latest"],
  ["GET", "/api/sites/s1/nodes/n1/history?channel=1"],
  ["GET", "/api/sites/s1/nodes/n1/export.csv"],
  ["GET", "/api/sites/s1/nodes/n1/export.csv?progress=1"],
  ["GET", "/api/events"],
  ["GET", "/api/alarms"],
  ["GET", "/metrics"],
  ["GET", "/api/sites/s1/nodes/n1/commands"],
  ["GET", "/api/sites/s1/nodes/n1/config"],
  ["POST", "/api/sites/s1/nodes/n1/commands", { c: "reboot" }],
  ["POST", "/api/sites/s1/nodes/n1/commands", { c: "cfg", a: { broker: { pass: "mine" } } }],
  ["PUT", "/api/sites/s1/nodes/n1/config", { config: { report_s: 1 } }],
  ["POST", "/api/alarms/1/ack", { by: "intruder" }],
];

describe("attack: HTTP API token", () => {
  it("every route without the token, with a wrong one, and with it in the query where only headers count", async () => {
    const config = testConfig(tempDir("mg-attack-"));
    config.http = { host: "127.0.0.1", port: 0, token: TOKEN } as typeof config.http;
    running = await startGatewayService(config, () => undefined);
    const base = running.url;
    const ways: [string, (path: string) => [string, { [k: string]: string }]][] = [
      ["no token", (p) => [p, {}]],
      ["wrong token", (p) => [p, { authorization: "Bearer " + TOKEN.slice(0, -1) + "x" }]],
      ["token of another length", (p) => [p, { authorization: "Bearer x" }]],
      ["basic auth", (p) => [p, { authorization: "Basic " + Buffer.from("admin:" + TOKEN).toString("base64") }]],
      ["wrong ?access_token=", (p) => [p + (p.includes("?") ? "&" : "?") + "access_token=nope", {}]],
    ];
    let attempts = 0;
    let refused = 0;
    for (const [method, path, body] of routes)
      for (const [, way] of ways) {
        const [p, headers] = way(path);
        const r = await fetch(base + p, { method, headers: { ...headers, "content-type": "application/json" }, body: body ? JSON.stringify(body) : undefined });
        attempts++;
        if (r.status === 401) refused++;
        await r.body?.cancel();
      }
    // the query token is taken only by the event stream and the export (browsers cannot set headers there)
    for (const [method, path, body] of routes.filter(([, p]) => !p.includes("/events") && !p.includes("export.csv"))) {
      const r = await fetch(base + path + (path.includes("?") ? "&" : "?") + "access_token=" + TOKEN, { method, body: body ? JSON.stringify(body) : undefined });
      attempts++;
      if (r.status === 401) refused++;
      await r.body?.cancel();
    }
    const db = running.gateway.store!.db;
    const commands = (db.prepare("SELECT count(*) AS n FROM commands").get() as { n: number }).n;
    const metrics = await (await fetch(base + "/metrics", { headers: { authorization: "Bearer " + TOKEN } })).text();
    const counted = Number(/minigrid_http_refused_total\{reason="token"\} (\d+)/.exec(metrics)?.[1] ?? 0);
    recordAttack({
      attack: "HTTP API without the token",
      tried: `${attempts} requests on ${routes.length} routes (data, event stream, exports, metrics, commands, config, alarm ack): no token, wrong tokens, Basic auth, query tokens`,
      refused,
      attempts,
      lost: commands,
      note: `commands created ${commands}; minigrid_http_refused_total{reason="token"} ${counted}`,
    });
    expect(refused).toBe(attempts);
    expect(commands).toBe(0);
    expect(counted).toBe(attempts);
  });

  it("settings that would leave the API open are refused by check-config, with the fix", () => {
    const tries: unknown[] = [
      { api: { requireToken: true, token: TOKEN } }, // the section the gateway used to ignore
      { http: { requireToken: true } },
      { http: { host: "0.0.0.0" } },
      { http: { host: "192.168.1.10" } },
      { http: { host: "0.0.0.0", token: "short" } },
    ];
    const results = tries.map((t) => checkConfig(t, gatewayConfigSections));
    const refused = results.filter((r) => !r.ok).length;
    recordAttack({
      attack: "API settings that look safe",
      tried: `${tries.length} settings files: api.requireToken, http.requireToken, http.host off loopback without a token or with a short one`,
      refused,
      attempts: tries.length,
      lost: 0,
      note: results.map((r) => (r.ok ? "accepted" : r.errors[0].split(":")[0])).join(", "),
    });
    expect(refused).toBe(tries.length);
  });
});
