// The CPU of one thread, as the simulator's benchmarks split a fleet's time between the boards' worker threads and
// the gateway's thread: busy work shows on the thread that did it and not on a thread that slept meanwhile.
import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { processCpuSeconds, threadCpu } from "../../sim/fleet/thread-cpu";

const spin = (ms: number) => {
  const end = Date.now() + ms;
  let x = 0;
  while (Date.now() < end) x += Math.sqrt(x + 1);
  return x;
};

describe.runIf(process.platform === "linux")("thread CPU", () => {
  it("counts this thread's busy time, and not another thread's", async () => {
    const a = threadCpu()!;
    spin(200);
    const b = threadCpu()!;
    expect(b.cpu_s - a.cpu_s).toBeGreaterThan(0.1);
    expect(b.cpu_s - a.cpu_s).toBeLessThan(5);
    const url = new URL("../../sim/fleet/thread-cpu.ts", import.meta.url).href;
    // a worker spins 400 ms while this thread waits for it without using a CPU
    const w = new Worker(
      `const { register } = await import("tsx/esm/api");
       register();
       const { threadCpu } = await import(${JSON.stringify(url)});
       const { parentPort } = await import("node:worker_threads");
       const a = threadCpu(); const end = Date.now() + 400; let x = 0; while (Date.now() < end) x += Math.sqrt(x + 1);
       parentPort.postMessage(threadCpu().cpu_s - a.cpu_s);`,
      { eval: true },
    );
    const before = threadCpu()!;
    const workerBusy_s = await new Promise<number>((resolve, reject) => {
      w.once("message", resolve);
      w.once("error", reject);
    });
    const after = threadCpu()!;
    await w.terminate();
    expect(workerBusy_s).toBeGreaterThan(0.25);
    expect(after.cpu_s - before.cpu_s).toBeLessThan(workerBusy_s / 2);
  });

  it("counts a whole process, all threads, from its pid; a pid that is gone gives undefined", () => {
    const own = processCpuSeconds(process.pid)!;
    const u = process.cpuUsage();
    // /proc counts in ticks of 10 ms
    expect(Math.abs(own - (u.user + u.system) / 1e6)).toBeLessThan(0.5);
    expect(processCpuSeconds(2 ** 22 + 7)).toBeUndefined();
  });
});
