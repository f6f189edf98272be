// deploy/grafana-dashboard.json on a real gateway's /metrics: every metric its queries (and its variables) use is
// exported, and every label value they select literally (key="pv_Wh", severity="critical") has a series, for a
// node that reports the firmware's channel tables. The gateway runs with http.metrics.channels: true, as the
// dashboard needs (docs/integrations.md).
import { readFileSync } from "node:fs";
import type { MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { batteryTable, channelDefs, chargerTable, energyTable, feederTable, inverterTable } from "../../firmware/protocol/channels";
import { startGatewayService, type RunningGateway } from "../../gateway/service";
import { birth, nodeClient, T0, tempDir, testConfig, topic, waitFor } from "./fixture";

const dashboard = JSON.parse(readFileSync(new URL("../../deploy/grafana-dashboard.json", import.meta.url), "utf8"));
const channels = [batteryTable, chargerTable, inverterTable, energyTable, feederTable.replace(/#/g, "1")].flatMap((t) => channelDefs(t));

let running: RunningGateway;
let node: MqttClient;
let metrics: string;

beforeAll(async () => {
  const config = testConfig(tempDir(), {}, ["n1"]);
  config.http = { host: "127.0.0.1", port: 0, metrics: { channels: true } };
  running = await startGatewayService(config, () => undefined);
  node = await nodeClient(running.gateway.brokerUrl, "n1");
  await node.publishAsync(topic("n1", "birth"), JSON.stringify(birth({ ch: channels.map((c) => [c.id, c.key, c.agg, c.scale]) })), { qos: 1, retain: true });
  const row = channels.map((_c, i) => 100 * (i + 1));
  await node.publishAsync(topic("n1", "t"), JSON.stringify({ b: 7, s: 1, t: T0, ts: 1, i: 60, r: [row], q: ["o".repeat(row.length)] }), { qos: 1 });
  await node.publishAsync(topic("n1", "t"), "not json", { qos: 1 }); // a refusal, for minigrid_rejects_total
  await waitFor(() => (running.gateway.store!.db.prepare("SELECT COUNT(*) AS n FROM batches").get() as { n: number }).n === 1, 5000, "the batch stored");
  for (const severity of ["warning", "critical"])
    running.gateway.store!.db.prepare("INSERT INTO alarms(site, node, rule, severity, raised_at, message) VALUES('s1', 'n1', ?, ?, ?, 'test')").run("rule_" + severity, severity, T0 * 1000);
  metrics = await (await fetch(running.url + "/metrics")).text();
}, 30_000);

afterAll(async () => {
  node?.end(true);
  await running?.gateway.stop();
});

/** Every PromQL expression of the dashboard: its panels' targets and its query variables. */
function expressions(): string[] {
  const out: string[] = [];
  const walk = (panels: any[]) => {
    for (const p of panels) {
      for (const t of p.targets ?? []) out.push(t.expr);
      walk(p.panels ?? []);
    }
  };
  walk(dashboard.panels);
  for (const v of dashboard.templating.list) if (v.type === "query") out.push(v.definition);
  return out;
}

/** name{matchers} selectors of an expression; matchers as [label, op, value]. */
function selectors(expr: string): { name: string; matchers: [string, string, string][] }[] {
  const out: { name: string; matchers: [string, string, string][] }[] = [];
  for (const m of expr.matchAll(/\b(minigrid_[a-z0-9_]+)(\{([^}]*)\})?/g)) {
    const matchers = [...(m[3] ?? "").matchAll(/(\w+)\s*(=~|!=|!~|=)\s*"([^"]*)"/g)].map((x) => [x[1], x[2], x[3]] as [string, string, string]);
    out.push({ name: m[1], matchers });
  }
  return out;
}

/** Sample lines of the exposition as name and labels. */
function samples(text: string): { name: string; labels: { [k: string]: string } }[] {
  return text
    .split("\n")
    .filter((l) => l && !l.startsWith("#"))
    .map((l) => {
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? /.exec(l)!;
      const labels: { [k: string]: string } = {};
      for (const x of (m[3] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[x[1]] = x[2];
      return { name: m[1], labels };
    });
}

describe("the Grafana dashboard", () => {
  it("has site overview, energy and alarms rows, and each panel a unique id and a Prometheus query", () => {
    const rows = dashboard.panels.filter((p: any) => p.type === "row").map((p: any) => p.title);
    expect(rows).toEqual(["Site overview", "Energy", "Alarms"]);
    const ids = dashboard.panels.map((p: any) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of dashboard.panels.filter((x: any) => x.type !== "row")) {
      expect(p.targets.length, p.title).toBeGreaterThan(0);
      expect(p.datasource.uid).toBe("${datasource}");
    }
  });

  it("uses only metrics the gateway exports, with label values it has series for", () => {
    const have = samples(metrics);
    const exprs = expressions();
    expect(exprs.length).toBeGreaterThan(15);
    const names = new Set<string>();
    for (const expr of exprs) {
      const sel = selectors(expr);
      expect(sel.length, expr).toBeGreaterThan(0);
      for (const s of sel) {
        names.add(s.name);
        const literal = s.matchers.filter(([, , v]) => !v.includes("$"));
        const found = have.some(
          (h) =>
            h.name === s.name &&
            literal.every(([label, op, v]) => {
              const got = h.labels[label] ?? "";
              if (op === "=") return got === v;
              if (op === "!=") return got !== v;
              const re = new RegExp(`^(?:${v})$`);
              return op === "=~" ? re.test(got) : !re.test(got);
            }),
        );
        expect(found, `${expr}: no series ${s.name}{${literal.map((m) => m.join("")).join(",")}} in the gateway's /metrics`).toBe(true);
      }
    }
    // the per-channel values, the energy counters and the alarms are all on it
    expect([...names]).toEqual(expect.arrayContaining(["minigrid_channel_value", "minigrid_channel_total", "minigrid_channel_updated_seconds", "minigrid_site_alarms_active", "minigrid_nodes_online"]));
  });

  it("would notice a metric the gateway does not export", () => {
    const have = samples(metrics);
    expect(have.some((h) => h.name === "minigrid_channel_value" && h.labels.key === "pv_W")).toBe(true);
    expect(have.some((h) => h.name === "minigrid_channel_value" && h.labels.key === "pv_Wh")).toBe(false); // a counter: minigrid_channel_total
    expect(have.some((h) => h.name === "minigrid_battery_soc")).toBe(false);
  });
});
