// Runs a set of virtual sites in one thread, in lockstep slices of virtual time, applying the node-side faults
// (Wi-Fi, the site's network, power cuts, sensors, serial noise) at their instants. Gateway-side faults are the caller's: between
// slices it is told of every instant it must act at (`atBoundary`).
import { findBoard } from "../../firmware/boards/index";
import { VirtualSite } from "../site/virtual-site";
import { FaultAction, ScheduledFault } from "../faults/script";
import { applyLinkFault } from "./link-faults";
import { SiteSpec, modelFor } from "./sites";
import { queuedBatches, QueuedKey } from "../site/queued";
import type { ThreadCpu } from "./thread-cpu";

export interface RunCounts {
  resets: number;
  connects: number;
  replyTimeouts: number;
  /** CPU of the worker thread that ran these sites, when they ran in one and the system tells (thread-cpu.ts). */
  threadCpu?: ThreadCpu;
}

/** The firmware's console line when its MQTT client gives a connection up for a missing CONNACK (-1), PINGRESP (-2) or PUBACK (-4): firmware/app/mqtt/client.ts. */
const REPLY_TIMEOUT = /^mqtt down -(1|2|4)$/;

export class SiteRunner {
  readonly sites: { spec: SiteSpec; vs: VirtualSite }[] = [];
  /** Batches each board had a PUBACK for at the last `runUntil`. */
  private acksSeen = new Map<VirtualSite, number>();
  private replyTimeouts = 0;
  /** Told after each slice of the batches a board received its first PUBACK for meanwhile ("site/node", count). */
  onAcked?: (key: string, n: number) => void;

  /**
   * `deterministic` (a gateway in this thread): the boards wait for every answer (up to 1 s real) and hear the
   * gateway once a virtual second, so that one seed gives one run whatever the machine's speed. Otherwise a board
   * waits `replyWaitMs` of real time for an answer before its virtual time moves on (Infinity: until it comes, or
   * a fault cuts the link; see sim/vm/net-bridge.ts).
   */
  constructor(specs: SiteSpec[], broker: { host: string; port: number }, onProduced: (key: string, boot: number, seq: number) => void, deterministic = false, replyWaitMs?: number) {
    for (const spec of specs) {
      const key = `${spec.site}/${spec.node}`;
      const vs = new VirtualSite({
        board: findBoard(spec.board)!,
        site: spec.site,
        node: spec.node,
        broker,
        model: modelFor(spec),
        startUnix: spec.startUnix,
        report_s: spec.report_s,
        withCt: spec.withCt ?? false,
        mains_Hz: spec.description.inverter?.ac_Hz,
        firmwareFile: spec.firmwareFile,
        seed: spec.seed,
        bootsBefore: spec.bootsBefore,
        updatable: spec.updatable,
        network: spec.description.network,
        onProduced: (b, s) => onProduced(key, b, s),
        onLog: (line) => {
          if (REPLY_TIMEOUT.test(line)) this.replyTimeouts++;
        },
        // deterministic: a PUBACK is always waited for and the gateway's messages are heard at virtual instants
        ...(deterministic ? { replyWaitMs: 1000, yieldEveryVirtualMs: 1000 } : { replyWaitMs }),
      });
      this.sites.push({ spec, vs });
    }
  }

  powerOn(): void {
    for (const s of this.sites) s.vs.powerOn();
  }

  /** Node-side faults; true when the action was a node's. */
  apply(f: ScheduledFault): void {
    for (const { spec, vs } of this.sites) {
      if (f.nodes && !f.nodes.includes(spec.node) && !f.nodes.includes(`${spec.site}/${spec.node}`)) continue;
      applyToSite(vs, f.action);
    }
  }

  async runUntil(ms: number): Promise<void> {
    // all boards at once: while one waits for its broker's reply the others run (each has its own virtual clock)
    await Promise.all(this.sites.map((s) => s.vs.esp.runUntil(ms)));
    if (!this.onAcked) return;
    for (const { spec, vs } of this.sites) {
      const n = vs.esp.net.stats.batchAcks;
      const d = n - (this.acksSeen.get(vs) ?? 0);
      this.acksSeen.set(vs, n);
      if (d > 0) this.onAcked(`${spec.site}/${spec.node}`, d);
    }
  }

  /** The boards' sockets close (as at a power cut), so that a broker stopping next does not wait for them. */
  async close(): Promise<void> {
    for (const s of this.sites) s.vs.esp.net.powerOff();
  }

  /** A board's own virtual time (ms since the run's start), by "site/node"; undefined for a node not run here. */
  virtualMs(key: string): number | undefined {
    const s = this.sites.find((x) => `${x.spec.site}/${x.spec.node}` === key);
    return s?.vs.esp.clock.nowMs;
  }

  /** Bytes a board has received from its broker, by "site/node"; undefined for a node not run here. */
  bytesIn(key: string): number | undefined {
    return this.sites.find((x) => `${x.spec.site}/${x.spec.node}` === key)?.vs.esp.net.stats.bytesIn;
  }

  /** What each board still holds in its flash queue: [site/node, boot, s, e]. */
  queued(): [string, ...QueuedKey][] {
    return this.sites.flatMap(({ spec, vs }) => queuedBatches(vs.esp.storage()).map((k): [string, ...QueuedKey] => [`${spec.site}/${spec.node}`, ...k]));
  }

  /** Over all boards: resets after the first power-on, TCP connections made, MQTT connections the firmware ended by its reply timeouts. */
  counts(): RunCounts {
    return {
      resets: this.sites.reduce((a, s) => a + s.vs.esp.resets.length - 1, 0),
      connects: this.sites.reduce((a, s) => a + s.vs.esp.net.stats.connects, 0),
      replyTimeouts: this.replyTimeouts,
    };
  }
}

/** A node-side fault on one site (gateway-side ones do nothing here). */
export function applyToSite(vs: VirtualSite, a: FaultAction): void {
  const esp = vs.esp;
  switch (a.what) {
    case "wifi-down":
      return esp.net.setLinkUp(false, { silent: a.silent });
    case "wifi-up":
      return esp.net.setLinkUp(true);
    case "power-cut":
      return a.inWrite ? esp.powerCutDuringFlashWrite(a.inWrite, { spareCompaction: true }) : esp.powerCut();
    case "unplug":
    case "plug": {
      const off = a.what === "unplug";
      if (a.sensor === "vedirect") return off ? vs.bmv.unplug() : vs.bmv.plug();
      if (a.sensor === "modbus") return vs.controller.setFault(off ? "unplugged" : "none");
      for (const f of vs.feeders) f.absent = off;
      return;
    }
    case "noise":
      return vs.bmv.setNoise(a.rate);
    case "link":
      return applyLinkFault(vs, a);
    default:
      return; // gateway-side: the caller's
  }
}
