// The run's ledger (DESIGN.md "The simulator"): per node, batches produced by the firmware (written to its flash
// queue), delivered to the receiving side, stored once, duplicated, lost, merged into summaries.

export interface LedgerRow {
  node: string;
  produced: number;
  delivered: number;
  stored: number;
  duplicates: number;
  lost: number;
  merged: number;
  outOfOrder: number;
}

interface NodeBook {
  produced: Set<string>;
  deliveries: number;
  stored: Map<string, { t: number; i: number; rows: number }>;
  covered: Set<string>;
  merged: number;
  duplicates: number;
}

export class Ledger {
  private books = new Map<string, NodeBook>();

  private book(node: string): NodeBook {
    let b = this.books.get(node);
    if (!b) {
      b = { produced: new Set(), deliveries: 0, stored: new Map(), covered: new Set(), merged: 0, duplicates: 0 };
      this.books.set(node, b);
    }
    return b;
  }

  produced(node: string, boot: number, seq: number): void {
    this.book(node).produced.add(`${boot}.${seq}`);
  }

  /** A batch as the receiver got it; stored unless its key (or a key its merge covers) is there already. */
  delivered(node: string, batch: { b: number; s: number; e?: number; t: number; i: number; r: unknown[]; m?: number }): boolean {
    const bk = this.book(node);
    bk.deliveries++;
    const key = `${batch.b}.${batch.s}`;
    const last = batch.e ?? batch.s;
    const keys: string[] = [];
    for (let s = batch.s; s <= last; s++) keys.push(`${batch.b}.${s}`);
    if (keys.some((k) => bk.covered.has(k))) {
      bk.duplicates++;
      return false;
    }
    for (const k of keys) bk.covered.add(k);
    if ((batch.m ?? 1) > 1) bk.merged += keys.length;
    bk.stored.set(key, { t: batch.t, i: batch.i, rows: batch.r.length });
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
      return { node, produced: b.produced.size, delivered: b.deliveries, stored: b.stored.size, duplicates: b.duplicates, lost, merged: b.merged, outOfOrder };
    });
  }

  format(): string {
    const rows = this.rows();
    const head = ["node", "produced", "delivered", "stored", "duplicates", "merged", "lost", "outOfOrder"];
    const lines = [head.join("\t"), ...rows.map((r) => [r.node, r.produced, r.delivered, r.stored, r.duplicates, r.merged, r.lost, r.outOfOrder].join("\t"))];
    return "ledger\n" + lines.join("\n");
  }
}
