// The proof's ledger counts a batch as the gateway stores it: a merged summary whose first batch was stored (its
// PUBACK lost) still covers the rest of its range; only a batch whose every seq is stored is a duplicate.
import { describe, expect, it } from "vitest";
import { Ledger } from "../../sim/site/ledger";

const one = (b: number, s: number) => ({ b, s, t: s * 60, i: 60, r: [[1]] });

describe("ledger", () => {
  it("a merged batch overlapping a stored one covers its other seqs: nothing lost, nothing out of order", () => {
    const l = new Ledger();
    for (let s = 0; s <= 3; s++) l.produced("a/n", 1, s);
    expect(l.delivered("a/n", one(1, 0))).toBe(true);
    expect(l.delivered("a/n", one(1, 1))).toBe(true);
    // 1..3 merged into one two-minute-row summary after 1's PUBACK was lost
    expect(l.delivered("a/n", { b: 1, s: 1, e: 3, m: 3, t: 60, i: 120, r: [[1], [2]] })).toBe(true);
    expect(l.delivered("a/n", { b: 1, s: 1, e: 3, m: 3, t: 60, i: 120, r: [[1], [2]] })).toBe(false);
    const [row] = l.rows();
    expect(row).toMatchObject({ produced: 4, delivered: 4, duplicates: 1, lost: 0, merged: 2, outOfOrder: 0 });
  });

  it("a seq never delivered is lost; one delivered twice is a duplicate", () => {
    const l = new Ledger();
    for (let s = 0; s <= 2; s++) l.produced("a/n", 1, s);
    l.delivered("a/n", one(1, 0));
    l.delivered("a/n", one(1, 0));
    l.delivered("a/n", one(1, 2));
    expect(l.rows()[0]).toMatchObject({ produced: 3, stored: 2, duplicates: 1, lost: 1, refused: 0 });
    l.refused("a/n");
    expect(l.rows()[0].refused).toBe(1);
    expect(l.format()).toContain("refused");
  });
});
