// Outbox order: oldest first, live and backlog alternating, urgent kinds ahead, one channel table per message.
import { describe, expect, it } from "vitest";
import { Store } from "../../gateway/storage/store";
import { Outbox } from "../../gateway/uplink/outbox";

const now = 10_000_000;
const opts = (over: object = {}) => ({ now, liveWindowMs: 60_000, maxMessages: 3, maxDelayMs: 0, busy: new Set<number>(), ...over });
const body = (seq: number, c = "[1,4]") => `{"c":${c},"x":[3,3],"item":{"s":${seq}}}`;

describe("uplink outbox", () => {
  it("alternates live and backlog, each oldest first, and skips entries in flight", () => {
    const store = Store.open(":memory:");
    const ob = new Outbox(store.db);
    for (let s = 1; s <= 6; s++) ob.add("t", "s1", "n1", `old${s}`, now - 86_400_000 + s, body(s)); // a day old
    for (let s = 101; s <= 103; s++) ob.add("t", "s1", "n1", `new${s}`, now - 1000 + s, body(s));
    expect(ob.add("t", "s1", "n1", "old1", now, body(1))).toBe(false); // the same key twice is kept once
    const seqs = (g: ReturnType<Outbox["pick"]>) => g!.entries.map((e) => JSON.parse(e.body).item.s);
    const busy = new Set<number>();
    const g1 = ob.pick(opts({ busy }))!;
    expect([g1.live, seqs(g1)]).toEqual([true, [101, 102, 103]]);
    g1.entries.forEach((e) => busy.add(e.id));
    const g2 = ob.pick(opts({ busy }))!;
    expect([g2.live, seqs(g2)]).toEqual([false, [1, 2, 3]]);
    g2.entries.forEach((e) => busy.add(e.id));
    ob.remove(g1.entries.map((e) => e.id));
    ob.add("t", "s1", "n1", "new104", now, body(104));
    const g3 = ob.pick(opts({ busy }))!;
    expect(seqs(g3)).toEqual([104]); // live again: not starved by the backlog
    g3.entries.forEach((e) => busy.add(e.id));
    expect(seqs(ob.pick(opts({ busy }))!)).toEqual([4, 5, 6]);
    expect(ob.count()).toBe(7);
    store.close();
  });

  it("lets live batches wait max_delay for company, but not alarms; keeps one channel table per message", () => {
    const store = Store.open(":memory:");
    const ob = new Outbox(store.db);
    ob.add("t", "s1", "n1", "a", now - 5000, body(1));
    expect(ob.pick(opts({ maxDelayMs: 30_000 }))).toBeUndefined();
    ob.add("a", "s1", "n1", "alarm", now, `{"id":1}`);
    expect(ob.pick(opts({ maxDelayMs: 30_000 }))!.kind).toBe("a");
    ob.add("t", "s1", "n1", "b", now - 4000, body(2, "[1,4,6]"));
    const g = ob.pick(opts({ maxDelayMs: 0 }))!;
    expect(g.entries.length).toBe(1); // the second batch follows another channel table
    store.close();
  });
});
