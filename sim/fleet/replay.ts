// A replay: sites (one or a fleet) run their virtual Espruinos against a gateway, in lockstep slices of virtual
// time, with a fault script; paced to N x real time or as fast as the CPU goes; a running ledger on every slice;
// then a drain period on a good link with the gateway up, and the ledger read back from the gateway's database.
import { linkChanges, ScheduledFault } from "../faults/script";
import { StoreLedger, StoreLedgerRow } from "../site/store-ledger";
import { EmbeddedGateway } from "./embedded-gateway";
import { SiteSpec } from "./sites";
import { RunCounts, SiteRunner } from "./runner";
import { WorkerRunner } from "./worker-runner";

export interface ReplayOptions {
  specs: SiteSpec[];
  untilMs: number;
  /** Virtual time after `untilMs` with every fault cleared, for backlogs to drain. */
  drainMs?: number;
  /** Virtual x real time; 0 = as fast as possible. */
  speed?: number;
  faults?: ScheduledFault[];
  /** An embedded gateway (started by the caller), or an external broker (then no gateway faults and no ledger from storage). */
  gateway?: EmbeddedGateway;
  broker?: { host: string; port: number; user?: string; pass?: string };
  /** Worker threads for the sites (0: all in this thread). */
  workers?: number;
  sliceMs?: number;
  onProgress?: (p: ReplayProgress) => void;
  /** The ledger to fill (give the same one to the embedded gateway's onStored for the acknowledged count). */
  ledger?: StoreLedger;
  /**
   * Unix second of virtual time 0 when the run must never get ahead of this host's clock: while behind it the
   * sites run at full speed, once caught up they go on in real time (the demo: yesterday replayed, then live).
   */
  followWallClockFromUnix?: number;
  /** Real ms a board waits for its gateway's answer before its virtual time moves on (default Infinity: until it comes). */
  replyWaitMs?: number;
  /** Ends the run at the next slice. */
  signal?: AbortSignal;
}

export interface ReplayProgress {
  virtualMs: number;
  realMs: number;
  produced: number;
  acknowledged: number;
  gatewayUp: boolean;
  /** Caught up with the host's clock (followWallClockFromUnix) and running in real time. */
  live: boolean;
  done: boolean;
}

export interface ReplayResult {
  ledger: StoreLedger;
  rows: StoreLedgerRow[] | undefined;
  virtualMs: number;
  realMs: number;
  resets: number;
  /** TCP connections the boards made beyond their first (each a reconnect after a drop, a timeout or a reboot). */
  reconnects: number;
  /** MQTT connections the firmware gave up because a CONNACK, PINGRESP or PUBACK did not come in time. */
  replyTimeouts: number;
}

