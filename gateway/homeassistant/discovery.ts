// Home Assistant MQTT discovery for one node's channels, as pure functions: the retained config of each channel as
// an MQTT sensor (https://www.home-assistant.io/integrations/sensor.mqtt/ and the discovery page,
// https://www.home-assistant.io/integrations/mqtt/#mqtt-discovery), its state topic and payload, the node's
// availability topic. Device classes and units follow HA's sensor device classes
// (https://www.home-assistant.io/integrations/sensor/#device-class): a class is given only with a unit HA lists for
// it, and energy only with state_class total_increasing (the Wh counters); a channel without a unit (a state or
// fault code) gets neither a class nor a state class, so HA keeps no statistics of codes.
import { unitOf } from "../../contracts/gateway-api";

export interface DiscoveryNode {
  site: string;
  node: string;
  fw: string | null;
  board: string | null;
  channels: { id: number; key: string; agg: string }[];
}

export interface DiscoveryTopics {
  discoveryPrefix: string;
  stateTopic: string;
  /** The program's version, in each config's origin. */
  version: string;
}

export interface Retained {
  topic: string;
  payload: string;
}

/** HA's device class of a channel, with its state class, by unit (and key: a state of charge is the battery class). */
export function sensorClass(key: string, agg: string): { device_class?: string; state_class?: string; unit?: string } {
  const unit = unitOf(key) ?? undefined;
  if (!unit) return {};
  const by: { [unit: string]: string } = { V: "voltage", mV: "voltage", A: "current", mA: "current", W: "power", Wh: "energy", kWh: "energy", "°C": "temperature", Hz: "frequency", s: "duration", min: "duration" };
  if (unit === "Wh" || unit === "kWh") return agg === "counter" ? { device_class: "energy", state_class: "total_increasing", unit } : { device_class: "energy", state_class: "total", unit };
  if (unit === "%") return /(^|_)soc(_|$)/.test(key) ? { device_class: "battery", state_class: "measurement", unit } : { state_class: "measurement", unit };
  const device_class = by[unit];
  return device_class ? { device_class, state_class: "measurement", unit } : { state_class: "measurement", unit };
}

/** What a unit measures, named after the key where the key itself does not say it ("pv_W" -> "PV power"). */
const quantity: { [unit: string]: string } = { V: "voltage", mV: "voltage", A: "current", mA: "current", W: "power", Wh: "energy", kWh: "energy", Ah: "charge", Hz: "frequency" };

/** "pv_W" mean -> "PV power"; "battery_V" min -> "Battery voltage min"; "battery_soc_pct" -> "Battery soc" (the aggregation when it is not the main one). */
export function channelName(key: string, agg: string): string {
  const unit = unitOf(key);
  const i = key.lastIndexOf("_");
  const base = i > 0 && unit !== null ? key.slice(0, i) : key;
  const words = base.split("_").map((w) => (w === "pv" || w === "ac" || w === "ct" ? w.toUpperCase() : w));
  if (unit && quantity[key.slice(i + 1)]) words.push(quantity[key.slice(i + 1)]);
  const text = words.join(" ");
  const name = text.charAt(0).toUpperCase() + text.slice(1);
  return agg === "mean" || agg === "last" || agg === "counter" ? name : `${name} ${agg}`;
}

export function nodeBase(t: DiscoveryTopics, site: string, node: string): string {
  return `${t.stateTopic}/${site}/${node}`;
}

export function availabilityTopic(t: DiscoveryTopics, site: string, node: string): string {
  return nodeBase(t, site, node) + "/availability";
}

/**
 * The gateway's own availability: "offline" once it stops, so that HA does not show a stopped gateway's last values;
 * on an external broker also the gateway's will, so that a gateway killed or cut off says so too
 * (gateway/broker/external.ts).
 */
export function gatewayAvailabilityTopic(t: Pick<DiscoveryTopics, "stateTopic">): string {
  return `${t.stateTopic}/gateway/availability`;
}

export function stateTopic(t: DiscoveryTopics, site: string, node: string, key: string, agg: string): string {
  return `${nodeBase(t, site, node)}/${key}/${agg}`;
}

/**
 * <prefix>/sensor/<site>/<node>_<channel id>/config: HA's "<discovery_prefix>/<component>/[<node_id>/]<object_id>/config",
 * node_id the site, object_id the node and the channel's id (ids never change meaning, and a numeric last part keeps
 * "a_b" + 1 apart from "a" + "b_1").
 */
export function configTopic(t: DiscoveryTopics, site: string, node: string, channelId: number): string {
  return `${t.discoveryPrefix}/sensor/${site}/${node}_${channelId}/config`;
}

/** The state payload: JSON, the value in its unit (null: none or a failed reading), its quality letter and time. */
export function statePayload(value: number | null, quality: string | null, ts: number | null): string {
  return JSON.stringify({ value, quality, ts: ts === null ? null : new Date(ts).toISOString() });
}

/** The retained discovery config of each channel of a node. */
export function discoveryConfigs(n: DiscoveryNode, t: DiscoveryTopics): Retained[] {
  const device = {
    identifiers: [`minigrid:${n.site}:${n.node}`],
    name: `${n.site} ${n.node}`,
    manufacturer: "minigrid",
    model: n.board ? `minigrid controller (${n.board})` : "minigrid controller",
    ...(n.board ? { hw_version: n.board } : {}),
    ...(n.fw ? { sw_version: n.fw } : {}),
    suggested_area: n.site,
  };
  return n.channels.map((c) => {
    const cls = sensorClass(c.key, c.agg);
    const state = stateTopic(t, n.site, n.node, c.key, c.agg);
    const config = {
      name: channelName(c.key, c.agg),
      unique_id: `minigrid:${n.site}:${n.node}:${c.id}`,
      state_topic: state,
      value_template: "{{ value_json.value }}",
      json_attributes_topic: state,
      ...(cls.unit ? { unit_of_measurement: cls.unit } : {}),
      ...(cls.device_class ? { device_class: cls.device_class } : {}),
      ...(cls.state_class ? { state_class: cls.state_class } : {}),
      availability: [
        { topic: availabilityTopic(t, n.site, n.node), payload_available: "online", payload_not_available: "offline" },
        { topic: gatewayAvailabilityTopic(t), payload_available: "online", payload_not_available: "offline" },
      ],
      availability_mode: "all",
      device,
      origin: { name: "minigrid", sw_version: t.version },
      qos: 1,
    };
    return { topic: configTopic(t, n.site, n.node, c.id), payload: JSON.stringify(config) };
  });
}
