// One handler per node topic (birth, state, t, evt, ack), run inside the ingest transaction in arrival order.
// Each either writes to the store and queues the bus events to emit after the commit, or returns a rejection.
import { crc32 } from "node:zlib";
import type { BatchPayload, BirthPayload } from "../../firmware/protocol/messages";
import { checkAck, checkBatch, checkBirth, checkEvent, parseJson } from "../../firmware/protocol/validate";
import type { EventBus, GatewayEvents, GatewayEventName } from "../events";
import type { SeqSpan, Store, WrittenBatch } from "../storage/store";
import { anchorBatch, offsetFromBirth, offsetFromSync } from "./anchor";
import type { GatewayCounters } from "./counters";
import { firstUncovered, repeatKind, rowsClear, seqRange } from "./coverage";
import { batchEndMs, checkBatchRanges, checkBirthRanges, checkEventRanges, checkSyncOffset, checkWallMs } from "./ranges";

export interface Rejection {
  reason: string;
  detail: string;
}

export interface ChannelTable {
  boot: number;
  ids: number[];
  scales: number[];
  crc: number;
}

/** CRC-32 of the birth's channel table as JSON: what a batch's optional `ch` field carries. */
export function channelTableCrc(ch: BirthPayload["ch"]): number {
  return crc32(JSON.stringify(ch)) >>> 0;
}

export interface Msg {
  site: string;
  node: string;
  text: string;
  receivedAt: number;
}

type Pending = { [K in GatewayEventName]: { name: K; payload: GatewayEvents[K] } }[GatewayEventName];
export type PendingEvent = Pending;

export function emitAll(bus: EventBus, events: PendingEvent[]): void {
  for (const e of events) bus.emit(e.name, e.payload as never);
}

export class HandlerContext {
  readonly outbox: Pending[] = [];
  private readonly tables = new Map<string, ChannelTable | null>();

  constructor(
    readonly store: Store,
    readonly counters: GatewayCounters,
    readonly isKnown: (site: string, node: string) => boolean,
  ) {}

  emit<K extends GatewayEventName>(name: K, payload: GatewayEvents[K]): void {
    this.outbox.push({ name, payload } as Pending);
  }

  /** The events the committed transaction produced, to emit once it is on the disk (`emitAll`). */
  take(): PendingEvent[] {
    return this.outbox.splice(0);
  }

  /** Where the events of the next message start (`undo`). */
  mark(): number {
    return this.outbox.length;
  }

  /** One message rolled back (its savepoint): forget its events, and the channel tables (a birth may be among them). */
  undo(mark: number): void {
    this.outbox.length = mark;
    this.tables.clear();
  }

  /** The transaction rolled back: forget its events and the channel tables (one may come from a rolled-back birth). */
  discard(): void {
    this.outbox.length = 0;
    this.tables.clear();
  }

  table(site: string, node: string): ChannelTable | null {
    const key = site + "/" + node;
    let t = this.tables.get(key);
    if (t === undefined) {
      const row = this.store.getNode(site, node);
      t = row ? tableOf(JSON.parse(row.birth_json) as BirthPayload) : null;
      this.tables.set(key, t);
    }
    return t;
  }

  setTable(site: string, node: string, birth: BirthPayload): void {
    this.tables.set(site + "/" + node, tableOf(birth));
  }
}

function tableOf(birth: BirthPayload): ChannelTable {
  return { boot: birth.boot, ids: birth.ch.map((c) => c[0]), scales: birth.ch.map((c) => c[3]), crc: channelTableCrc(birth.ch) };
}

function json(text: string): { ok: true; value: any } | Rejection {
  const p = parseJson(text);
  return p.ok ? p : { reason: p.reason, detail: p.detail };
}

const unknownNode = (m: Msg): Rejection => ({ reason: "unknown-node", detail: `no birth from ${m.site}/${m.node}: send the birth first` });

