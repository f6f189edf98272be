// Home Assistant MQTT discovery: the configs checked against HA's documented MQTT sensor discovery keys and the
// device class / unit pairs of its sensor device classes (a JSON schema written here from those pages, below), and
// the whole path with real parts: a gateway (embedded aedes, or a real mosquitto), a node over MQTT, and an MQTT
// client that logs in as Home Assistant does and reads what HA would read.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv } from "ajv";
import type { MqttClient } from "mqtt";
import { afterEach, describe, expect, it } from "vitest";
import { batteryTable, channelDefs, chargerTable, ctTable, energyTable, feederTable, inverterTable } from "../../firmware/protocol/channels";
import type { BirthPayload } from "../../firmware/protocol/messages";
import { checkConfig } from "../../gateway/config/load";
import { discoveryConfigs, sensorClass } from "../../gateway/homeassistant/discovery";
import { gatewayConfigSections, startGatewayService, type RunningGateway } from "../../gateway/service";
import { GatewayProcesses } from "../helpers/gateway-process";
import { freePort, mosquittoMissing, startMosquitto, type Mosquitto } from "../helpers/mosquitto";
import { batch, birth, connectClient, hashOnce, nodeClient, tempDir, testConfig, topic, waitFor } from "./fixture";

// --- Home Assistant's MQTT sensor discovery, as documented -------------------------------------------------------
// Keys of an MQTT sensor (https://www.home-assistant.io/integrations/sensor.mqtt/, "Configuration Variables"), the
// shared discovery keys (https://www.home-assistant.io/integrations/mqtt/, "device", "origin", availability), the
// state classes (https://developers.home-assistant.io/docs/core/entity/sensor/#available-state-classes) and, for
// each device class used here, the units HA accepts for it
// (https://www.home-assistant.io/integrations/sensor/#device-class). Energy takes only state classes total and
// total_increasing. A config with anything else HA would refuse or log as invalid.
const unitsOf: { [deviceClass: string]: string[] } = {
  battery: ["%"],
  current: ["A", "mA"],
  duration: ["d", "h", "min", "s", "ms"],
  energy: ["Wh", "kWh", "MWh", "MJ", "GJ"],
  frequency: ["Hz", "kHz", "MHz", "GHz"],
  power: ["W", "kW"],
  temperature: ["°C", "°F", "K"],
  voltage: ["V", "mV"],
};
const availabilityItem = {
  type: "object",
  additionalProperties: false,
  required: ["topic"],
  properties: { topic: { type: "string" }, payload_available: { type: "string" }, payload_not_available: { type: "string" }, value_template: { type: "string" } },
};
const haSensorSchema = {
  type: "object",
  additionalProperties: false,
  required: ["state_topic", "unique_id", "device"],
  properties: {
    availability: { type: "array", items: availabilityItem },
    availability_mode: { enum: ["all", "any", "latest"] },
    availability_template: { type: "string" },
    availability_topic: { type: "string" },
    device: {
      type: "object",
      additionalProperties: false,
      anyOf: [{ required: ["identifiers"] }, { required: ["connections"] }],
      properties: {
        configuration_url: { type: "string" },
        connections: { type: "array" },
        hw_version: { type: "string" },
        identifiers: { anyOf: [{ type: "string" }, { type: "array", items: { type: "string" }, minItems: 1 }] },
        manufacturer: { type: "string" },
        model: { type: "string" },
        model_id: { type: "string" },
        name: { type: "string" },
        serial_number: { type: "string" },
        suggested_area: { type: "string" },
        sw_version: { type: "string" },
        via_device: { type: "string" },
      },
    },
    device_class: { enum: Object.keys(unitsOf) },
    enabled_by_default: { type: "boolean" },
    encoding: { type: "string" },
    entity_category: { enum: ["config", "diagnostic"] },
    entity_picture: { type: "string" },
    expire_after: { type: "integer", minimum: 0 },
    force_update: { type: "boolean" },
    icon: { type: "string" },
    json_attributes_template: { type: "string" },
    json_attributes_topic: { type: "string" },
    last_reset_value_template: { type: "string" },
    name: { type: ["string", "null"] },
    object_id: { type: "string" },
    default_entity_id: { type: "string" },
    options: { type: "array" },
    origin: { type: "object", additionalProperties: false, required: ["name"], properties: { name: { type: "string" }, sw_version: { type: "string" }, support_url: { type: "string" } } },
    payload_available: { type: "string" },
    payload_not_available: { type: "string" },
    platform: { const: "sensor" },
    qos: { enum: [0, 1, 2] },
    state_class: { enum: ["measurement", "measurement_angle", "total", "total_increasing"] },
    state_topic: { type: "string", pattern: "^[^#+]+$" },
    suggested_display_precision: { type: "integer", minimum: 0 },
    unique_id: { type: "string", minLength: 1 },
    unit_of_measurement: { type: ["string", "null"] },
    value_template: { type: "string" },
  },
  allOf: [
    ...Object.entries(unitsOf).map(([cls, units]) => ({
      if: { required: ["device_class"], properties: { device_class: { const: cls } } },
      then: { required: ["unit_of_measurement"], properties: { unit_of_measurement: { enum: units } } },
    })),
    { if: { required: ["device_class"], properties: { device_class: { const: "energy" } } }, then: { required: ["state_class"], properties: { state_class: { enum: ["total", "total_increasing"] } } } },
  ],
};
const validSensor = new Ajv({ allErrors: true, strict: false }).compile(haSensorSchema);
const problems = (config: unknown) => (validSensor(config) ? [] : validSensor.errors!.map((e) => `${e.instancePath} ${e.message}`));

