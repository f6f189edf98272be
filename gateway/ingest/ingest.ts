// Ingest: messages from the broker are queued, then handled and committed together in one SQLite transaction
// (every flushMs, or at once when maxBatch are waiting); each message's `done` is called only after that commit,
// which is when the broker may send its PUBACK (docs/design.md guarantee 1). A bad message is rejected with a counted
// reason and a log line, and acknowledged so that the node drops it; it never holds up the other messages.
// A message whose handler throws part-way must leave nothing behind, yet a savepoint per message costs SQLite a copy
// of every page the message changes (one b-tree leaf per channel: ~0.3 ms for 38 channels): the messages are first
// handled without savepoints, and only when a handler throws is the whole transaction rolled back (with the counts)
// and handled again, each message in its own savepoint.
import { maxPayloadBytes } from "../../firmware/protocol/messages";
import { parseTopic } from "../../firmware/protocol/topics";
import type { EventBus, GatewayFeature } from "../events";
import type { Store } from "../storage/store";
import type { GatewayCounters } from "./counters";
import { emitAll, HandlerContext, handleAck, handleBatch, handleBirth, handleEvent, handleState, Msg, PendingEvent, Rejection } from "./handlers";

export interface InboundMessage {
  clientId: string;
  topic: string;
  payload: Buffer | string;
  receivedAt: number;
}

/**
 * Called once the message is committed (err null) or could not be stored (err: do not acknowledge). `rejected`: the
 * message was refused (counted and logged); it is acknowledged all the same so that the node drops it.
 */
export type Done = (err: Error | null, rejected: boolean) => void;

export interface IngestOptions {
  flushMs: number;
  maxBatch: number;
  /** May this node send? (configured, or demo mode) */
  isKnown: (site: string, node: string) => boolean;
  log?: (line: string) => void;
  /**
   * The clock messages are stamped with on arrival (Unix ms; default the host's): a simulation's virtual one, which
   * may be the sending node's own ("site/node", from the topic) so that a replay does not depend on real timing.
   */
  now?: (node?: string) => number;
}

interface Item {
  msg: InboundMessage;
  done: Done;
}

const handlers = { birth: handleBirth, state: handleState, batch: handleBatch, event: handleEvent, ack: handleAck } as const;

export class Ingest implements GatewayFeature {
  /** Arrival time for a message (Unix ms), on the gateway's clock; `topic` names the node it came from. */
  now(topic?: string): number {
    if (!this.opts.now) return Date.now();
    const t = topic === undefined ? undefined : parseTopic(topic);
    return this.opts.now(t ? t.site + "/" + t.node : undefined);
  }

  private queue: Item[] = [];
  private timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  private ctx: HandlerContext | undefined;
  private running = false;
  /** Waiting for the running sync to return before the next commit (groupCommit). */
  private held = false;
  private readonly logged: { [reason: string]: number } = {};

  constructor(
    private readonly store: Store,
    private readonly bus: EventBus,
    private readonly counters: GatewayCounters,
    private readonly opts: IngestOptions,
  ) {}

  start(): void {
    this.ctx = new HandlerContext(this.store, this.counters, this.opts.isKnown);
    this.counters.gauges.queueDepth = () => this.queue.length;
    this.counters.gauges.pendingDepth = () => (this.store.db.open ? this.store.pendingCount() : 0);
    this.counters.gauges.wal = () => this.store.checkpointStats;
    this.running = true;
  }

  /** Commit what is queued; later messages are refused (not acknowledged) so that nodes send them again. */
  stop(): void {
    this.flush();
    this.running = false;
    this.clearTimer();
  }

  get queueDepth(): number {
    return this.queue.length;
  }

  submit(msg: InboundMessage, done: Done): void {
    if (!this.running) {
      done(new Error("gateway stopping"), false);
      return;
    }
    this.queue.push({ msg, done });
    if (this.queue.length >= this.opts.maxBatch) this.commitQueued();
    else if (!this.timer && !this.held)
      this.timer = this.opts.flushMs > 0 ? setTimeout(() => this.groupCommit(), this.opts.flushMs) : setImmediate(() => this.groupCommit());
  }

  /**
   * Commit what is queued, unless the disk is still syncing the previous commit: then what arrives meanwhile is
   * committed together once it returns (its PUBACKs could not go out before the next sync anyway), so there is one
   * commit per sync. maxBatch messages are committed at once all the same.
   */
  private groupCommit(): void {
    this.timer = undefined;
    if (!this.store.syncBusy) return this.commitQueued();
    if (this.held) return;
    this.held = true;
    this.store.whenSyncIdle(() => {
      this.held = false;
      this.commitQueued();
    });
  }

  private clearTimer(): void {
    if (!this.timer) return;
    clearTimeout(this.timer as NodeJS.Timeout);
    clearImmediate(this.timer as NodeJS.Immediate);
    this.timer = undefined;
  }

  /** Handle and commit everything queued, wait for the disk, and acknowledge it (and what waits for the disk). */
  flush(): void {
    this.commitQueued();
    this.store.syncNow();
  }

