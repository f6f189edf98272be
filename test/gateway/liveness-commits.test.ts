// What liveness writes and when: a check that finds many silent nodes writes them in one transaction that commits
// without a sync of its own on the gateway's thread (500 nodes going stale at once were 500 commits, each synced
// to the disk under synchronous FULL: 0.4 s of a blocked thread), and announces them once it has committed.
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Publisher } from "../../gateway/broker/publisher";
import { EventBus } from "../../gateway/events";
import { GatewayCounters } from "../../gateway/ingest/counters";
import { Liveness } from "../../gateway/liveness/liveness";
import { Store } from "../../gateway/storage/store";
import { birth, tempDir } from "./fixture";

let store: Store | undefined;
afterEach(() => store?.close());

describe("liveness commits", () => {
  it("one check takes 200 silent nodes offline and stale in one transaction, then tells each", () => {
    const s = (store = Store.open(join(tempDir(), "gw.db"), { checkpoint: { log: () => undefined } }));
    const T = 1_750_000_000_000;
    const nodes = Array.from({ length: 200 }, (_, k) => "n" + k);
    for (const n of nodes) {
      s.saveBirth("s1", n, birth(), T);
      s.touch("s1", n, T, 60);
    }
    const bus = new EventBus();
    let now = T;
    const liveness = new Liveness(s, bus, {} as Publisher, new GatewayCounters(), { defaultIntervalS: 60, checkMs: 60_000, timeSyncS: 3600 }, () => now);
    liveness.start();
    const told: { node: string; committed: boolean }[] = [];
    bus.on("node.state", (e) => told.push({ node: e.node, committed: !s.db.inTransaction && s.getNode("s1", e.node)?.online === 0 }));
    const deferred = vi.spyOn(s, "transactionDeferringSync");
    const plain = vi.spyOn(s, "transaction");
    now = T + 4 * 60_000; // past 3 report intervals
    liveness.check();
    liveness.stop();
    expect(deferred).toHaveBeenCalledTimes(1);
    expect(plain).toHaveBeenCalledTimes(1); // the one transactionDeferringSync opened
    const rows = s.db.prepare("SELECT count(*) AS n FROM nodes WHERE online = 0 AND stale = 1").get() as { n: number };
    expect(rows.n).toBe(200);
    expect(told).toHaveLength(200);
    expect(told.every((t) => t.committed)).toBe(true);
  });
});
