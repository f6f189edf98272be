// The ledger of a replay read back from the gateway's own database (its `batches` table), per node:
//   produced      batches the firmware wrote to its flash queue (MG_PROBE "push": boot, seq)
//   acknowledged  batches the gateway committed and acknowledged: its "batch.stored" events (embedded gateway), or
//                 the batches the boards received a PUBACK for, each once (an external gateway, sim/vm/mqtt-replies.ts)
//   stored        rows in `batches` for the node (a merged summary is one row for many produced batches)
//   alone         produced batches stored in a row of their own (m = 1)
//   merged        produced batches that reached storage inside a merged batch (m > 1: the flash queue, when full,
//                 merges its oldest batches; a merged row covers seq..seq_last); counted once each
//   duplicated    produced batches covered by more than one stored row of their own (the same batch stored twice)
//   covered       produced batches also covered by a merged summary that came after they were stored (the gateway
//                 keeps only the summary's rows over time no stored batch covers, gateway/ingest/coverage.ts: its
//                 range overlaps, no sample is stored twice); informational, not a duplicate
//   queued        produced batches covered by no stored row but still in the node's flash queue when the run ended
//                 (the node sends them once it reaches a gateway: not lost; sim/site/queued.ts)
//   lost          produced batches covered by no stored row and no longer in the node's flash
//   timeBack      stored batches that start before the last row of the batch before them in the same boot (times
//                 anchored from two clocks; informational, not a loss)
// Every produced batch is exactly one of alone, merged, queued or lost: their sum is produced (`accounted`).
import { DatabaseLike, openReadonly } from "./store-read";

export interface StoreLedgerRow {
  node: string;
  produced: number;
  acknowledged: number | null;
  stored: number;
  alone: number;
  merged: number;
  duplicated: number;
  covered: number;
  queued: number;
  lost: number;
  timeBack: number;
}

interface StoredBatch {
  boot: number;
  seq: number;
  seq_last: number;
  merged: number;
  t0: number;
  interval_s: number;
  rows: number;
}

export class StoreLedger {
  private produced = new Map<string, Map<number, Set<number>>>();
  private acked = new Map<string, number>();
  private acksKnown = false;
  private queued = new Map<string, Map<number, [number, number][]>>();

  onProduced(node: string, boot: number, seq: number): void {
    let byBoot = this.produced.get(node);
    if (!byBoot) this.produced.set(node, (byBoot = new Map()));
    let seqs = byBoot.get(boot);
    if (!seqs) byBoot.set(boot, (seqs = new Set()));
    seqs.add(seq);
  }

  /** A batch (boot, seqs s..e) still in the node's flash queue at the end of the run. */
  onQueued(node: string, boot: number, s: number, e: number): void {
    let byBoot = this.queued.get(node);
    if (!byBoot) this.queued.set(node, (byBoot = new Map()));
    let spans = byBoot.get(boot);
    if (!spans) byBoot.set(boot, (spans = []));
    spans.push([s, e]);
  }

  /** The embedded gateway stored a batch, or (an external gateway) a node received the PUBACK for n of its batches. */
  onAcknowledged(node: string, n = 1): void {
    this.acksKnown = true;
    this.acked.set(node, (this.acked.get(node) ?? 0) + n);
  }

  /** Produced batches still in a node's flash queue when the run ended (sent to no gateway that kept them). */
  queuedCount(): number {
    let n = 0;
    for (const [node, byBoot] of this.produced)
      for (const [boot, seqs] of byBoot) {
        const spans = this.queued.get(node)?.get(boot) ?? [];
        for (const s of seqs) if (spans.some(([a, e]) => s >= a && s <= e)) n++;
      }
    return n;
  }

  producedCount(): number {
    let n = 0;
    for (const b of this.produced.values()) for (const s of b.values()) n += s.size;
    return n;
  }

  acknowledgedCount(): number {
    let n = 0;
    for (const v of this.acked.values()) n += v;
    return n;
  }

  /** Compare with what the database holds. */
  rows(dbPath: string): StoreLedgerRow[] {
    const db = openReadonly(dbPath);
    try {
      return this.rowsFrom(db);
    } finally {
      db.close();
    }
  }

