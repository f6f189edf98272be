// Batches that wait for their boot's clock offset (uptime-stamped, docs/design.md guarantee 4, "Honest time"), the clock offsets
// themselves, and the widest merged batch per boot that bounds the seq lookups of both tables. The Store (store.ts)
// builds on this; clock offsets are cached like the node rows, so they too must be written through these methods.
import { StoreCore } from "./store-core";

/** A range of seqs one stored or pending batch stands for. */
export interface SeqSpan {
  seq: number;
  seq_last: number;
  /** The stored row's merge factor (stored batches only; 1 for a batch stored alone). */
  merged?: number;
}

export interface PendingRow {
  site: string;
  node: string;
  boot: number;
  seq: number;
  seq_last: number | null;
  received_at: number;
  payload: string;
}

export interface ClockOffset {
  offset_ms: number;
  source: string;
}

export abstract class StorePending extends StoreCore {
  private readonly spans = new Map<string, number>();
  private readonly offsets = new Map<string, ClockOffset | null>();

  protected override rolledBack(): void {
    this.offsets.clear();
  }

  /** The pending batches of one boot that cover any seq of from..to. */
  pendingSeqSpans(site: string, node: string, boot: number, from: number, to: number): SeqSpan[] {
    const w = this.maxSpan("pending_batches", site, node, boot);
    return this.stmt(
      "pendingSeqs",
      "SELECT seq, coalesce(seq_last,seq) AS seq_last FROM pending_batches WHERE site=? AND node=? AND boot=? AND seq BETWEEN ? AND ? AND coalesce(seq_last,seq)>=? ORDER BY seq",
    ).all(site, node, boot, from - w, to, from) as SeqSpan[];
  }

  /**
   * The largest seq_last - seq of a boot's batches (0 when none is merged): read once, then raised by every insert.
   * A rolled-back insert can leave it too large, which only widens a lookup.
   */
  protected maxSpan(table: "batches" | "pending_batches", site: string, node: string, boot: number, raise?: number): number {
    const key = table + "\u0000" + site + "\u0000" + node + "\u0000" + boot;
    let w = this.spans.get(key);
    if (w === undefined) {
      const sql = `SELECT coalesce(max(coalesce(seq_last,seq)-seq),0) AS w FROM ${table} WHERE site=? AND node=? AND boot=?`;
      w = (this.stmt("span." + table, sql).get(site, node, boot) as { w: number }).w;
    }
    if (raise !== undefined && raise > w) w = raise;
    this.spans.set(key, w);
    return w;
  }

  /** Keep an uptime-stamped batch until its boot's clock offset is known. False when already kept. */
  addPending(site: string, node: string, boot: number, seq: number, receivedAt: number, payload: string, seqLast = seq): boolean {
    if (seqLast > seq) this.maxSpan("pending_batches", site, node, boot, seqLast - seq);
    return (
      this.stmt("addPending", "INSERT OR IGNORE INTO pending_batches(site,node,boot,seq,seq_last,received_at,payload) VALUES(?,?,?,?,?,?,?)").run(
        site,
        node,
        boot,
        seq,
        seqLast,
        receivedAt,
        payload,
      ).changes > 0
    );
  }

  /** Boots of a node with batches waiting for a clock offset, newest first. */
  pendingBoots(site: string, node: string): number[] {
    return (this.stmt("pendingBoots", "SELECT DISTINCT boot FROM pending_batches WHERE site=? AND node=? ORDER BY boot DESC").all(site, node) as { boot: number }[]).map(
      (r) => r.boot,
    );
  }

  /** The clock offset of the first later boot of a node that has one. */
  nextBootOffset(site: string, node: string, boot: number): { boot: number; offset_ms: number } | undefined {
    return this.stmt("nextOffset", "SELECT boot, offset_ms FROM clock_offsets WHERE site=? AND node=? AND boot>? ORDER BY boot LIMIT 1").get(site, node, boot) as
      | { boot: number; offset_ms: number }
      | undefined;
  }

  pendingOf(site: string, node: string, boot: number): PendingRow[] {
    return this.stmt("pendingOf", "SELECT * FROM pending_batches WHERE site=? AND node=? AND boot=? ORDER BY seq").all(site, node, boot) as PendingRow[];
  }

  deletePending(site: string, node: string, boot: number, seq: number): void {
    this.stmt("delPending", "DELETE FROM pending_batches WHERE site=? AND node=? AND boot=? AND seq=?").run(site, node, boot, seq);
  }

  pendingCount(): number {
    return (this.stmt("pendingCount", "SELECT count(*) AS n FROM pending_batches").get() as { n: number }).n;
  }

  /** wall clock (ms) = offset_ms + uptime (ms), for one boot of one node. */
  setClockOffset(site: string, node: string, boot: number, offsetMs: number, source: string, now: number): void {
    this.offsets.set(site + "\u0000" + node + "\u0000" + boot, { offset_ms: Math.round(offsetMs), source });
    this.stmt(
      "setOffset",
      `INSERT INTO clock_offsets(site,node,boot,offset_ms,source,updated_at) VALUES(?,?,?,?,?,?)
       ON CONFLICT(site,node,boot) DO UPDATE SET offset_ms=excluded.offset_ms, source=excluded.source, updated_at=excluded.updated_at`,
    ).run(site, node, boot, Math.round(offsetMs), source, now);
  }

  /** The offset of one boot; the same object until it changes (read it, do not change it). */
  getClockOffset(site: string, node: string, boot: number): ClockOffset | undefined {
    const key = site + "\u0000" + node + "\u0000" + boot;
    let o = this.offsets.get(key);
    if (o === undefined) {
      o = (this.stmt("getOffset", "SELECT offset_ms, source FROM clock_offsets WHERE site=? AND node=? AND boot=?").get(site, node, boot) as ClockOffset | undefined) ?? null;
      this.offsets.set(key, o);
    }
    return o ?? undefined;
  }
}
