// The gateway's typed event bus: features (ingest, liveness, alarms, API, commands, uplink) are start/stop
// extensions that listen here (docs/style.md 9). Every event name maps to one payload type, so an emitter
// and a listener cannot disagree about a field.
import { EventEmitter } from "node:events";
import type { AckPayload, BirthPayload, EventPayload } from "../firmware/protocol/messages";
import type { WrittenBatch } from "./storage/store";

export interface GatewayEvents {
  /**
   * A batch was committed to the store (after dedup: a repeat is not announced). rows = rows stored. `written`, from
   * ingest: the samples it wrote, so that a listener need not read them back (absent: read them from the store).
   */
  "batch.stored": { site: string; node: string; boot: number; seq: number; rows: number; written?: WrittenBatch };
  /** A node's birth was accepted and stored (its channel table now governs its batches). */
  "node.birth": { site: string; node: string; birth: BirthPayload };
  /** A node went online or offline; reason: "state", "will", "silence", "birth", "disconnect". */
  "node.state": { site: string; node: string; online: boolean; reason: string };
  /** A node answered a command. */
  "node.ack": { site: string; node: string; ack: AckPayload };
  /** A node reported a device event (stored in the events table before this is emitted). */
  "node.event": { site: string; node: string; event: EventPayload };
  /** Input refused: reason is a short code counted in the metrics (malformed, oversized, unknown-node, ...). */
  reject: { reason: string; detail: string; clientId: string; topic: string };
}

export type GatewayEventName = keyof GatewayEvents;
export type Listener<K extends GatewayEventName> = (payload: GatewayEvents[K]) => void;

/**
 * A typed wrapper around EventEmitter. A listener that throws is reported on stderr and does not stop the others
 * or the emitter (one broken feature must not hold up ingest).
 */
export class EventBus {
  private readonly ee = new EventEmitter();

  constructor() {
    this.ee.setMaxListeners(100);
  }

  on<K extends GatewayEventName>(name: K, listener: Listener<K>): () => void {
    const wrapped = (payload: GatewayEvents[K]) => {
      try {
        listener(payload);
      } catch (e) {
        console.error(`gateway: a listener of "${name}" failed: ${(e as Error).stack ?? e}`);
      }
    };
    this.ee.on(name, wrapped);
    return () => this.ee.off(name, wrapped);
  }

  emit<K extends GatewayEventName>(name: K, payload: GatewayEvents[K]): void {
    this.ee.emit(name, payload);
  }

  listenerCount(name: GatewayEventName): number {
    return this.ee.listenerCount(name);
  }
}

/**
 * A feature on the bus: the constructor only stores its collaborators; start() adds listeners and timers;
 * stop() removes every listener it added and clears its timers.
 */
export interface GatewayFeature {
  start(): void | Promise<void>;
  stop(): void | Promise<void>;
}

/** Collects the unsubscribe functions of one feature so that stop() can remove them all. */
export class Subscriptions {
  private offs: (() => void)[] = [];

  add(off: () => void): void {
    this.offs.push(off);
  }

  on<K extends GatewayEventName>(bus: EventBus, name: K, listener: Listener<K>): void {
    this.offs.push(bus.on(name, listener));
  }

  clear(): void {
    const offs = this.offs;
    this.offs = [];
    for (const off of offs) off();
  }
}
