// The uplink's bytes on the metered link per channel-value over a site-day the simulator produces (bench/site-day.ts:
// a real PV trace replayed through the Pico's firmware, its own channel table and the values it sent), against
// Sparkplug B at its best, counted on the socket under TLS (bench/tls-meter.ts: handshake, TLS records, MQTT
// headers, PUBACKs; one connection per form and day, each message's PUBACK awaited before the next):
//   uplink.v2.bytesPerValue.1min / .15min      mgc/v2 columns (contracts/uplink-columns.ts) with the gateway's
//                                              state rule (gateway/uplink/columns-state.ts): 1 batch per message /
//                                              15 batches per message (batching.max_messages 15)
//   uplink.v1.bytesPerValue.1min / .15min      mgc/v1 JSON, deflated (format: 1)
//   json.gzip.bytesPerValue.1min / .15min      the same JSON gzipped (RFC 1952) instead
//   sparkplug.bytesPerValue.1min               one DDATA a minute, every metric by alias with no timestamp of its
//                                              own (the payload's), each channel in the smaller of Int32 (scaled)
//                                              and Float over the day
//   sparkplug.bytesPerValue.15min              15 minutes in one DDATA (metrics by alias, each with its
//                                              timestamp), compressed as Eclipse Tahu does: the payload DEFLATEd
//                                              into the body of a payload with uuid SPBV1.0_COMPRESSED and a String
//                                              metric algorithm = DEFLATE (the smaller of zlib and gzip framing)
//   perValueTopic.bytesPerValue                one publish per value per minute, {"value": x} (dbus-mqtt style)
//   uplink.v2.vsSparkplug.1min / .15min        the ratios (target <= 0.333)
//   bound.xz.bytesPerValue                     the bound the data sets: the day's values at once, xz -9e of the
//                                              smaller of two layouts (columns of zigzag varint differences, and
//                                              columns of 32-bit integers), no framing at all
// Sparkplug's NBIRTH/DBIRTH are not counted (its favour); the v2 channel table is, in every keyframe.
import { execFileSync } from "node:child_process";
import { deflateSync, gzipSync } from "node:zlib";
import { get as sparkplugGet } from "sparkplug-payload";
import { encodeColumns } from "../contracts/uplink-columns";
import { columnsTopic, encodeCentral, type BatchItem } from "../contracts/uplink-wire";
import { ColumnsEncoder } from "../gateway/uplink/columns-state";
import { replayedSiteDay, type SiteDay } from "./site-day";
import { startMeter, type Meter } from "./tls-meter";

type Msg = { topic: string; payload: Buffer };
const SITE = "site-0001";

function groups(day: SiteDay, per: number): BatchItem[][] {
  const out: BatchItem[][] = [];
  for (let k = 0; k < day.items.length; k += per) out.push(day.items.slice(k, k + per));
  return out;
}

function v2(day: SiteDay, per: number): Msg[] {
  const enc = new ColumnsEncoder();
  return groups(day, per).map((items) => ({ topic: columnsTopic(SITE, day.node), payload: enc.encode(SITE, day.node, { c: day.c, x: day.scales }, items) }));
}

function v1(day: SiteDay, per: number, gzip: boolean): Msg[] {
  return groups(day, per).map((items) => {
    const m = { site: SITE, node: day.node, kind: "t" as const, c: day.c, x: day.scales, items };
    if (!gzip) return encodeCentral(m, true);
    const plain = encodeCentral(m, false);
    return { topic: plain.topic + "z", payload: gzipSync(plain.payload, { level: 9 }) };
  });
}

const sp = sparkplugGet("spBv1.0")!;
const spTopic = (day: SiteDay) => `spBv1.0/minigrid/DDATA/${SITE}/${day.node}`;
type SpType = "Int32" | "Float";

function metric(day: SiteDay, j: number, raw: number | null, type: SpType, ts?: number) {
  const m: Record<string, unknown> = { alias: j + 1, type };
  if (ts !== undefined) m.timestamp = ts;
  if (raw === null) m.isNull = true;
  else m.value = type === "Float" ? raw / Math.pow(10, day.scales[j]) : raw;
  return m;
}

/** Per channel the smaller type over the day (each metric alone, as it sits in a payload). */
function bestTypes(day: SiteDay): SpType[] {
  return day.c.map((_, j) => {
    const size = (type: SpType) => sp.encodePayload({ metrics: day.items.flatMap((b) => b.r.map((row) => metric(day, j, row[j], type))) } as never).length;
    return size("Int32") <= size("Float") ? "Int32" : "Float";
  });
}

function sparkplug1(day: SiteDay, types: SpType[]): Msg[] {
  let seq = 0;
  return day.items.map((b) => ({
    topic: spTopic(day),
    payload: Buffer.from(sp.encodePayload({ timestamp: b.t * 1000, seq: seq++ % 256, metrics: b.r[0].map((v, j) => metric(day, j, v, types[j])) } as never)),
  }));
}

