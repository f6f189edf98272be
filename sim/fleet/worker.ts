// A worker thread of a fleet: its own virtual Espruinos (a SiteRunner), driven by the main thread slice by slice.
import { parentPort, workerData } from "node:worker_threads";
import { SiteRunner } from "./runner";
import { threadCpu } from "./thread-cpu";
import type { SiteSpec } from "./sites";

const { specs, broker, replyWaitMs } = workerData as { specs: SiteSpec[]; broker: { host: string; port: number }; replyWaitMs?: number };
let produced: [string, number, number][] = [];
let acked: [string, number][] = [];
const runner = new SiteRunner(specs, broker, (k, b, s) => produced.push([k, b, s]), false, replyWaitMs);
runner.onAcked = (k, n) => acked.push([k, n]);

parentPort!.on("message", async (m: { id: number; op: string; arg?: unknown }) => {
  let value: unknown;
  if (m.op === "powerOn") runner.powerOn();
  else if (m.op === "apply") runner.apply(m.arg as Parameters<SiteRunner["apply"]>[0]);
  else if (m.op === "run") await runner.runUntil(m.arg as number);
  else if (m.op === "counts") value = { ...runner.counts(), threadCpu: threadCpu() };
  else if (m.op === "queued") value = runner.queued();
  const p = produced;
  const a = acked;
  produced = [];
  acked = [];
  parentPort!.postMessage({ id: m.id, value, produced: p, acked: a });
});
