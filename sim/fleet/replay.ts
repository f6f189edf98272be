// A replay: sites (one or a fleet) run their virtual Espruinos against a gateway, in lockstep slices of virtual
// time, with a fault script; paced to N x real time or as fast as the CPU goes; a running ledger on every slice;
// then a drain period on a good link with the gateway up, and the ledger read back from the gateway's database.
import { linkChanges, ScheduledFault } from "../faults/script";
import { StoreLedger, StoreLedgerRow } from "../site/store-ledger";
import { EmbeddedGateway } from "./embedded-gateway";
import { SiteSpec } from "./sites";
import { RunCounts, SiteRunner } from "./runner";
import { WorkerRunner } from "./worker-runner";
import type { ThreadCpu } from "./thread-cpu";
import { rollout, type RolloutRecord } from "../../gateway/updates/rollout";
import { updatesOf, type UpdateRecord, type UpdateService } from "../../gateway/updates/service";

/** A fleet update over the air during a replay (docs/updates.md "A fleet update in a replay"). */
export interface ReplayUpdate {
  /** Virtual time the rollout begins at. */
  atMs: number;
  /** The text of a built image (dist/firmware/<board>.js). */
  image: string;
  waveShare: number;
  maxFailureShare: number;
  force?: boolean;
  /** "site/node" to update (default: every site of the run, in the order of the specs). */
  nodes?: string[];
  /** Virtual pause between a node's answer to a chunk and the next chunk, ms (default 1000, as the gateway's). */
  paceMs?: number;
}

