// `minigrid node update` against a running API (POST and GET .../update, behind the API's token): the node is the
// real update receiver on the virtual Storage, answering the gateway's commands; the CLI follows the update to
// its end and says how it ended.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { readFileSync, writeFileSync } from "node:fs";
import { crc32 } from "node:zlib";
import { startApi, RunningApi } from "../../gateway/api/server";
import { imageFile, runNode } from "./cli-fixture";
import { receiver, type Receiver } from "../../firmware/update/receiver";
import { createStorage } from "../../sim/vm/storage";
import { VirtualFlash } from "../../sim/vm/flash";
import type { Store } from "../../gateway/storage/store";
import type { EventBus } from "../../gateway/events";
import { birth, makeStore } from "../gateway/api-fixture";
import { captureConsole } from "../helpers/console-capture";

let store: Store;
let bus: EventBus;
let api: RunningApi;
let rx: Receiver;
let out: string[];
let err: string[];
/** What the node's next birth says after it restarts into the new image. */
let after: { fw?: string; upd?: string };

beforeEach(async () => {
  ({ store, bus } = makeStore());
  rx = receiver(createStorage(new VirtualFlash({ sizeBytes: 896 * 1024, pageBytes: 4096 })) as any, (s) => crc32(s), "esp32", () => {
    setTimeout(() => bus.emit("node.birth", { site: "site-a", node: "ctl-1", birth: { ...birth(), ...after } }), 50);
  });
  api = await startApi({
    store,
    bus,
    config: { port: 0, token: "tok", requireToken: true },
    publish: (topic, payload) => {
      const p = JSON.parse(payload);
      if (!topic.endsWith("/cmd") || p.c !== "fw") return;
      setTimeout(() => {
        const r = rx(p.a);
        bus.emit("node.ack", { site: "site-a", node: "ctl-1", ack: { id: p.id, ok: typeof r !== "string", r } });
      }, 5);
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

describe("minigrid node update", () => {
  it("sends a newer image, follows it to the node's birth on the new version, and says so", async () => {
    after = { fw: "0.4.0" };
    expect(await run(["update", "site-a", "ctl-1"], { file: imageFile("0.4.0"), wait: "20" })).toBe(0);
    expect(out.at(-1)).toBe("update of site-a/ctl-1 from 0.3.1 to 0.4.0: done, the node runs 0.4.0");
    expect(err.some((l) => /staging, \d+ of 2625 bytes/.test(l))).toBe(true);
  });

  it("says the node rolled back, and why, with status 1", async () => {
    after = { upd: "timeout" };
    expect(await run(["update", "site-a", "ctl-1"], { file: imageFile("0.4.0"), wait: "20" })).toBe(1);
    expect(out.at(-1)).toBe("update of site-a/ctl-1 from 0.3.1 to 0.4.0: rolled back by the node (timeout); it runs 0.3.1");
  });

  it("refuses an older image unless --force, and a file that is not an image, naming why", async () => {
    expect(await run(["update", "site-a", "ctl-1"], { file: imageFile("0.2.0"), wait: "0" })).toBe(1);
    expect(err.at(-1)).toMatch(/version 0.2.0 is older than the 0.3.1 site-a\/ctl-1 runs; give force/);
    const bad = imageFile("0.4.0") + ".x";
    writeFileSync(bad, "var x = 1;");
    expect(await run(["update", "site-a", "ctl-1"], { file: bad, wait: "0" })).toBe(1);
    expect(err.at(-1)).toMatch(/not a firmware file built by minigrid build/);
    after = { fw: "0.2.0" };
    expect(await run(["update", "site-a", "ctl-1"], { file: imageFile("0.2.0"), wait: "20", force: true })).toBe(0);
  });

  it("a rollout through the API: waves of the nodes of the image's board, followed to its end", async () => {
    after = { fw: "0.4.0" };
    const h = { authorization: "Bearer tok", "content-type": "application/json" };
    const post = await fetch(`http://127.0.0.1:${api.port}/api/updates/rollout`, { method: "POST", headers: h, body: JSON.stringify({ image: readFileSync(imageFile("0.4.0"), "latin1"), wave_share: 0.5 }) });
    expect(post.status).toBe(202);
    let r: any;
    for (let i = 0; i < 100; i++) {
      r = (await (await fetch(`http://127.0.0.1:${api.port}/api/updates/rollout`, { headers: h })).json()).rollout;
      if (r.state !== "running") break;
      await new Promise((x) => setTimeout(x, 200));
    }
    expect(r).toMatchObject({ state: "done", waves: [["site-a/ctl-1"]], outcome: { "site-a/ctl-1": { state: "updated" } } });
    const bad = await fetch(`http://127.0.0.1:${api.port}/api/updates/rollout`, { method: "POST", headers: h, body: JSON.stringify({ image: "x" }) });
    expect(bad.status).toBe(400);
  }, 30_000);

  it("the update route asks for the API's token", async () => {
    const r = await fetch(`http://127.0.0.1:${api.port}/api/sites/site-a/nodes/ctl-1/update`, { method: "POST", body: "{}" });
    expect(r.status).toBe(401);
  });
});