  rowsFrom(db: DatabaseLike): StoreLedgerRow[] {
    const q = db.prepare("SELECT boot, seq, coalesce(seq_last, seq) AS seq_last, merged, t0, interval_s, rows FROM batches WHERE site = ? AND node = ? ORDER BY boot, seq");
    const out: StoreLedgerRow[] = [];
    for (const [node, byBoot] of this.produced) {
      const [site, n] = node.split("/");
      const stored = q.all(site, n) as StoredBatch[];
      const row: StoreLedgerRow = { node, produced: 0, acknowledged: this.acksKnown ? this.acked.get(node) ?? 0 : null, stored: stored.length, alone: 0, merged: 0, duplicated: 0, covered: 0, queued: 0, lost: 0, timeBack: 0 };
      const storedByBoot = new Map<number, StoredBatch[]>();
      for (const s of stored) (storedByBoot.get(s.boot) ?? storedByBoot.set(s.boot, []).get(s.boot)!).push(s);
      for (const list of storedByBoot.values())
        for (let i = 1; i < list.length; i++) {
          const prev = list[i - 1];
          if (list[i].t0 < prev.t0 + (prev.rows - 1) * prev.interval_s * 1000 - 500) row.timeBack++;
        }
      for (const [boot, seqs] of byBoot) {
        row.produced += seqs.size;
        const list = storedByBoot.get(boot) ?? [];
        const covered = new Set<number>();
        const inMerged = new Set<number>();
        for (const b of list)
          for (let k = b.seq; k <= b.seq_last; k++) {
            if (!seqs.has(k)) continue;
            if (covered.has(k)) {
              if (b.merged > 1 || inMerged.has(k)) row.covered++;
              else row.duplicated++;
            }
            covered.add(k);
            if (b.merged > 1) inMerged.add(k);
          }
        const inFlash = this.queued.get(node)?.get(boot) ?? [];
        for (const s of seqs) {
          if (inMerged.has(s)) row.merged++;
          else if (covered.has(s)) row.alone++;
          else if (inFlash.some(([a, e]) => s >= a && s <= e)) row.queued++;
          else row.lost++;
        }
      }
      out.push(row);
    }
    return out.sort((a, b) => a.node.localeCompare(b.node));
  }
}

/** What each column of the ledger means, one line each, printed under the table. */
export const ledgerColumns: [string, string][] = [
  ["produced", "batches the firmware wrote to its flash queue"],
  ["acknowledged", "batches the gateway committed, then acknowledged (PUBACK); with --gateway the batches the nodes had a PUBACK for"],
  ["stored", "rows in the gateway's batches table (a merged summary is one row for many produced batches)"],
  ["alone", "produced batches stored in a row of their own"],
  ["merged", "produced batches stored inside a merged summary (a full flash queue merges its oldest batches)"],
  ["duplicated", "produced batches stored in more than one row of their own (stored twice)"],
  ["covered", "produced batches stored, then also inside a merged summary's range (its rows over their time not kept: not twice)"],
  ["queued", "produced batches stored nowhere yet but still in the node's flash at the end: sent once it reaches a gateway"],
  ["lost", "produced batches stored nowhere and gone from the node's flash"],
  ["timeBack", "stored batches stamped before the end of the one before them in the same boot (informational)"],
];

type Count = "produced" | "stored" | "alone" | "merged" | "duplicated" | "covered" | "queued" | "lost" | "timeBack";

/** Every produced batch in exactly one place: alone + merged + queued + lost = produced. */
export function ledgerAccount(rows: StoreLedgerRow[]): { produced: number; alone: number; merged: number; queued: number; lost: number; ok: boolean } {
  const sum = (k: Count) => rows.reduce((a, r) => a + r[k], 0);
  const a = { produced: sum("produced"), alone: sum("alone"), merged: sum("merged"), queued: sum("queued"), lost: sum("lost") };
  return { ...a, ok: a.alone + a.merged + a.queued + a.lost === a.produced };
}

export function formatLedger(rows: StoreLedgerRow[]): string {
  const head = ["node", "produced", "acknowledged", "stored", "alone", "merged", "duplicated", "covered", "queued", "lost", "timeBack"];
  const cells = rows.map((r) => [r.node, r.produced, r.acknowledged ?? "-", r.stored, r.alone, r.merged, r.duplicated, r.covered, r.queued, r.lost, r.timeBack].map(String));
  const tot = (k: Count) => String(rows.reduce((a, r) => a + r[k], 0));
  const acked = rows.some((r) => r.acknowledged !== null) ? String(rows.reduce((a, r) => a + (r.acknowledged ?? 0), 0)) : "-";
  if (rows.length > 1) cells.push(["total", tot("produced"), acked, tot("stored"), tot("alone"), tot("merged"), tot("duplicated"), tot("covered"), tot("queued"), tot("lost"), tot("timeBack")]);
  const w = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => c.map((x, i) => (i === 0 ? x.padEnd(w[i]) : x.padStart(w[i]))).join("  ");
  const kw = Math.max(...ledgerColumns.map(([k]) => k.length));
  const legend = ledgerColumns.map(([k, text]) => `  ${k.padEnd(kw)}  ${text}`);
  const a = ledgerAccount(rows);
  const account =
    `${a.ok ? "every produced batch accounted for" : "produced batches NOT all accounted for"}: ${a.produced} produced = ${a.alone} stored alone + ${a.merged} inside merged summaries + ${a.queued} still queued + ${a.lost} lost` +
    (a.ok ? "" : ` (the parts add up to ${a.alone + a.merged + a.queued + a.lost}, not ${a.produced}: the ledger is wrong)`);
  const queued = a.queued;
  const note = queued > 0 ? [`${queued} batch(es) still queued in the nodes' flash when the run ended: not lost, a node sends them once it reaches a gateway`] : [];
  return ["ledger", line(head), ...cells.map(line), ...legend, account, ...note].join("\n");
}