function sparkplug15(day: SiteDay, types: SpType[]): Msg[] {
  let seq = 0;
  return groups(day, 15).map((items) => {
    const metrics = items.flatMap((b) => b.r.flatMap((row, k) => row.map((v, j) => metric(day, j, v, types[j], Math.round((b.t + k * b.i) * 1000)))));
    const inner = Buffer.from(sp.encodePayload({ timestamp: items[0].t * 1000, seq: seq % 256, metrics } as never));
    const wrap = (body: Buffer) =>
      Buffer.from(sp.encodePayload({ timestamp: items[0].t * 1000, seq: seq % 256, uuid: "SPBV1.0_COMPRESSED", body, metrics: [{ name: "algorithm", type: "String", value: "DEFLATE" }] } as never));
    const a = wrap(deflateSync(inner, { level: 9 }));
    const g = wrap(gzipSync(inner, { level: 9 }));
    seq++;
    return { topic: spTopic(day), payload: a.length <= g.length ? a : g };
  });
}

function perValueTopic(day: SiteDay): Msg[] {
  return day.items.flatMap((b) =>
    b.r[0].map((v, j) => ({ topic: `N/${SITE}/${day.node}/${day.keys[j]}/${day.aggs[j]}`, payload: Buffer.from(JSON.stringify({ value: v === null ? null : v / Math.pow(10, day.scales[j]) })) })),
  );
}

/** xz -9e of the whole day in the smaller of two layouts; undefined without the xz command. */
function xzBound(day: SiteDay): number | undefined {
  const cols = encodeColumns({ c: day.c, x: day.scales }, day.items, { deflate: false }).subarray(1);
  const ints = Buffer.alloc(day.items.length * day.c.length * 4);
  let o = 0;
  for (let j = 0; j < day.c.length; j++) for (const b of day.items) for (const row of b.r) o = ints.writeInt32LE(row[j] ?? -2147483648, o);
  try {
    const xz = (buf: Buffer) => execFileSync("xz", ["--format=raw", "--lzma2=preset=9e", "-c"], { input: buf, maxBuffer: 64 << 20 }).length;
    return Math.min(xz(cols), xz(ints));
  } catch {
    return undefined;
  }
}

async function perValue(meter: Meter | undefined, msgs: Msg[], values: number): Promise<{ socket?: number; mqtt: number }> {
  // MQTT 3.1.1 PUBLISH at QoS 1 (3.3) and its PUBACK (3.4), without TLS: the figure the socket count adds TLS to
  let mqttBytes = 0;
  for (const m of msgs) {
    const remaining = 2 + Buffer.byteLength(m.topic) + 2 + m.payload.length;
    mqttBytes += 1 + (remaining < 128 ? 1 : remaining < 16384 ? 2 : 3) + remaining + 4;
  }
  const socket = meter ? (await meter.count(msgs)).total : undefined;
  return { socket: socket === undefined ? undefined : socket / values, mqtt: mqttBytes / values };
}

export async function bench(): Promise<Record<string, number>> {
  const day = await replayedSiteDay();
  const values = day.items.reduce((a, b) => a + b.r.length, 0) * day.c.length;
  const m = await startMeter();
  const meter = typeof m === "string" ? undefined : m;
  if (typeof m === "string") console.error(`uplink bench: ${m}; the figures are MQTT bytes without TLS`);
  const r3 = (x: number) => Math.round(x * 1000) / 1000;
  const out: Record<string, number> = { "uplink.siteDay.channels": day.c.length, "uplink.siteDay.values": values };
  try {
    const types = bestTypes(day);
    const forms: [string, Msg[]][] = [
      ["uplink.v2.bytesPerValue.1min", v2(day, 1)],
      ["uplink.v2.bytesPerValue.15min", v2(day, 15)],
      ["uplink.v1.bytesPerValue.1min", v1(day, 1, false)],
      ["uplink.v1.bytesPerValue.15min", v1(day, 15, false)],
      ["json.gzip.bytesPerValue.1min", v1(day, 1, true)],
      ["json.gzip.bytesPerValue.15min", v1(day, 15, true)],
      ["sparkplug.bytesPerValue.1min", sparkplug1(day, types)],
      ["sparkplug.bytesPerValue.15min", sparkplug15(day, types)],
      ["perValueTopic.bytesPerValue", perValueTopic(day)],
    ];
    for (const [name, msgs] of forms) {
      const f = await perValue(meter, msgs, values);
      out[name] = r3(f.socket ?? f.mqtt);
      out[name.replace("bytesPerValue", "mqttBytesPerValue")] = r3(f.mqtt);
    }
    if (meter) out["uplink.tlsSetupBytes"] = (await meter.count([])).setup;
  } finally {
    await meter?.close();
  }
  out["uplink.v2.vsSparkplug.1min"] = r3(out["uplink.v2.bytesPerValue.1min"] / out["sparkplug.bytesPerValue.1min"]);
  out["uplink.v2.vsSparkplug.15min"] = r3(out["uplink.v2.bytesPerValue.15min"] / out["sparkplug.bytesPerValue.15min"]);
  out["uplink.v1.vsSparkplug.1min"] = r3(out["uplink.v1.bytesPerValue.1min"] / out["sparkplug.bytesPerValue.1min"]);
  out["uplink.v1.vsSparkplug.15min"] = r3(out["uplink.v1.bytesPerValue.15min"] / out["sparkplug.bytesPerValue.15min"]);
  const xz = xzBound(day);
  if (xz !== undefined) out["bound.xz.bytesPerValue"] = r3(xz / values);
  out["uplink.v2.siteDayBytes.15min"] = Math.round(out["uplink.v2.bytesPerValue.15min"] * values);
  return out;
}