export function handleBirth(ctx: HandlerContext, m: Msg): Rejection | undefined {
  if (!ctx.isKnown(m.site, m.node)) return { reason: "unknown-node", detail: `${m.site}/${m.node} is not in the gateway's nodes` };
  const p = json(m.text);
  if (!("ok" in p)) return p;
  const c = checkBirth(p.value);
  if (!c.ok) return { reason: c.reason, detail: c.detail };
  const birth = c.value;
  const out = checkBirthRanges(birth, m.receivedAt);
  if (out) return out;
  ctx.store.saveBirth(m.site, m.node, birth, m.receivedAt);
  ctx.store.setLinkRssi(m.site, m.node, birth.rssi);
  ctx.setTable(m.site, m.node, birth);
  const offset = birth.clk === 1 ? offsetFromBirth(birth.up, m.receivedAt) : undefined;
  if (offset !== undefined) {
    ctx.store.setClockOffset(m.site, m.node, birth.boot, offset, "birth", m.receivedAt);
    drainPending(ctx, m.site, m.node, birth.boot);
    estimateEndedBoots(ctx, m.site, m.node, m.receivedAt);
  }
  ctx.emit("node.birth", { site: m.site, node: m.node, birth });
  ctx.emit("node.state", { site: m.site, node: m.node, online: true, reason: "birth" });
  return undefined;
}

/**
 * Store a checked batch, or keep it pending; returns a rejection for a time before 2000. A merged batch (s..e) is a
 * duplicate only when every seq it covers is stored or pending; when part is, only its rows over time that no stored
 * batch covers are stored, at best estimated ('e'), under the first seq not yet covered (coverage.ts).
 */
function storeBatch(ctx: HandlerContext, m: Msg, t: ChannelTable, b: BatchPayload, text: string, fromPending: boolean): Rejection | undefined {
  const off = b.ts === 1 ? undefined : ctx.store.getClockOffset(m.site, m.node, b.b);
  const a = anchorBatch(b, off?.offset_ms);
  if (a.kind === "bad-time") return { reason: "bad-time", detail: a.detail };
  // a time far from the gateway's clock (Infinity, the year 3000) is refused like one before 2000
  if (a.kind === "wall") {
    const far = checkWallMs("batch start", a.t0, m.receivedAt) ?? checkWallMs("batch end", batchEndMs(b, a.t0), m.receivedAt);
    if (far) return far;
  }
  const range = seqRange(b);
  const stored = ctx.store.storedSeqSpans(m.site, m.node, b.b, range.from, range.to);
  if (a.kind === "pending") {
    const spans = stored.concat(ctx.store.pendingSeqSpans(m.site, m.node, b.b, range.from, range.to));
    const seq = firstUncovered(range.from, range.to, spans);
    if (seq !== undefined && ctx.store.addPending(m.site, m.node, b.b, seq, m.receivedAt, text, range.to)) ctx.counters.pendingKept++;
    else if (seq === undefined) countRepeat(ctx, range, b, spans);
    else ctx.counters.duplicates++;
    return undefined;
  }
  if (fromPending) ctx.counters.pendingAnchored++;
  let seq = b.s;
  let keep: boolean[] | undefined;
  if (stored.length > 0) {
    const first = firstUncovered(range.from, range.to, stored);
    if (first === undefined) {
      countRepeat(ctx, range, b, stored);
      return undefined;
    }
    seq = first;
    const step = b.i * 1000;
    keep = rowsClear(a.t0, step, b.r.length, ctx.store.storedTimeSpans(m.site, m.node, a.t0, a.t0 + b.r.length * step));
  }
  const estimated = off?.source === estimatedSource;
  const meta = {
    site: m.site,
    node: m.node,
    boot: b.b,
    seq,
    seqLast: range.to,
    receivedAt: m.receivedAt,
    t0: a.t0,
    intervalS: b.i,
    historical: b.h === 1,
    merged: b.m ?? 1,
    timeEstimated: estimated,
    estimated: estimated || keep !== undefined,
  };
  const written: WrittenBatch = { channelIds: t.ids, span_ms: b.i * 1000, rows: [] };
  const rows = ctx.store.storeBatch(meta, t.ids, t.scales, b.r, b.q, keep, written);
  if (rows < 0) {
    ctx.counters.duplicates++;
    return undefined;
  }
  ctx.counters.batchesStored++;
  ctx.counters.rowsStored += rows;
  ctx.counters.samplesStored += rows * t.ids.length;
  ctx.counters.batchRate.add(1, m.receivedAt);
  ctx.emit("batch.stored", { site: m.site, node: m.node, boot: b.b, seq, rows, written });
  return undefined;
}

