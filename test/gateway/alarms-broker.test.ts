// Alarms end to end: a node publishes its birth and batches through the gateway's embedded broker; the stored
// batches raise an alarm that the bus carries and the API lists, and later batches clear it.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { MqttClient } from "mqtt";
import { Gateway } from "../../gateway/gateway";
import { ApiFeature } from "../../gateway/api/feature";
import { AlarmsFeature } from "../../gateway/alarms/feature";
import { batch, birth, nodeClient, T0, tempDir, testConfig, topic, waitFor } from "./fixture";

const TOKEN = "t0ken";
let gw: Gateway;
let feature: ApiFeature;
let n1: MqttClient | undefined;

async function api(path: string): Promise<any> {
  const r = await fetch(`http://127.0.0.1:${feature.api!.port}${path}`, { headers: { authorization: "Bearer " + TOKEN } });
  return r.json();
}

beforeEach(async () => {
  gw = new Gateway(testConfig(tempDir()));
  feature = new ApiFeature(gw, { api: { port: 0, token: TOKEN, requireToken: true }, log: () => {} });
  gw.use(new AlarmsFeature(gw, { enabled: true, defaults: {}, sites: { s1: { soc_low: { raise_after_s: 120, clear_after_s: 60 }, battery_low_V: { raise_below_V: 11.5, clear_above_V: 12.2 } } } })).use(feature);
  await gw.start();
});

afterEach(async () => {
  n1?.end(true);
  await gw.stop();
});

describe("alarms from batches through the broker", () => {
  it("a low state of charge in published batches raises soc_low, emitted on the bus and listed by the API, and clears on recovery", async () => {
    n1 = await nodeClient(gw.brokerUrl, "n1");
    await n1.publishAsync(topic("n1", "birth"), JSON.stringify(birth()), { qos: 1, retain: true });
    await waitFor(() => gw.store!.getNode("s1", "n1") !== undefined, 5000, "birth stored");

    const events: any[] = [];
    gw.bus.on("alarm", (e) => void events.push(e));
    // 4 rows of 60 s at 25.0 % (scale 1: 250)
    const low = batch(1, { i: 60, r: [0, 1, 2, 3].map(() => [12800, -1500, 250]), q: ["ooo", "ooo", "ooo", "ooo"] });
    await n1.publishAsync(topic("n1", "t"), JSON.stringify(low), { qos: 1 });
    await waitFor(() => events.length > 0, 5000, "alarm raised");
    expect(events[0]).toMatchObject({ site: "s1", node: "n1", rule: "soc_low", state: "raised", value: 25, ts: (T0 + 60 + 120) * 1000 });
    const active = await api("/api/alarms?active=1");
    expect(active.alarms.map((a: any) => a.rule)).toEqual(["soc_low"]);

    const ok = batch(2, { t: T0 + 60 + 240, i: 60, r: [0, 1].map(() => [12900, 1500, 600]), q: ["ooo", "ooo"] });
    await n1.publishAsync(topic("n1", "t"), JSON.stringify(ok), { qos: 1 });
    await waitFor(() => events.some((e) => e.state === "cleared"), 5000, "alarm cleared");
    expect((await api("/api/alarms?active=1")).alarms).toEqual([]);
    const latest = await api("/api/sites/s1/nodes/n1/latest");
    expect(latest.channels.find((c: any) => c.key === "battery_soc_pct")).toMatchObject({ value: 60, unit: "%" });
  });
});