/** How the replay's rollout went: its record, and each node's outcome counted. */
export interface ReplayUpdateResult {
  version: string;
  /** The gateway's rollout record; undefined when the run ended before the rollout's instant. */
  rollout: RolloutRecord | undefined;
  /** Nodes whose update ended so; notReached: not updated by the end, in a wave the rollout never began (it stopped, or the run ended) or still under way. */
  updated: number;
  rolledBack: number;
  failed: number;
  refused: number;
  notReached: number;
  /** Each node's update as the gateway last recorded it: begins above 1 when it was taken up again after a lost link or a restart. */
  nodes: Pick<UpdateRecord, "site" | "node" | "state" | "have" | "bytes" | "chunks" | "begins" | "why" | "started_at" | "updated_at">[];
  /** Virtual time from the rollout's start to its end (undefined while still running at the end of the run), and real time. */
  virtual_s?: number;
  real_s?: number;
}

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
  /** A fleet update through the embedded gateway's own rollout code, on virtual time (needs `gateway` started with commands). */
  update?: ReplayUpdate;
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
  /** The fleet update's outcome, when the run had one. */
  update?: ReplayUpdateResult;
  /** CPU of the worker threads that ran the boards (summed), when the run had workers and the system tells. */
  workersCpu?: ThreadCpu;
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
  const fleetUpdate = o.update ? new FleetUpdate(o.update, o.gateway, o.specs, () => now, start0, (key) => local.map((r) => r.bytesIn(key)).find((b) => b !== undefined)) : undefined;
  const progress = (done: boolean) =>
    o.onProgress?.({ virtualMs: now, realMs: Date.now() - started, produced: ledger.producedCount(), acknowledged: ledger.acknowledgedCount(), gatewayUp: o.gateway?.isUp ?? true, live, done });
  try {
    for (const r of runners) await r.powerOn();
    let fi = 0;
    let lastProgress = 0;
    while (now < end && !o.signal?.aborted) {
      // a second at a time while an update runs: its pauses and the nodes' answers are seconds apart
      const step = behindMs() <= slice || fleetUpdate?.running ? liveSlice : slice;
      let next = Math.min(end, (Math.floor(now / step) + 1) * step);
      if (fi < faults.length && faults[fi].atMs < next) next = Math.max(now, faults[fi].atMs);
      if (fleetUpdate && !fleetUpdate.begun && o.update!.atMs > now && o.update!.atMs < next) next = o.update!.atMs;
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
      await fleetUpdate?.tick(now);
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
    let workersCpu: ThreadCpu | undefined = nWorkers > 0 ? { cpu_s: 0, waiting_s: 0 } : undefined;
    for (const r of runners) {
      const c = await r.counts();
      n.resets += c.resets;
      n.connects += c.connects;
      n.replyTimeouts += c.replyTimeouts;
      if (workersCpu && c.threadCpu) {
        workersCpu.cpu_s += c.threadCpu.cpu_s;
        workersCpu.waiting_s += c.threadCpu.waiting_s;
      } else workersCpu = undefined;
    }
    // batches still in a board's flash when the run ends (the gateway restarting, a link still down): not lost
    for (const r of runners) for (const [node, b, s, e] of await r.queued()) ledger.onQueued(node, b, s, e);
    return { ledger, rows: undefined, virtualMs: now, realMs: Date.now() - started, resets: n.resets, reconnects: Math.max(0, n.connects - o.specs.length), replyTimeouts: n.replyTimeouts, update: fleetUpdate?.result(), ...(workersCpu ? { workersCpu } : {}) };
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

/**
 * The rollout of a replay: the gateway's own update service and rollout (gateway/updates), their timers and polls
 * on the replay's virtual time, so that the pauses between chunks, the node's time to prove its image and the
 * waves are the gateway's as configured, whatever the host's speed.
 */
class FleetUpdate {
  begun = false;
  running = false;
  private record: RolloutRecord | undefined;
  private updates: UpdateService | undefined;
  private timers: { dueMs: number; fn: () => void; cancelled: boolean }[] = [];
  private polls: (() => void)[] = [];
  private startedReal = 0;
  private endedMs: number | undefined;
  private endedReal: number | undefined;
  private error: Error | undefined;
  /** Update commands sent since the last slice and not answered yet; whether any went out since. */
  private awaiting = new Map<string, { key: string; bytes: number }>();
  private sentSince = false;

  constructor(
    private readonly u: ReplayUpdate,
    private readonly gateway: EmbeddedGateway | undefined,
    private readonly specs: SiteSpec[],
    private readonly nowMs: () => number,
    private readonly start0Unix: number,
    /** Bytes a node's board has received from its broker so far (undefined: not run in this thread). */
    private readonly bytesIn: (key: string) => number | undefined,
  ) {
    if (!gateway) throw new Error("a fleet update in a replay needs the embedded gateway");
  }

  /** After each slice: the rollout begins at its instant; due timers fire; the rollout looks at its wave again. */
  async tick(now: number): Promise<void> {
    if (this.error) throw this.error;
    if (!this.begun && now >= this.u.atMs) await this.begin();
    const due = this.timers.filter((t) => t.dueMs <= now);
    this.timers = this.timers.filter((t) => t.dueMs > now);
    for (const t of due) if (!t.cancelled) t.fn();
    const polls = this.polls;
    this.polls = [];
    for (const p of polls) p();
    // the rollout's own steps (its look at the wave, the next wave's begins) before the boards go on
    for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
    // commands on their way to the nodes: the boards stand still (a host's moment, at most 250 ms) until each
    // node's board has received bytes since, as a board on a real link hears a command within its second; a node
    // that cannot hear it (its link cut, its power off) is waited for once, then takes it up whenever it hears it
    const until = Date.now() + 250;
    const fired = due.some((t) => !t.cancelled);
    const unheard = () => [...this.awaiting.values()].some((a) => (this.bytesIn(a.key) ?? Infinity) <= a.bytes);
    while (Date.now() < until && (unheard() || (fired && !this.sentSince))) await sleep(1);
    this.awaiting.clear();
    this.sentSince = false;
  }

  private async begin(): Promise<void> {
    this.begun = true;
    const g = this.gateway!.gateway;
    const commands = this.gateway!.commands?.service;
    if (!g?.store || !commands) throw new Error("a fleet update in a replay needs the embedded gateway up, started with commands");
    const updates = (this.updates = updatesOf(g.store.db, g.bus, commands, {
      paceMs: this.u.paceMs ?? 1000,
      // the node's clock is the replay's: commands live the longest the contract allows, so that a node whose clock
      // is behind or ahead of the host's never finds one expired
      ttl_s: 7 * 86400,
      now: () => (this.start0Unix * 1000 + this.nowMs()),
      setTimer: (fn, ms) => {
        const t = { dueMs: this.nowMs() + ms, fn, cancelled: false };
        this.timers.push(t);
        return { cancel: () => void (t.cancelled = true) };
      },
    }));
    g.bus.on("command", (e) => {
      if (e.command.name !== "fw") return;
      if (e.command.state === "pending") {
        const key = `${e.command.site}/${e.command.node}`;
        this.awaiting.set(e.command.id, { key, bytes: this.bytesIn(key) ?? 0 });
        this.sentSince = true;
      } else this.awaiting.delete(e.command.id);
    });
    const nodes = this.u.nodes ?? this.specs.map((s) => `${s.site}/${s.node}`);
    this.running = true;
    this.startedReal = Date.now();
    const poll = () => new Promise<void>((r) => this.polls.push(r));
    rollout(updates, nodes, this.u.image, { waveShare: this.u.waveShare, maxFailureShare: this.u.maxFailureShare, force: this.u.force }, poll, (r) => (this.record = r)).then(
      (r) => {
        this.record = r;
        this.running = false;
        this.endedMs = this.nowMs();
        this.endedReal = Date.now();
      },
      (e) => (this.error = e as Error),
    );
    await new Promise((r) => setImmediate(r));
  }

  result(): ReplayUpdateResult {
    const version = /^\/\*minigrid \S+ (\S+)\*\//.exec(this.u.image)?.[1] ?? "?";
    const r = this.record;
    const outcomes = Object.values(r?.outcome ?? {});
    const count = (s: string) => outcomes.filter((x) => x.state === s).length;
    const all = r ? r.waves.flat().length : (this.u.nodes ?? this.specs).length;
    const ended = outcomes.filter((x) => ["updated", "rolled-back", "failed", "refused"].includes(x.state)).length;
    return {
      version,
      rollout: r && JSON.parse(JSON.stringify(r)),
      updated: count("updated"),
      rolledBack: count("rolled-back"),
      failed: count("failed"),
      refused: count("refused"),
      notReached: all - ended,
      nodes: (this.updates?.list() ?? []).map(({ site, node, state, have, bytes, chunks, begins, why, started_at, updated_at }) => ({ site, node, state, have, bytes, chunks, begins, why, started_at, updated_at })),
      virtual_s: this.endedMs === undefined ? undefined : (this.endedMs - this.u.atMs) / 1000,
      real_s: this.endedReal === undefined ? undefined : (this.endedReal - this.startedReal) / 1000,
    };
  }
}
