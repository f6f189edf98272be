// The run's ledger (docs/design.md "The simulator"): per node, batches produced by the firmware (written to its flash
// queue), delivered to the receiving side, stored once, duplicated, lost, merged into summaries, and refused (the
// queue would not take a batch although the board had power: a minute of data gone before it was produced).

export interface LedgerRow {
  node: string;
  produced: number;
  delivered: number;
  stored: number;
  duplicates: number;
  lost: number;
  merged: number;
  outOfOrder: number;
  refused: number;
}

interface NodeBook {
  produced: Set<string>;
  deliveries: number;
  stored: Map<string, { t: number; i: number; rows: number }>;
  covered: Set<string>;
  merged: number;
  duplicates: number;
  refused: number;
}

export class Ledger {
  private books = new Map<string, NodeBook>();

  private book(node: string): NodeBook {
    let b = this.books.get(node);
    if (!b) {
      b = { produced: new Set(), deliveries: 0, stored: new Map(), covered: new Set(), merged: 0, duplicates: 0, refused: 0 };
      this.books.set(node, b);
    }
    return b;
  }

  produced(node: string, boot: number, seq: number): void {
    this.book(node).produced.add(`${boot}.${seq}`);
  }

  /** The queue refused a batch while the board had power (VirtualSite onRefused). */
  refused(node: string): void {
    this.book(node).refused++;
  }

  /**
   * A batch as the receiver got it, stored as the gateway stores it (gateway/ingest/coverage.ts): a duplicate only
   * when every seq it stands for (s..e for a merged batch) is covered already; otherwise it covers the rest, and
   * for the order check it starts at its first row that no stored batch of the boot covers in time.
   */
  delivered(node: string, batch: { b: number; s: number; e?: number; t: number; i: number; r: unknown[]; m?: number }): boolean {
    const bk = this.book(node);
    bk.deliveries++;
    const last = typeof batch.e === "number" && batch.e >= batch.s ? batch.e : batch.s;
    const fresh: string[] = [];
    for (let s = batch.s; s <= last; s++) if (!bk.covered.has(`${batch.b}.${s}`)) fresh.push(`${batch.b}.${s}`);
    if (fresh.length === 0) {
      bk.duplicates++;
      return false;
    }
    for (const k of fresh) bk.covered.add(k);
    if ((batch.m ?? 1) > 1) bk.merged += fresh.length;
    const spans = [...bk.stored.entries()].filter(([k]) => k.startsWith(`${batch.b}.`)).map(([, v]) => ({ from: v.t, to: v.t + v.rows * v.i }));
    let row = 0;
    while (row < batch.r.length && spans.some((sp) => sp.from < batch.t + (row + 1) * batch.i && sp.to > batch.t + row * batch.i)) row++;
    if (row < batch.r.length) bk.stored.set(fresh[0], { t: batch.t + row * batch.i, i: batch.i, rows: batch.r.length - row });
    return true;
  }

  rows(): LedgerRow[] {
    return [...this.books.entries()].map(([node, b]) => {
      let lost = 0;
      for (const k of b.produced) if (!b.covered.has(k)) lost++;
      // in order per boot: sorted by seq, each stored batch starts where the one before ended
      let outOfOrder = 0;
      const byBoot = new Map<number, { s: number; t: number; i: number; rows: number }[]>();
      for (const [k, v] of b.stored) {
        const [boot, s] = k.split(".").map(Number);
        (byBoot.get(boot) ?? byBoot.set(boot, []).get(boot)!).push({ s, ...v });
      }
      for (const list of byBoot.values()) {
        list.sort((x, y) => x.s - y.s);
        for (let j = 1; j < list.length; j++) if (list[j].t < list[j - 1].t) outOfOrder++;
      }
      return { node, produced: b.produced.size, delivered: b.deliveries, stored: b.stored.size, duplicates: b.duplicates, lost, merged: b.merged, outOfOrder, refused: b.refused };
    });
  }

  format(): string {
    const rows = this.rows();
    const head = ["node", "produced", "delivered", "stored", "duplicates", "merged", "lost", "outOfOrder", "refused"];
    const lines = [head.join("\t"), ...rows.map((r) => [r.node, r.produced, r.delivered, r.stored, r.duplicates, r.merged, r.lost, r.outOfOrder, r.refused].join("\t"))];
    return "ledger\n" + lines.join("\n");
  }
}