/** A batch nothing of which is new: the same batch again (a duplicate) or a merged summary of stored seqs (covered). */
function countRepeat(ctx: HandlerContext, range: { from: number; to: number }, b: BatchPayload, stored: SeqSpan[]): void {
  if (repeatKind(range.from, range.to, b.m ?? 1, stored) === "covered") ctx.counters.covered++;
  else ctx.counters.duplicates++;
}

function checkAgainst(t: ChannelTable, p: any): { ok: true; value: BatchPayload } | Rejection {
  const c = checkBatch(p, t.ids.length);
  if (!c.ok) return { reason: c.reason, detail: c.detail };
  if (c.value.ch !== undefined && c.value.ch >>> 0 !== t.crc)
    return { reason: "schema-mismatch", detail: `batch follows channel table ${c.value.ch >>> 0}, the birth's is ${t.crc}` };
  // impossible numbers (a seq range no node can have produced, an interval of Infinity) are refused before any
  // coverage is computed from them (ranges.ts)
  return checkBatchRanges(c.value, t.scales) ?? c;
}

export function handleBatch(ctx: HandlerContext, m: Msg): Rejection | undefined {
  const t = ctx.table(m.site, m.node);
  if (!t) return unknownNode(m);
  const p = json(m.text);
  if (!("ok" in p)) return p;
  const c = checkAgainst(t, p.value);
  if (!("ok" in c)) return c;
  const b = c.value;
  const r = storeBatch(ctx, m, t, b, m.text, false);
  // the backlog of a boot that ended before its clock was set, arriving after a later boot's offset is known
  // (the cached offset first: nextBootOffset is a query, and most uptime batches' boot has its offset)
  if (!r && b.ts === 0 && !ctx.store.getClockOffset(m.site, m.node, b.b) && ctx.store.nextBootOffset(m.site, m.node, b.b))
    estimateEndedBoots(ctx, m.site, m.node, m.receivedAt);
  if (!r) ctx.store.touch(m.site, m.node, m.receivedAt, c.value.h === 1 ? undefined : c.value.r.length * c.value.i * (c.value.m ?? 1));
  return r;
}

/** Store the pending batches of one boot now that its clock offset is known. */
export function drainPending(ctx: HandlerContext, site: string, node: string, boot: number): void {
  const t = ctx.table(site, node);
  if (!t) return;
  for (const row of ctx.store.pendingOf(site, node, boot)) {
    const p = parseJson(row.payload);
    const c = p.ok ? checkAgainst(t, p.value) : { reason: "malformed", detail: "pending payload is not JSON" };
    const m: Msg = { site, node, text: row.payload, receivedAt: row.received_at };
    const r = "ok" in c ? storeBatch(ctx, m, t, c.value, row.payload, true) : c;
    if (r) {
      ctx.counters.reject(r.reason);
      ctx.emit("reject", { reason: r.reason, detail: "pending batch " + row.boot + "/" + row.seq + ": " + r.detail, clientId: "", topic: "" });
    }
    ctx.store.deletePending(site, node, row.boot, row.seq);
  }
}

/** Clock-offset source of a boot whose offset is estimated: it ended before its clock was set. */
export const estimatedSource = "estimated";

/**
 * A boot cut short (power loss) before its clock was set never learns its offset, and its uptime batches would
 * wait for good. Once a later boot of the node has an offset, each earlier boot with pending batches is placed to
 * end where the next boot with an offset starts (that offset is the next boot's wall time at uptime 0; a reboot
 * takes seconds): its last pending row ends there. Stored with time_estimated = 1 and qualities at best 'e'; a
 * time before 2000 is still refused (anchor.ts). Newest boot first, so unsynced boots in a row line up back to back.
 */
