// The uplink's bytes on the wire per channel-value over a simulated site-day (1-minute rows of 25 channels), against
// Sparkplug B (protobuf DDATA through the maintained `sparkplug-payload` package) and one-topic-per-value JSON (the
// style of Victron's dbus-mqtt and emonhub: one publish per value per interval, {"value": x}), at the same reporting
// interval. Counted for all three: whole MQTT 3.1.1 PUBLISH packets at QoS 1 (fixed header, remaining length,
// topic, packet id, payload) plus the 4-byte PUBACK each one costs on the metered link. TLS adds about 22-29 bytes
// per record on top for all three alike (the uplink tests count it on the socket).
//   uplink.bytesPerValue.1min          one uplink message per minute (one node batch of one row), deflated
//   uplink.bytesPerValue.15min         15 one-minute node batches in one message (batching.max_messages 15)
//   sparkplug.bytesPerValue.1min       one DDATA per minute, 25 metrics by alias, each with type and timestamp
//   sparkplug.bytesPerValue.15min      15 minutes of metrics (per-metric timestamps) in one DDATA
//   json.bytesPerValue                 25 publishes per minute, {"value": x} on a topic per value
//   uplink.vsSparkplug.1min / .15min   uplink bytes / Sparkplug B bytes at the same interval (target <= 0.333)
import { get as sparkplugGet } from "sparkplug-payload";
import { encodeCentral, type BatchItem } from "../contracts/uplink-wire";

const CHANNELS = 25;
const MINUTES = 1440;

/** PUBLISH at QoS 1 (MQTT 3.1.1 3.3): 1 + remaining-length varint + 2 + topic + 2 (packet id) + payload, and its PUBACK (3.4: 4 bytes). */
export function publishBytes(topic: string, payloadBytes: number): number {
  const remaining = 2 + Buffer.byteLength(topic) + 2 + payloadBytes;
  const lenBytes = remaining < 128 ? 1 : remaining < 16384 ? 2 : remaining < 2097152 ? 3 : 4;
  return 1 + lenBytes + remaining + 4;
}

interface SiteDay {
  keys: string[];
  scales: number[];
  /** rows[minute][channel]: scaled integers */
  rows: number[][];
}

/** 25 channels of a small solar site: battery, PV, charger, inverter, feeders, energy counters, temperatures. */
export function siteDay(): SiteDay {
  const keys: string[] = [];
  const scales: number[] = [];
  const kinds: [string, number, number, number][] = [
    ["battery_V", 3, 51.2, 2],
    ["battery_A", 3, 0, 40],
    ["battery_soc_pct", 1, 70, 25],
    ["battery_C", 1, 28, 4],
    ["pv_V", 2, 0, 110],
    ["pv_A", 2, 0, 20],
    ["pv_W", 0, 0, 2000],
    ["charger_A", 2, 0, 35],
    ["charger_state", 0, 3, 2],
    ["inverter_W", 0, 600, 500],
    ["inverter_V", 1, 230, 3],
    ["inverter_Hz", 2, 50, 0.1],
    ["inverter_C", 1, 40, 8],
  ];
  for (const k of kinds) {
    keys.push(k[0]);
    scales.push(k[1]);
  }
  for (let f = 1; f <= 8; f++) {
    keys.push(`feeder${f}_A`);
    scales.push(3);
  }
  for (const k of ["pv_Wh", "load_Wh", "battery_in_Wh", "battery_out_Wh"]) {
    keys.push(k);
    scales.push(0);
  }
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const counters = [0, 0, 0, 0];
  const rows: number[][] = [];
  for (let m = 0; m < MINUTES; m++) {
    const sun = Math.max(0, Math.sin(((m - 360) / 720) * Math.PI));
    const row: number[] = [];
    kinds.forEach(([key, scale, base, span], j) => {
      let v = base + (rnd() - 0.5) * span * 0.1;
      if (key.startsWith("pv") || key === "charger_A") v = span * sun * (0.9 + rnd() * 0.1);
      if (key === "battery_A") v = 30 * sun - 12 + rnd() * 3;
      if (key === "battery_soc_pct") v = 55 + 35 * Math.sin(((m - 540) / 1440) * Math.PI * 2) * 0.5 + 20;
      if (key === "charger_state") v = sun > 0.05 ? 3 + Math.round(sun) : 0;
      row[j] = Math.round(v * Math.pow(10, scale));
    });
    for (let f = 0; f < 8; f++) row.push(Math.round((0.5 + rnd() * 2 + (m > 1080 ? 3 : 0)) * 1000));
    counters[0] += Math.round((2000 * sun) / 60);
    counters[1] += Math.round(600 / 60 + rnd());
    counters[2] += Math.round((1200 * sun) / 60);
    counters[3] += Math.round((500 * (1 - sun)) / 60);
    row.push(...counters.map((c) => 10_000_000 + c));
    rows.push(row);
  }
  return { keys, scales, rows };
}

