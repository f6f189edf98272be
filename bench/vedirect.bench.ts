// Throughput of the VE.Direct stream parser on Node (the interpreter is far slower; this figure compares changes
// to the code, it says nothing about a board, where the line itself brings 1,920 bytes/s at most).
//   vedirect.parse.bytesPerSecond.node  the real BMV-700 capture (bvm702.dump) repeated to about 1 MB, pushed
//                                       in 64-byte chunks (about what a UART data event brings), blocks decoded

import { readFileSync } from "node:fs";
import { createVeDirectParser } from "../firmware/drivers/vedirect";
import { decodeVeDirectBlock } from "../firmware/drivers/vedirect-decode";

const CHUNK = 64;

export async function bench(): Promise<Record<string, number>> {
  const one = readFileSync(new URL("../test/fixtures/real/vedirect/bvm702.dump", import.meta.url)).toString("latin1");
  const data = one.repeat(Math.ceil(1_000_000 / one.length));
  const chunks: string[] = [];
  for (let i = 0; i < data.length; i += CHUNK) chunks.push(data.substring(i, i + CHUNK));
  let best = Infinity;
  let blocks = 0;
  for (let run = 0; run < 7; run++) {
    let sink = 0;
    const p = createVeDirectParser((f) => (sink += decodeVeDirectBlock(f!).battery_mV ?? 1));
    const t0 = performance.now();
    for (const c of chunks) p.push(c);
    const ms = performance.now() - t0;
    if (run > 0) best = Math.min(best, ms); // the first run warms the JIT
    blocks = p.counters.blocks;
    if (sink === 0.5) console.log(sink); // keep the work observable
  }
  if (blocks < 7000) throw new Error(`vedirect bench: only ${blocks} blocks parsed`);
  return { "vedirect.parse.bytesPerSecond.node": Math.round((data.length * 1000) / best) };
}
