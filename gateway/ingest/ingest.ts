// Ingest: messages from the broker are queued, then handled and committed together in one SQLite transaction
// (every flushMs, or at once when maxBatch are waiting); each message's `done` is called only after that commit,
// which is when the broker may send its PUBACK (DESIGN.md guarantee 1). A bad message is rejected with a counted
// reason and a log line, and acknowledged so that the node drops it; it never holds up the other messages.
import { maxPayloadBytes } from "../../firmware/protocol/messages";
import { parseTopic } from "../../firmware/protocol/topics";
import type { EventBus, GatewayFeature } from "../events";
import type { Store } from "../storage/store";
import type { GatewayCounters } from "./counters";
import { HandlerContext, handleAck, handleBatch, handleBirth, handleEvent, handleState, Msg, Rejection } from "./handlers";

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
}

interface Item {
  msg: InboundMessage;
  done: Done;
}

const handlers = { birth: handleBirth, state: handleState, batch: handleBatch, event: handleEvent, ack: handleAck } as const;

export class Ingest implements GatewayFeature {
  private queue: Item[] = [];
  private timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  private ctx: HandlerContext | undefined;
  private running = false;
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
    if (this.queue.length >= this.opts.maxBatch) this.flush();
    else if (!this.timer) this.timer = this.opts.flushMs > 0 ? setTimeout(() => this.flush(), this.opts.flushMs) : setImmediate(() => this.flush());
  }

  private clearTimer(): void {
    if (!this.timer) return;
    clearTimeout(this.timer as NodeJS.Timeout);
    clearImmediate(this.timer as NodeJS.Immediate);
    this.timer = undefined;
  }

  /** Handle and commit everything queued, then acknowledge it. */
  flush(): void {
    this.clearTimer();
    const ctx = this.ctx;
    if (this.queue.length === 0 || !ctx) return;
    const items = this.queue;
    this.queue = [];
    const started = performance.now();
    const rejected: (Rejection | undefined)[] = [];
    let error: Error | null = null;
    try {
      this.store.transaction(() => {
        for (const it of items) rejected.push(this.handle(ctx, it.msg));
      });
    } catch (e) {
      error = e as Error;
      this.counters.commitErrors++;
      this.log(`gateway: could not store ${items.length} messages (${error.message}); not acknowledged, the nodes will send them again`);
    }
    ctx.deliver(this.bus, error === null);
    const ms = performance.now() - started;
    this.counters.flushes++;
    this.counters.lastFlushMs = ms;
    this.counters.maxFlushMs = Math.max(this.counters.maxFlushMs, ms);
    for (let i = 0; i < items.length; i++) {
      const r = rejected[i];
      if (r && !error) this.reject(r, items[i].msg);
      items[i].done(error, !!r && !error);
    }
  }

  /** Check one message and run its handler; a rejection is returned, never thrown. */
  private handle(ctx: HandlerContext, msg: InboundMessage): Rejection | undefined {
    const size = typeof msg.payload === "string" ? Buffer.byteLength(msg.payload) : msg.payload.length;
    const t = parseTopic(msg.topic);
    this.counters.receive(t ? t.kind : "other");
    if (size > maxPayloadBytes) return { reason: "oversized", detail: `${size} bytes; the limit is ${maxPayloadBytes}` };
    if (!t) return { reason: "bad-topic", detail: "not mg/v1/<site>/<node>/<birth|state|t|evt|ack>" };
    const handler = (handlers as { [k: string]: ((c: HandlerContext, m: Msg) => Rejection | undefined) | undefined })[t.kind];
    if (!handler) return { reason: "bad-topic", detail: `${t.kind} is published by the gateway, not by nodes` };
    const text = typeof msg.payload === "string" ? msg.payload : msg.payload.toString("utf8");
    const m: Msg = { site: t.site, node: t.node, text, receivedAt: msg.receivedAt };
    // a failed statement inside a handler rolls back only this message (savepoint), not the whole flush
    try {
      return this.store.transaction(() => handler(ctx, m));
    } catch (e) {
      if (isStorageFailure(e)) throw e;
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

/** Errors of the database itself (disk full, I/O, locked) abort the whole flush; others are the message's fault. */
function isStorageFailure(e: unknown): boolean {
  const code = (e as { code?: unknown }).code;
  return typeof code === "string" && /^SQLITE_(FULL|IOERR|BUSY|LOCKED|CANTOPEN|READONLY|CORRUPT|NOTADB|NOMEM)/.test(code);
}
