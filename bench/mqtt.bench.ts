// The node's MQTT client: what it costs on a board and on the wire.
//   mqtt.client.bytes             client + codec, minified through the firmware pipeline (what a board stores)
//   mqtt.codec.bytes              the codec alone, the part a board holds (encoders and the streaming decoder)
//   mqtt.wire.batchOverheadBytes  bytes on the wire for one QoS 1 batch beyond its payload: the PUBLISH header,
//                                 topic and packet id, plus the PUBACK back (a typical topic mg/v1/<site>/<node>/t)
//   mqtt.wire.idleBytesPerHour    keep alive on an idle link at keepalive_s 60: PINGREQ + PINGRESP per minute
//   mqtt.decode.bytesPerSecond.node  decoder throughput on Node for a broker's mixed stream (compares changes to
//                                 the code; the interpreter is far slower and a board's link far slower still)
import { rmSync } from "node:fs";
import { compileFirmwareToEs5, bundleEs5, minifyForEspruino } from "../cli/build/compile-firmware";
import { createMqttDecoder, encodePublish, encodePuback, PINGREQ } from "../firmware/app/mqtt/packets";

async function minifiedSize(entry: string, es5Dir: string): Promise<number> {
  const { release } = await minifyForEspruino(await bundleEs5(es5Dir, entry));
  return release.length;
}

export async function bench(): Promise<Record<string, number>> {
  const es5Dir = compileFirmwareToEs5();
  let client = 0;
  let codec = 0;
  try {
    client = await minifiedSize(`import { createMqttClient } from "./app/mqtt/client"; var g = this; g.c = createMqttClient;`, es5Dir);
    codec = await minifiedSize(
      `import { nextPacket, encodeConnect, encodePublish, field, frame } from "./app/mqtt/packets";` +
        ` var g = this; g.c = [nextPacket, encodeConnect, encodePublish, field, frame];`,
      es5Dir,
    );
  } finally {
    rmSync(es5Dir, { recursive: true, force: true });
  }

  const topic = "mg/v1/site-0001/node-01/t";
  const payload = "x".repeat(200);
  const overhead = encodePublish(topic, payload, 2, 1).length - payload.length + encodePuback(1).length;

  const pkt = [encodePublish("mg/v1/s1/n1/cmd", '{"id":1,"op":"sync","t":1700000000}', 2, 7), encodePuback(9), "\xd0\x00", "\x90\x03\x00\x01\x01"].join("");
  const data = pkt.repeat(Math.ceil(1_000_000 / pkt.length));
  const chunks: string[] = [];
  for (let i = 0; i < data.length; i += 64) chunks.push(data.substring(i, i + 64));
  let best = Infinity;
  for (let run = 0; run < 6; run++) {
    let n = 0;
    const d = createMqttDecoder(() => n++);
    const t0 = performance.now();
    for (const c of chunks) d.push(c);
    const ms = performance.now() - t0;
    if (run > 0) best = Math.min(best, ms);
    if (d.counters.rejected > 0 || n === 0) throw new Error("mqtt bench: the decoder refused its own stream");
  }
  return {
    "mqtt.client.bytes": client,
    "mqtt.codec.bytes": codec,
    "mqtt.wire.batchOverheadBytes": overhead,
    "mqtt.wire.idleBytesPerHour": 60 * (PINGREQ.length + 2),
    "mqtt.decode.bytesPerSecond.node": Math.round((data.length * 1000) / best),
  };
}