const T0 = Date.UTC(2025, 5, 15) / 1000;

function uplinkBytes(day: SiteDay, perMessage: number): number {
  const c = day.keys.map((_, j) => j + 1);
  let total = 0;
  for (let m = 0; m < MINUTES; m += perMessage) {
    const items: BatchItem[] = [];
    for (let k = m; k < Math.min(MINUTES, m + perMessage); k++) items.push({ b: 3, s: 10_000 + k, t: T0 + k * 60, i: 60, r: [day.rows[k]] });
    const { topic, payload } = encodeCentral({ site: "site-0001", node: "ctl-01", kind: "t", c, x: day.scales, items }, true);
    total += publishBytes(topic, payload.length);
  }
  return total;
}

function sparkplugBytes(day: SiteDay, perMessage: number, type: "Float" | "Int32"): number {
  const sp = sparkplugGet("spBv1.0")!;
  const topic = "spBv1.0/minigrid/DDATA/site-0001/ctl-01";
  let total = 0;
  let seq = 0;
  for (let m = 0; m < MINUTES; m += perMessage) {
    const metrics = [];
    for (let k = m; k < Math.min(MINUTES, m + perMessage); k++) {
      const ts = (T0 + k * 60) * 1000;
      for (let j = 0; j < CHANNELS; j++) {
        const raw = day.rows[k][j];
        // alias instead of name: the compact form Sparkplug B allows after the NBIRTH/DBIRTH
        metrics.push({ alias: j + 1, timestamp: ts, type, value: type === "Float" ? raw / Math.pow(10, day.scales[j]) : raw });
      }
    }
    const payload = sp.encodePayload({ timestamp: (T0 + m * 60) * 1000, seq: seq++ % 256, metrics });
    total += publishBytes(topic, payload.length);
  }
  return total;
}

function jsonBytes(day: SiteDay): number {
  let total = 0;
  for (let m = 0; m < MINUTES; m++) {
    for (let j = 0; j < CHANNELS; j++) {
      const topic = `N/c0619ab1c2d3/site0001/${day.keys[j].replace(/_/g, "/")}`;
      const v = day.rows[m][j] / Math.pow(10, day.scales[j]);
      total += publishBytes(topic, Buffer.byteLength(JSON.stringify({ value: v })));
    }
  }
  return total;
}

export async function bench(): Promise<Record<string, number>> {
  const day = siteDay();
  const values = MINUTES * CHANNELS;
  const up1 = uplinkBytes(day, 1) / values;
  const up15 = uplinkBytes(day, 15) / values;
  // the smaller of the two encodings a Sparkplug device would use (floats in units, or scaled integers)
  const sp1 = Math.min(sparkplugBytes(day, 1, "Float"), sparkplugBytes(day, 1, "Int32")) / values;
  const sp15 = Math.min(sparkplugBytes(day, 15, "Float"), sparkplugBytes(day, 15, "Int32")) / values;
  const js = jsonBytes(day) / values;
  const r = (x: number) => Math.round(x * 1000) / 1000;
  return {
    "uplink.bytesPerValue.1min": r(up1),
    "uplink.bytesPerValue.15min": r(up15),
    "sparkplug.bytesPerValue.1min": r(sp1),
    "sparkplug.bytesPerValue.15min": r(sp15),
    "json.bytesPerValue": r(js),
    "uplink.vsSparkplug.1min": r(up1 / sp1),
    "uplink.vsSparkplug.15min": r(up15 / sp15),
    "uplink.siteDayBytes.15min": Math.round(up15 * values),
  };
}
