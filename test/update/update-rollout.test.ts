// A fleet update in waves (gateway/updates/rollout.ts): each node is the real update receiver on its own virtual
// Storage; the nodes that restart into the new image report it in their birth, or roll back. The rollout goes wave
// by wave and stops when a wave's failures pass the threshold, leaving the later waves untouched.
import { describe, expect, it } from "vitest";
import { crc32 } from "node:zlib";
import { CommandService } from "../../gateway/commands/service";
import { UpdateService } from "../../gateway/updates/service";
import { planWaves, rollout } from "../../gateway/updates/rollout";
import { receiver } from "../../firmware/update/receiver";
import { createStorage } from "../../sim/vm/storage";
import { VirtualFlash } from "../../sim/vm/flash";
import { birth, makeStore, T0 } from "../gateway/api-fixture";

const image = `/*minigrid esp32 0.4.0*/\n` + 'print("new");'.repeat(300);

/** A fleet of n nodes at site-a; `bad` nodes roll the new image back (restarts). */
function fleet(n: number, bad: Set<string>) {
  const { store, bus } = makeStore();
  const names = Array.from({ length: n }, (_, i) => `n${i + 1}`);
  const rx = new Map<string, ReturnType<typeof receiver>>();
  for (const node of names) {
    store.saveBirth("site-a", node, birth(), T0);
    rx.set(node, receiver(createStorage(new VirtualFlash({ sizeBytes: 896 * 1024, pageBytes: 4096 })) as any, (s) => crc32(s), "esp32", () => {
      setTimeout(() => bus.emit("node.birth", { site: "site-a", node, birth: bad.has(node) ? { ...birth(), upd: "restarts" } : { ...birth(), fw: "0.4.0" } }), 2);
    }));
  }
  const commands = new CommandService({
    db: store.db,
    bus,
    now: () => T0,
    publish: async (topic, payload) => {
      const node = topic.split("/")[3];
      const p = JSON.parse(payload);
      setImmediate(() => {
        const r = rx.get(node)!(p.a);
        bus.emit("node.ack", { site: "site-a", node, ack: { id: p.id, ok: typeof r !== "string", r } });
      });
    },
  });
  commands.start();
  const updates = new UpdateService(store.db, bus, commands, { paceMs: 1 });
  return { updates, nodes: names.map((n) => "site-a/" + n), close: () => (updates.stop(), commands.stop(), store.close()) };
}

const poll = () => new Promise<void>((r) => setTimeout(r, 5));

describe("rollouts in waves", () => {
  it("plans waves of a share of the nodes, at least one each", () => {
    expect(planWaves(["a", "b", "c", "d", "e"], 0.4)).toEqual([["a", "b"], ["c", "d"], ["e"]]);
    expect(planWaves(["a", "b"], 0.01)).toEqual([["a"], ["b"]]);
    expect(() => planWaves(["a"], 0)).toThrow(/waveShare/);
  });

  it("updates every wave when none fails", async () => {
    const f = fleet(6, new Set());
    const r = await rollout(f.updates, f.nodes, image, { waveShare: 1 / 3, maxFailureShare: 0 }, poll);
    expect(r.state).toBe("done");
    expect(r.waves.length).toBe(3);
    expect(Object.values(r.outcome).every((o) => o.state === "updated")).toBe(true);
    f.close();
  });

  it("stops after a wave whose failures pass the threshold, and leaves the later waves alone", async () => {
    const f = fleet(6, new Set(["n3", "n4"]));
    const r = await rollout(f.updates, f.nodes, image, { waveShare: 1 / 3, maxFailureShare: 0.25 }, poll);
    expect(r.state).toBe("stopped");
    expect(r.why).toBe("wave 2: 2 of 2 nodes not updated, over the 25 % allowed");
    expect(r.outcome["site-a/n1"].state).toBe("updated");
    expect(r.outcome["site-a/n3"]).toEqual({ state: "rolled-back", why: "restarts" });
    expect(r.outcome["site-a/n5"]).toBeUndefined();
    expect(f.updates.get("site-a", "n5")).toBeUndefined();
    f.close();
  });

  it("a refused node counts as a failure of its wave", async () => {
    const f = fleet(2, new Set());
    const r = await rollout(f.updates, f.nodes.concat("site-a/ghost"), image, { waveShare: 1, maxFailureShare: 0.5 }, poll);
    expect(r.outcome["site-a/ghost"].state).toBe("refused");
    expect(r.state).toBe("done");
    f.close();
  });
});