  /**
   * Handle and commit everything queued. The acknowledgements, the events and the logged rejections follow once
   * the commit is on the disk: under synchronous FULL an fsync off the main thread (storage/wal-sync.ts), which
   * lets the next messages be handled meanwhile; otherwise at once.
   */
  private commitQueued(): void {
    this.clearTimer();
    const ctx = this.ctx;
    if (this.queue.length === 0 || !ctx) return;
    const items = this.queue;
    this.queue = [];
    const started = performance.now();
    let rejected: (Rejection | undefined)[] = [];
    let error: Error | null = null;
    try {
      rejected = this.commit(ctx, items);
    } catch (e) {
      error = e as Error;
      this.counters.commitErrors++;
      this.log(`gateway: could not store ${items.length} messages (${error.message}); not acknowledged, the nodes will send them again`);
    }
    const events = error ? [] : ctx.take();
    const ms = performance.now() - started;
    this.counters.flushes++;
    this.counters.lastFlushMs = ms;
    this.counters.maxFlushMs = Math.max(this.counters.maxFlushMs, ms);
    if (error) this.acknowledge(items, rejected, events, error);
    else this.store.whenDurable((err) => this.acknowledge(items, rejected, events, err, true));
  }

  private acknowledge(items: Item[], rejected: (Rejection | undefined)[], events: PendingEvent[], error: Error | null, committed = false): void {
    if (error && committed) {
      // committed, but the disk did not confirm it: not acknowledged (the nodes send again; stored ones are duplicates)
      this.counters.commitErrors++;
      this.log(`gateway: could not sync ${items.length} messages to the disk (${error.message}); not acknowledged, the nodes will send them again`);
    }
    if (!error) emitAll(this.bus, events);
    for (let i = 0; i < items.length; i++) {
      const r = rejected[i];
      if (r && !error) this.reject(r, items[i].msg);
      items[i].done(error, !!r && !error);
    }
  }

  /**
   * Handle the items in one transaction and commit it; on a rollback the counts and the context's events are put
   * back as they were. A handler that throws (not the database) means: again, one savepoint per message.
   */
  private commit(ctx: HandlerContext, items: Item[]): (Rejection | undefined)[] {
    const counts = this.counters.save();
    for (const savepoints of [false, true]) {
      const rejected: (Rejection | undefined)[] = [];
      try {
        this.store.transactionDeferringSync(() => {
          for (const it of items) rejected.push(this.handle(ctx, it.msg, savepoints));
        });
        return rejected;
      } catch (e) {
        this.counters.restore(counts);
        ctx.discard();
        if (!(e instanceof HandlerFailed)) throw e;
      }
    }
    throw new Error("unreachable: the pass with savepoints does not throw HandlerFailed");
  }

  /**
   * Check one message and run its handler; a rejection is returned. Without savepoints a throwing handler aborts
   * the pass (HandlerFailed); with them it rolls back only this message, which is rejected as malformed.
   */
  private handle(ctx: HandlerContext, msg: InboundMessage, savepoints: boolean): Rejection | undefined {
    const size = typeof msg.payload === "string" ? Buffer.byteLength(msg.payload) : msg.payload.length;
    const t = parseTopic(msg.topic);
    this.counters.receive(t ? t.kind : "other");
    if (size > maxPayloadBytes) return { reason: "oversized", detail: `${size} bytes; the limit is ${maxPayloadBytes}` };
    if (!t) return { reason: "bad-topic", detail: "not mg/v1/<site>/<node>/<birth|state|t|evt|ack>" };
    const handler = (handlers as { [k: string]: ((c: HandlerContext, m: Msg) => Rejection | undefined) | undefined })[t.kind];
    if (!handler) return { reason: "bad-topic", detail: `${t.kind} is published by the gateway, not by nodes` };
    const text = typeof msg.payload === "string" ? msg.payload : msg.payload.toString("utf8");
    const m: Msg = { site: t.site, node: t.node, text, receivedAt: msg.receivedAt };
    if (!savepoints) {
      try {
        return handler(ctx, m);
      } catch (e) {
        throw isStorageFailure(e) ? e : new HandlerFailed();
      }
    }
    // a failed statement inside a handler rolls back only this message (savepoint), its counts and its events
    const counts = this.counters.save();
    const events = ctx.mark();
    try {
      return this.store.transaction(() => handler(ctx, m));
    } catch (e) {
      if (isStorageFailure(e)) throw e;
      this.counters.restore(counts);
      ctx.undo(events);
      return { reason: "malformed", detail: "could not be handled: " + (e as Error).message };
    }
  }

  /** Count and log (at most 5 lines per reason per minute) a refused message. */
  reject(r: Rejection, msg: { clientId: string; topic: string }): void {
    this.counters.reject(r.reason);
    this.bus.emit("reject", { reason: r.reason, detail: r.detail, clientId: msg.clientId, topic: msg.topic });
    const minute = Math.floor(Date.now() / 60000);
    const key = r.reason + "@" + minute;
    const n = (this.logged[key] = (this.logged[key] ?? 0) + 1);
    if (n <= 5) this.log(`gateway: rejected (${r.reason}) from ${msg.clientId || "?"} on ${msg.topic}: ${r.detail}`);
    if (n === 1) for (const k of Object.keys(this.logged)) if (!k.endsWith("@" + minute)) delete this.logged[k];
  }

  private log(line: string): void {
    (this.opts.log ?? console.warn)(line);
  }
}

/** A handler threw during the pass without savepoints: roll back and handle the messages again with them. */
class HandlerFailed extends Error {}

/** Errors of the database itself (disk full, I/O, locked) abort the whole flush; others are the message's fault. */
function isStorageFailure(e: unknown): boolean {
  const code = (e as { code?: unknown }).code;
  return typeof code === "string" && /^SQLITE_(FULL|IOERR|BUSY|LOCKED|CANTOPEN|READONLY|CORRUPT|NOTADB|NOMEM)/.test(code);
}