interface Runner {
  powerOn(): void | Promise<void>;
  apply(f: ScheduledFault): void | Promise<void>;
  runUntil(ms: number): Promise<void>;
  counts(): RunCounts | Promise<RunCounts>;
  queued(): [string, number, number, number][] | Promise<[string, number, number, number][]>;
  close?(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runReplay(o: ReplayOptions): Promise<ReplayResult> {
  const ledger = o.ledger ?? new StoreLedger();
  const broker = o.gateway?.broker ?? o.broker;
  if (!broker) throw new Error("a replay needs a gateway or a broker");
  const onProduced = (key: string, b: number, s: number) => ledger.onProduced(key, b, s);
  const runners: Runner[] = [];
  const nWorkers = Math.min(o.workers ?? 0, o.specs.length);
  // Boards not in the gateway's thread wait for every answer their gateway owes them, however long the host takes
  // (a gateway-down fault or a link cut ends the wait: the connection closes or goes quiet), so that the firmware's
  // 10 s CONNACK/PINGRESP and 30 s PUBACK limits never pass in virtual time only because the gateway was slow.
  const replyWaitMs = o.replyWaitMs ?? Infinity;
  if (nWorkers > 0) {
    for (let w = 0; w < nWorkers; w++) runners.push(await WorkerRunner.start(o.specs.filter((_, i) => i % nWorkers === w), broker, onProduced, replyWaitMs));
  } else runners.push(new SiteRunner(o.specs, broker, onProduced, o.gateway !== undefined, replyWaitMs));
  // against a gateway not in this process: the batches the boards received a PUBACK for (each once)
  if (!o.gateway) for (const r of runners) if (r instanceof SiteRunner || r instanceof WorkerRunner) r.onAcked = (key, n) => ledger.onAcknowledged(key, n);
  const faults = [...(o.faults ?? [])];
  const end = o.untilMs + (o.drainMs ?? 3600_000);
  const slice = o.sliceMs ?? (o.speed && o.speed <= 60 ? 1000 : 60_000);
  const liveSlice = 1000;
  const started = Date.now();
  let now = 0;
  const startOf = new Map(o.specs.map((s) => [`${s.site}/${s.node}`, s.startUnix]));
  const start0 = Math.min(...startOf.values());
  // The gateway's clock for a message or a time command: the node's own virtual time when its board runs in this
  // thread (a board waiting for its PUBACK stands still, so the arrival time does not depend on how fast the real
  // sockets were), else the start of the current slice (a worker thread's boards).
  const local = runners.filter((r): r is SiteRunner => r instanceof SiteRunner);
  const boardMs = (node: string) => {
    for (const r of local) {
      const ms = r.virtualMs(node);
      if (ms !== undefined) return ms;
    }
    return now;
  };
  o.gateway?.setWallClock((node) => (startOf.get(node) ?? start0) + boardMs(node) / 1000);
  const follow = o.followWallClockFromUnix;
  /** How far the run is behind the host's clock (ms; negative: ahead). */
  const behindMs = () => (follow === undefined ? Infinity : Date.now() - (follow * 1000 + now));
  let live = false;
  const progress = (done: boolean) =>
    o.onProgress?.({ virtualMs: now, realMs: Date.now() - started, produced: ledger.producedCount(), acknowledged: ledger.acknowledgedCount(), gatewayUp: o.gateway?.isUp ?? true, live, done });
  try {
    for (const r of runners) await r.powerOn();
    let fi = 0;
    let lastProgress = 0;
    while (now < end && !o.signal?.aborted) {
      const step = behindMs() <= slice ? liveSlice : slice;
      let next = Math.min(end, (Math.floor(now / step) + 1) * step);
      if (fi < faults.length && faults[fi].atMs < next) next = Math.max(now, faults[fi].atMs);
      if (now < o.untilMs && next > o.untilMs) next = o.untilMs;
      await Promise.all(runners.map((r) => r.runUntil(next)));
      now = next;
      while (fi < faults.length && faults[fi].atMs <= now) {
        const f = faults[fi++];
        if (now >= o.untilMs) continue;
        if (f.action.what === "gateway-down") await o.gateway?.down();
        else if (f.action.what === "gateway-up") await o.gateway?.up();
        else if (f.action.what === "clock-jump") {
          const by = f.action.by_s;
          for (const s of o.specs)
            if (!f.nodes || f.nodes.includes(s.node) || f.nodes.includes(`${s.site}/${s.node}`)) await o.gateway?.sendTime(s.site, s.node, s.startUnix + now / 1000 + by);
        } else for (const r of runners) await r.apply(f);
      }
      if (now === o.untilMs) {
        // the drain: everything back to normal
        await o.gateway?.up();
        for (const r of runners) {
          await r.apply({ atMs: now, action: { what: "wifi-up" } });
          for (const change of linkChanges) await r.apply({ atMs: now, action: { what: "link", change, on: false } });
          for (const sensor of ["vedirect", "modbus", "ina"] as const) await r.apply({ atMs: now, action: { what: "plug", sensor } });
          await r.apply({ atMs: now, action: { what: "noise", sensor: "vedirect", rate: 0 } });
        }
      }
      if (follow !== undefined && behindMs() < liveSlice) {
        if (!live) {
          live = true;
          lastProgress = 0; // tell at once
        }
        const ahead = -behindMs();
        if (ahead > 0) await sleep(ahead);
      } else if (o.speed && o.speed > 0) {
        const wait = now / o.speed - (Date.now() - started);
        if (wait > 0) await sleep(wait);
      }
      if (Date.now() - lastProgress > 250) {
        lastProgress = Date.now();
        progress(false);
      }
    }
    progress(true);
    const n: RunCounts = { resets: 0, connects: 0, replyTimeouts: 0 };
    for (const r of runners) {
      const c = await r.counts();
      n.resets += c.resets;
      n.connects += c.connects;
      n.replyTimeouts += c.replyTimeouts;
    }
    // batches still in a board's flash when the run ends (the gateway restarting, a link still down): not lost
    for (const r of runners) for (const [node, b, s, e] of await r.queued()) ledger.onQueued(node, b, s, e);
    return { ledger, rows: undefined, virtualMs: now, realMs: Date.now() - started, resets: n.resets, reconnects: Math.max(0, n.connects - o.specs.length), replyTimeouts: n.replyTimeouts };
  } finally {
    for (const r of runners) await r.close?.();
  }
}

/** The ledger row totals that decide a run's exit status. */
export function ledgerVerdict(rows: StoreLedgerRow[]): { lost: number; duplicated: number; ok: boolean } {
  const lost = rows.reduce((a, r) => a + r.lost, 0);
  const duplicated = rows.reduce((a, r) => a + r.duplicated, 0);
  return { lost, duplicated, ok: lost === 0 && duplicated === 0 };
}