export function estimateEndedBoots(ctx: HandlerContext, site: string, node: string, now: number): void {
  for (const boot of ctx.store.pendingBoots(site, node)) {
    if (ctx.store.getClockOffset(site, node, boot)) continue;
    const next = ctx.store.nextBootOffset(site, node, boot);
    if (!next) continue;
    let endMs = 0;
    for (const row of ctx.store.pendingOf(site, node, boot)) {
      const p = parseJson(row.payload);
      const v = p.ok ? (p.value as Partial<BatchPayload> | null) : null;
      if (v && typeof v.t === "number" && typeof v.i === "number" && Array.isArray(v.r)) endMs = Math.max(endMs, (v.t + v.r.length * v.i) * 1000);
    }
    ctx.store.setClockOffset(site, node, boot, next.offset_ms - endMs, estimatedSource, now);
    drainPending(ctx, site, node, boot);
  }
}

export function handleEvent(ctx: HandlerContext, m: Msg): Rejection | undefined {
  if (!ctx.table(m.site, m.node)) return unknownNode(m);
  const p = json(m.text);
  if (!("ok" in p)) return p;
  const c = checkEvent(p.value);
  if (!c.ok) return { reason: c.reason, detail: c.detail };
  const e = c.value;
  const out = checkEventRanges(e, m.receivedAt);
  if (out) return out;
  // every check before the first write: a refused message leaves nothing behind
  let synced: number | undefined;
  if (e.e === "clock.synced") {
    synced = offsetFromSync(e.d);
    if (synced === undefined) return { reason: "bad-time", detail: "clock.synced without a plausible d.off (wall minus uptime, s)" };
    const bad = checkSyncOffset(synced / 1000, m.receivedAt);
    if (bad) return bad;
  }
  let ts = m.receivedAt;
  if (e.ts === 1) ts = Math.round(e.t * 1000);
  else {
    const off = synced ?? ctx.store.getClockOffset(m.site, m.node, e.b)?.offset_ms;
    if (off !== undefined) ts = Math.round(off + e.t * 1000);
  }
  const far = checkWallMs("evt time", ts, m.receivedAt);
  if (far) return far;
  if (synced !== undefined) {
    ctx.store.setClockOffset(m.site, m.node, e.b, synced, "sync", m.receivedAt);
    ctx.store.setClockSynced(m.site, m.node, true);
  }
  ctx.store.insertEvent(m.site, m.node, ts, e.e, e.d === undefined ? null : JSON.stringify(e.d));
  if (e.e === "link") ctx.store.setLinkRssi(m.site, m.node, e.d && e.d.rssi);
  ctx.store.touch(m.site, m.node, m.receivedAt);
  if (synced !== undefined) {
    drainPending(ctx, m.site, m.node, e.b);
    estimateEndedBoots(ctx, m.site, m.node, m.receivedAt);
  }
  ctx.emit("node.event", { site: m.site, node: m.node, event: e });
  return undefined;
}

export function handleAck(ctx: HandlerContext, m: Msg): Rejection | undefined {
  if (!ctx.table(m.site, m.node)) return unknownNode(m);
  const p = json(m.text);
  if (!("ok" in p)) return p;
  const c = checkAck(p.value);
  if (!c.ok) return { reason: c.reason, detail: c.detail };
  ctx.store.ackCommand(m.site, m.node, c.value.id, c.value.ok, c.value.r, m.receivedAt);
  ctx.store.touch(m.site, m.node, m.receivedAt);
  ctx.emit("node.ack", { site: m.site, node: m.node, ack: c.value });
  return undefined;
}

/** state: "online", or "offline" (the node's will). Plain text or a JSON string. Before any birth it is ignored. */
export function handleState(ctx: HandlerContext, m: Msg): Rejection | undefined {
  let s = m.text.trim();
  if (s.startsWith('"')) {
    const p = parseJson(s);
    s = p.ok && typeof p.value === "string" ? p.value : "";
  }
  if (s !== "online" && s !== "offline") return { reason: "malformed", detail: 'state must be "online" or "offline"' };
  if (!ctx.table(m.site, m.node)) return undefined;
  ctx.store.setOnline(m.site, m.node, s === "online", m.receivedAt);
  ctx.emit("node.state", { site: m.site, node: m.node, online: s === "online", reason: s === "online" ? "state" : "will" });
  return undefined;
}