/** Every channel a node can report: all tables, feeders and CT clamps numbered. */
const everyChannel = [batteryTable, chargerTable, inverterTable, energyTable, feederTable.replace(/#/g, "1"), ctTable.replace(/#/g, "1")].flatMap((t) => channelDefs(t));
const topics = { discoveryPrefix: "homeassistant", stateTopic: "minigrid", version: "0.1.0" };

describe("discovery configs against Home Assistant's documented schema", () => {
  it("the schema written here refuses what HA refuses", () => {
    const good = JSON.parse(discoveryConfigs({ site: "s1", node: "n1", fw: "1.0.0", board: "pico", channels: [{ id: 1, key: "battery_V", agg: "mean" }] }, topics)[0].payload);
    expect(problems(good)).toEqual([]);
    expect(problems({ ...good, unit_of_measurement: "VDC" })).not.toEqual([]);
    expect(problems({ ...good, device_class: "energy", unit_of_measurement: "Wh", state_class: "measurement" })).not.toEqual([]);
    expect(problems({ ...good, device_class: "battery", unit_of_measurement: "kWh" })).not.toEqual([]);
    expect(problems({ ...good, device: { name: "x" } })).not.toEqual([]);
    expect(problems({ ...good, state_topic: "minigrid/#" })).not.toEqual([]);
    expect(problems({ ...good, colour: "red" })).not.toEqual([]);
  });

  it("every channel of every table gives a valid sensor: device, unit, class, state class, availability", () => {
    const configs = discoveryConfigs({ site: "kisumu-1", node: "inverter", fw: "0.3.1", board: "esp32", channels: everyChannel }, topics);
    expect(configs).toHaveLength(everyChannel.length);
    const unique = new Set<string>();
    for (const [i, c] of configs.entries()) {
      const ch = everyChannel[i];
      const p = JSON.parse(c.payload);
      expect(problems(p), `${ch.key}:${ch.agg}`).toEqual([]);
      expect(c.topic).toBe(`homeassistant/sensor/kisumu-1/inverter_${ch.id}/config`);
      expect(p.device).toMatchObject({ identifiers: ["minigrid:kisumu-1:inverter"], sw_version: "0.3.1", hw_version: "esp32", model: "minigrid controller (esp32)" });
      expect(p.state_topic).toBe(`minigrid/kisumu-1/inverter/${ch.key}/${ch.agg}`);
      expect(p.availability[0]).toEqual({ topic: "minigrid/kisumu-1/inverter/availability", payload_available: "online", payload_not_available: "offline" });
      unique.add(p.unique_id);
    }
    expect(unique.size).toBe(configs.length);
    const by = (key: string, agg: string) => JSON.parse(configs[everyChannel.findIndex((c) => c.key === key && c.agg === agg)].payload);
    expect(by("pv_Wh", "counter")).toMatchObject({ device_class: "energy", state_class: "total_increasing", unit_of_measurement: "Wh" });
    expect(by("feeder1_Wh", "counter")).toMatchObject({ device_class: "energy", state_class: "total_increasing" });
    expect(by("battery_V", "mean")).toMatchObject({ device_class: "voltage", state_class: "measurement", unit_of_measurement: "V", name: "Battery voltage" });
    expect(by("battery_V", "min")).toMatchObject({ name: "Battery voltage min" });
    expect([by("pv_W", "mean").name, by("pv_Wh", "counter").name, by("battery_soc_pct", "last").name]).toEqual(["PV power", "PV energy", "Battery soc"]);
    // no two entities of a device share a name
    const names = configs.map((c) => JSON.parse(c.payload).name);
    expect(new Set(names).size).toBe(names.length);
    expect(by("battery_soc_pct", "last")).toMatchObject({ device_class: "battery", unit_of_measurement: "%" });
    expect(by("battery_temp_C", "mean")).toMatchObject({ device_class: "temperature", unit_of_measurement: "°C" });
    expect(by("battery_ttg_min", "last")).toMatchObject({ device_class: "duration", unit_of_measurement: "min" });
    expect(by("battery_consumed_Ah", "last")).toMatchObject({ state_class: "measurement", unit_of_measurement: "Ah" });
    expect(by("battery_consumed_Ah", "last").device_class).toBeUndefined();
    const code = by("charger_fault", "last");
    expect([code.device_class, code.state_class, code.unit_of_measurement]).toEqual([undefined, undefined, undefined]);
    expect(sensorClass("pv_W", "max")).toEqual({ device_class: "power", state_class: "measurement", unit: "W" });
  });
});

describe("the settings", () => {
  const errorsOf = (raw: object) => {
    const r = checkConfig(raw, gatewayConfigSections);
    return r.ok ? [] : r.errors;
  };
  it("ask for Home Assistant's login on the embedded broker, and topics apart from the nodes'", () => {
    expect(errorsOf({ homeassistant: { enabled: true } })[0]).toMatch(/^homeassistant\.username: is required when homeassistant\.enabled is true on the embedded broker.*; set homeassistant\.username and homeassistant\.passwordHash/);
    expect(errorsOf({ homeassistant: { enabled: true, username: "ha", passwordHash: hashOnce("pw-ha") } })).toEqual([]);
    expect(errorsOf({ homeassistant: { enabled: true, username: "ha", passwordHash: "secret" } })[0]).toMatch(/^homeassistant\.passwordHash: .*; paste the output of `minigrid gateway hash-password`/);
    expect(errorsOf({ demo: true, homeassistant: { enabled: true, discoveryPrefix: "home/#" } })[0]).toMatch(/^homeassistant\.discoveryPrefix: .*no wildcards/);
    expect(errorsOf({ demo: true, homeassistant: { enabled: true, stateTopic: "mg/v1/x" } })[0]).toMatch(/^homeassistant\.stateTopic: "mg\/v1\/x" is under the nodes' topics/);
    expect(errorsOf({ demo: true, homeassistant: { enabled: true, stateTopic: "homeassistant" } })[0]).toMatch(/^homeassistant\.stateTopic: .*overlaps/);
    expect(errorsOf({ demo: true, homeassistant: { enabled: "yes" } })[0]).toMatch(/^homeassistant\.enabled: must be true or false/);
    expect(errorsOf({ homeassistant: { enabeld: true } })[0]).toMatch(/^homeassistant\.enabeld: unknown key/);
  });
});

// --- with real parts ----------------------------------------------------------------------------------------------
let running: RunningGateway | undefined;
let broker: Mosquitto | undefined;
const clients: MqttClient[] = [];

const gateways = new GatewayProcesses();

afterEach(async () => {
  gateways.killAll();
  for (const c of clients.splice(0)) c.end(true);
  await running?.gateway.stop();
  running = undefined;
  await broker?.close();
  broker = undefined;
});

const keep = async (p: Promise<MqttClient>) => {
  const c = await p;
  clients.push(c);
  return c;
};

const ha = { enabled: true, username: "homeassistant", passwordHash: hashOnce("pw-ha") };
const chs: BirthPayload["ch"] = [
  [1, "battery_V", "mean", 3],
  [6, "battery_soc_pct", "last", 1],
  [100, "pv_Wh", "counter", 1],
];

/** What a subscriber holds per topic: the last payload (retained or live); "" once deleted. */
function recorder(c: MqttClient): Map<string, string> {
  const seen = new Map<string, string>();
  c.on("message", (t, p) => seen.set(t, p.toString()));
  return seen;
}

async function start(over: { [k: string]: any }, homeassistant: object): Promise<RunningGateway> {
  const config = testConfig(tempDir(), over, ["n1"]);
  config.http = { host: "127.0.0.1", port: 0 };
  config.homeassistant = { discoveryPrefix: "homeassistant", stateTopic: "minigrid", ...homeassistant } as typeof config.homeassistant;
  return startGatewayService(config, () => undefined);
}

async function feed(url: string): Promise<MqttClient> {
  const node = await keep(nodeClient(url, "n1", { will: { topic: topic("n1", "state"), payload: Buffer.from("offline"), qos: 1, retain: true } }));
  await node.publishAsync(topic("n1", "birth"), JSON.stringify(birth({ ch: chs })), { qos: 1, retain: true });
  await node.publishAsync(topic("n1", "t"), JSON.stringify(batch(1, { r: [[12800, 805, 1000], [12810, 804, 1002]], q: ["ooo", "ooo"] })), { qos: 1 });
  return node;
}

const configTopics = chs.map((c) => `homeassistant/sensor/s1/n1_${c[0]}/config`);

describe("on the embedded broker, read by an MQTT client logged in as Home Assistant", () => {
  it("publishes retained configs, states with the newest values and availability; follows births and the node's state", async () => {
    running = await start({}, ha);
    const url = running.gateway.brokerUrl;
    const node = await feed(url);
    await waitFor(() => (running!.gateway.store!.db.prepare("SELECT COUNT(*) AS n FROM batches").get() as { n: number }).n === 1, 5000, "the batch stored");
    const hass = await keep(connectClient(url, { username: "homeassistant", password: "pw-ha", clientId: "hass-1", will: { topic: "homeassistant/status", payload: Buffer.from("offline"), qos: 0, retain: false } }));
    const seen = recorder(hass);
    const granted = await hass.subscribeAsync(["homeassistant/#", "minigrid/#"], { qos: 1 });
    expect(granted.map((g) => g.qos)).toEqual([1, 1]);
    // HA's birth message is allowed, and not taken for node data
    await hass.publishAsync("homeassistant/status", "online", { qos: 1 });
    await waitFor(() => configTopics.every((t) => seen.has(t)) && seen.has("minigrid/s1/n1/pv_Wh/counter"), 5000, "configs and states");
    for (const t of configTopics) expect(problems(JSON.parse(seen.get(t)!)), t).toEqual([]);
    expect(JSON.parse(seen.get(configTopics[2])!)).toMatchObject({ device_class: "energy", state_class: "total_increasing", device: { sw_version: "1.0.0", hw_version: "pico" } });
    expect(JSON.parse(seen.get("minigrid/s1/n1/battery_V/mean")!)).toMatchObject({ value: 12.81, quality: "o" });
    expect(JSON.parse(seen.get("minigrid/s1/n1/pv_Wh/counter")!).value).toBe(100.2);
    expect(seen.get("minigrid/s1/n1/availability")).toBe("online");
    expect(seen.get("minigrid/gateway/availability")).toBe("online");

    // a new value goes out on its state topic
    await node.publishAsync(topic("n1", "t"), JSON.stringify(batch(2, { r: [[12900, 806, 1010]], q: ["ooo"] })), { qos: 1 });
    await waitFor(() => JSON.parse(seen.get("minigrid/s1/n1/battery_V/mean")!).value === 12.9, 5000, "the new value");
    // the node's state drives availability
    await node.publishAsync(topic("n1", "state"), "offline", { qos: 1, retain: true });
    await waitFor(() => seen.get("minigrid/s1/n1/availability") === "offline", 5000, "offline");
    // a birth without the SoC channel removes its config (an empty retained message) and its state
    await node.publishAsync(topic("n1", "birth"), JSON.stringify(birth({ ch: [chs[0], chs[2]] })), { qos: 1, retain: true });
    await waitFor(() => seen.get(configTopics[1]) === "" && seen.get("minigrid/s1/n1/battery_soc_pct/last") === "", 5000, "the dropped channel removed");
    expect(seen.get("minigrid/s1/n1/availability")).toBe("online");
    // Home Assistant's login reads only: no node topics, no publishing as a node
    await expect(hass.subscribeAsync("mg/#", { qos: 1 })).rejects.toThrow(/Subscribe error/);
    // a fresh subscriber gets exactly the current set, retained
    const later = await keep(connectClient(url, { username: "homeassistant", password: "pw-ha", clientId: "hass-2" }));
    const now = recorder(later);
    await later.subscribeAsync("homeassistant/#", { qos: 1 });
    await waitFor(() => now.has(configTopics[0]) && now.has(configTopics[2]), 5000, "retained configs");
    await new Promise((r) => setTimeout(r, 200));
    expect([...now.keys()].sort()).toEqual([configTopics[0], configTopics[2]].sort());
    // stopping the gateway says so
    await running.gateway.stop();
    running = undefined;
    expect(seen.get("minigrid/gateway/availability")).toBe("offline");
  });

  it("refuses Home Assistant's login when it publishes as a node", async () => {
    running = await start({}, ha);
    const hass = await keep(connectClient(running.gateway.brokerUrl, { username: "homeassistant", password: "pw-ha", clientId: "hass-1" }));
    const closed = new Promise<void>((r) => hass.once("close", () => r()));
    hass.publish(topic("n1", "t"), JSON.stringify(batch(1)), { qos: 1 });
    await closed;
    expect((running.gateway.store!.db.prepare("SELECT COUNT(*) AS n FROM batches").get() as { n: number }).n).toBe(0);
  });
});

describe.skipIf(mosquittoMissing !== "")("on an external broker (mosquitto)", () => {
  it("publishes there, and removes every retained config and state once switched off", async () => {
    const b = (broker = (await startMosquitto())!);
    const dir = tempDir();
    const over = { broker: { mode: "external", url: b.url, clientId: "gw-ha" }, storage: { path: `${dir}/gw.db` } };
    running = await start(over, { enabled: true });
    await feed(b.url);
    const hass = await keep(connectClient(b.url, { clientId: "hass-ext" }));
    const seen = recorder(hass);
    await hass.subscribeAsync(["homeassistant/#", "minigrid/#"], { qos: 1 });
    await waitFor(() => configTopics.every((t) => seen.has(t)) && JSON.parse(seen.get("minigrid/s1/n1/battery_V/mean") ?? "{}").value === 12.81, 5000, "configs and a state");
    for (const t of configTopics) expect(problems(JSON.parse(seen.get(t)!)), t).toEqual([]);
    await running.gateway.stop();
    // the same database, discovery switched off: what was published is deleted from mosquitto's retained store
    running = await start(over, { enabled: false });
    await waitFor(() => configTopics.every((t) => seen.get(t) === ""), 5000, "configs removed");
    const fresh = await keep(connectClient(b.url, { clientId: "hass-fresh" }));
    const left = recorder(fresh);
    await fresh.subscribeAsync(["homeassistant/#", "minigrid/#"], { qos: 1 });
    await new Promise((r) => setTimeout(r, 300));
    expect([...left.entries()].filter(([, p]) => p !== "")).toEqual([]);
  });

  it("a gateway killed (SIGKILL) is shown offline by its will, and online again once it is back", async () => {
    const b = (broker = (await startMosquitto())!);
    const dir = tempDir();
    const configFile = join(dir, "gateway.yaml");
    writeFileSync(
      configFile,
      [
        `broker: {mode: external, url: "${b.url}", clientId: gw-ha-kill}`,
        `storage: {path: ${JSON.stringify(join(dir, "gw.db"))}}`,
        `http: {port: ${await freePort()}}`,
        "homeassistant: {enabled: true}",
        "demo: true",
      ].join("\n"),
    );
    const hass = await keep(connectClient(b.url, { clientId: "hass-kill" }));
    const heard: string[] = [];
    hass.on("message", (t, p) => t === "minigrid/gateway/availability" && heard.push(p.toString()));
    await hass.subscribeAsync("minigrid/gateway/availability", { qos: 1 });
    let child = await gateways.start(configFile);
    await waitFor(() => heard.at(-1) === "online", 5000, "online once the gateway is up");
    child.kill("SIGKILL");
    await waitFor(() => heard.at(-1) === "offline", 5000, "offline from the will after the kill");
    child = await gateways.start(configFile);
    await waitFor(() => heard.at(-1) === "online", 5000, "online again after the restart");
    // a stop says offline itself and disconnects cleanly: the retained message a newcomer reads is offline
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
    const fresh = await keep(connectClient(b.url, { clientId: "hass-after" }));
    const retained = new Promise<string>((r) => fresh.on("message", (_, p) => r(p.toString())));
    await fresh.subscribeAsync("minigrid/gateway/availability", { qos: 1 });
    expect(await retained).toBe("offline");
  });
});
