// The flash queue on the virtual Storage of an Espruino Pico (48 KB in 16 KB flash pages), in Node: figures to
// compare changes to the code; on the interpreter a push is far slower (Linux build, measured with the contract
// program: about 6 ms a push, 50 ms while the queue is full and merging).
//   queue.pushAck.perSecond.node      one-minute batches of 20 channels pushed and acknowledged one by one
//   queue.recordsPerKB                such batches one KB of page file holds (24-byte record header + text)
//   queue.pico.batchesBeforeMerge     batches the Pico's default queue holds before merging starts
//   queue.pico.bytesProgrammedPerBatch  flash bytes programmed per pushed+acknowledged batch (with compaction)
//   queue.pico.erasesPer10kBatches   erases of the busiest flash page per 10,000 batches sent while online
import { VirtualFlash } from "../sim/vm/flash";
import { createStorage } from "../sim/vm/storage";
import { crc32 } from "../sim/vm/crc32";
import { openQueue } from "../firmware/app/queue/flash-queue";
import { aggs20, batch, text } from "../test/firmware/queue-env";

export async function bench(): Promise<Record<string, number>> {
  const N = 10_000;
  const texts = Array.from({ length: N }, (_, k) => text(batch(1, k + 1)));
  let best = Infinity;
  let erases = 0;
  let programmed = 0;
  for (let run = 0; run < 3; run++) {
    const flash = new VirtualFlash({ sizeBytes: 48 * 1024, pageBytes: 16 * 1024, programUnitBytes: 4 });
    const q = openQueue(createStorage(flash), { crc: crc32, aggs: aggs20 });
    const t0 = performance.now();
    for (let s = 1; s <= N; s++) {
      if (!q.push(1, s, texts[s - 1]) || !q.ack(1, s, s)) throw new Error("queue bench: push or ack refused");
    }
    best = Math.min(best, performance.now() - t0);
    erases = flash.wear().maxErases;
    programmed = flash.bytesProgrammed;
  }
  const flash = new VirtualFlash({ sizeBytes: 48 * 1024, pageBytes: 16 * 1024, programUnitBytes: 4 });
  let merging = false;
  const q = openQueue(createStorage(flash), { crc: crc32, aggs: aggs20, onEvent: () => (merging = true) });
  let s = 0;
  while (!merging) q.push(1, ++s, text(batch(1, s)));
  return {
    "queue.pushAck.perSecond.node": Math.round((N * 1000) / best),
    "queue.recordsPerKB": Math.round((1024 / (24 + Math.ceil(texts[0].length / 4) * 4)) * 10) / 10,
    "queue.pico.batchesBeforeMerge": s - 1,
    "queue.pico.bytesProgrammedPerBatch": Math.round(programmed / N),
    "queue.pico.erasesPer10kBatches": erases,
  };
}
