// `minigrid node rollout` against a running API (POST and GET /api/updates/rollout, behind the API's token): three
// nodes, each the real update receiver on its own virtual Storage answering the gateway's commands; the CLI starts
// the rollout, follows it wave by wave and says how it ended; a wave whose node rolls back stops it.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { writeFileSync } from "node:fs";
import { crc32 } from "node:zlib";
import { startApi, RunningApi } from "../../gateway/api/server";
import { imageFile, runNode } from "./cli-fixture";
import { receiver, type Receiver } from "../../firmware/update/receiver";
import { createStorage } from "../../sim/vm/storage";
import { VirtualFlash } from "../../sim/vm/flash";
import { UsageError } from "../../cli/command";
import type { Store } from "../../gateway/storage/store";
import type { EventBus } from "../../gateway/events";
import { birth, makeStore, T0 } from "../gateway/api-fixture";
import { captureConsole } from "../helpers/console-capture";

const nodes = ["ctl-1", "ctl-2", "ctl-3"];
let store: Store;
let bus: EventBus;
let api: RunningApi;
let out: string[];
let err: string[];
/** Nodes that roll the new image back (their next birth says why). */
let bad: Set<string>;
/** Every fw command a node was sent. */
let sent: string[];

beforeEach(async () => {
  ({ store, bus } = makeStore("site-a", "ctl-1"));
  for (const n of nodes.slice(1)) store.saveBirth("site-a", n, birth(), T0);
  bad = new Set();
  sent = [];
  const rx = new Map<string, Receiver>();
  for (const n of nodes)
    rx.set(n, receiver(createStorage(new VirtualFlash({ sizeBytes: 896 * 1024, pageBytes: 4096 })) as any, (s) => crc32(s), "esp32", () => {
      setTimeout(() => bus.emit("node.birth", { site: "site-a", node: n, birth: bad.has(n) ? { ...birth(), upd: "restarts" } : { ...birth(), fw: "0.4.0" } }), 20);
    }));
  api = await startApi({
    store,
    bus,
    config: { port: 0, token: "tok", requireToken: true },
    publish: (topic, payload) => {
      const p = JSON.parse(payload);
      if (!topic.endsWith("/cmd") || p.c !== "fw") return;
      const node = topic.split("/")[3];
      sent.push(node);
      setTimeout(() => {
        const r = rx.get(node)!(p.a);
        bus.emit("node.ack", { site: "site-a", node, ack: { id: p.id, ok: typeof r !== "string", r } });
      }, 2);
    },
    log: () => {},
  });
  ({ out, err } = captureConsole());
});

afterEach(async () => {
  vi.restoreAllMocks();
  await api.stop();
  store.close();
});

const run = (argv: string[], flags: Record<string, string | boolean> = {}): Promise<number> => runNode(api.port, argv, flags);

describe("minigrid node rollout", () => {
  it("rolls a newer image out in waves to every node of its board, following it to its end", async () => {
    expect(await run(["rollout"], { file: imageFile("0.4.0"), "wave-share": "0.34", wait: "30" })).toBe(0);
    expect(out.at(-1)).toBe("rollout of 0.4.0 to 3 node(s) in 2 wave(s): done; 3 updated, 0 rolled back, 0 failed, 0 refused of 3");
    expect(err.some((l) => /wave 1 under way/.test(l))).toBe(true);
    expect(err.some((l) => /wave 2 under way/.test(l))).toBe(true);
    expect(new Set(sent)).toEqual(new Set(nodes));
  }, 40_000);

  it("stops after a wave whose node rolled back, leaves the later waves alone, and ends with status 1", async () => {
    bad.add("ctl-2");
    expect(await run(["rollout"], { file: imageFile("0.4.0"), "wave-share": "0.5", "max-failure-share": "0", wait: "30", json: true })).toBe(1);
    const r = JSON.parse(out.at(-1)!);
    expect(r).toMatchObject({ state: "stopped", why: "wave 1: 1 of 2 nodes not updated, over the 0 % allowed", waves: [["site-a/ctl-1", "site-a/ctl-2"], ["site-a/ctl-3"]] });
    expect(r.outcome["site-a/ctl-2"]).toEqual({ state: "rolled-back", why: "restarts" });
    expect(sent).not.toContain("ctl-3");
  }, 40_000);

  it("--nodes picks the nodes; --max-failure-share lets a wave's failure pass", async () => {
    bad.add("ctl-3");
    expect(await run(["rollout"], { file: imageFile("0.4.0"), nodes: "site-a/ctl-3,site-a/ctl-1", "wave-share": "0.5", "max-failure-share": "1", wait: "30" })).toBe(0);
    expect(out.at(-1)).toBe("rollout of 0.4.0 to 2 node(s) in 2 wave(s): done; 1 updated, 1 rolled back, 0 failed, 0 refused of 2");
    expect(sent).not.toContain("ctl-2");
  }, 40_000);

  it("says what is wrong with its arguments, and what the gateway refused", async () => {
    await expect(run(["rollout"], {})).rejects.toThrow(/--file is required/);
    await expect(run(["rollout"], { file: imageFile("0.4.0"), "wave-share": "0" })).rejects.toThrow(/--wave-share takes a share above 0/);
    await expect(run(["rollout"], { file: imageFile("0.4.0"), nodes: "ctl-1" })).rejects.toThrow(/--nodes takes site\/node ids .*not one: 'ctl-1'/);
    await expect(run(["rollout", "site-a"], { file: imageFile("0.4.0") })).rejects.toThrow(UsageError);
    const notImage = imageFile("0.4.0") + ".txt";
    writeFileSync(notImage, "var x = 1;");
    expect(await run(["rollout"], { file: notImage })).toBe(1);
    expect(err.at(-1)).toMatch(/minigrid node rollout: .*not a firmware file built by minigrid build/);
    expect(await run(["rollout"], { file: imageFile("0.4.0"), token: "wrong" })).toBe(1);
    expect(err.at(-1)).toMatch(/give --token/);
    expect(await run(["help", "rollout"])).toBe(0);
    expect(out.at(-1)).toMatch(/^Usage: minigrid node rollout --file FILE/);
    expect(out.at(-1)).toMatch(/--max-failure-share X/);
  });
});
