// The flash queue contract on the simulator's virtual Storage and virtual NOR flash (Pico geometry).
import { VirtualFlash } from "../../sim/vm/flash";
import { createStorage } from "../../sim/vm/storage";
import { crc32 } from "../../sim/vm/crc32";
import { openQueue } from "../../firmware/app/queue/flash-queue";
import { EXECUTOR, QueueSetup, Step, queueContract } from "../contracts/queue-contract";

const runSteps = new Function(EXECUTOR + "\nreturn runSteps;")() as (...args: unknown[]) => any[];

queueContract("virtual Storage on a virtual flash (Espruino Pico, 48 KB in 16 KB pages)", () => {
  const flash = new VirtualFlash({ sizeBytes: 48 * 1024, pageBytes: 16 * 1024, programUnitBytes: 4 });
  return {
    boot: async (steps: Step[], setup: QueueSetup = {}) => runSteps(openQueue, createStorage(flash), crc32, steps, setup),
  };
});
