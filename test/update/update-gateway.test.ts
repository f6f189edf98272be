// The gateway's side of an update (gateway/updates/): refusals, chunks paced one at a time with their CRC, resuming
// after a lost link at the node's birth, and the outcome read from the birth after the switch. The node here is the
// real update receiver (firmware/update/receiver.ts) on the virtual Storage, answering the commands it is sent.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { crc32 } from "node:zlib";
import { CommandService } from "../../gateway/commands/service";
import { UpdateRefused, UpdateService, type UpdateRecord } from "../../gateway/updates/service";
import { compareVersions, readImage } from "../../gateway/updates/image";
import { receiver, type Receiver } from "../../firmware/update/receiver";
import { createStorage, type VirtualStorage } from "../../sim/vm/storage";
import { VirtualFlash } from "../../sim/vm/flash";
import type { Store } from "../../gateway/storage/store";
import type { EventBus } from "../../gateway/events";
import { birth, makeStore, T0 } from "../gateway/api-fixture";

const header = (board: string, v: string) => `/*minigrid ${board} ${v}*/\n`;
/** An image of about `n` bytes whose text needs escaping in JSON (quotes and backslashes), as minified code does. */
const imageText = (board: string, v: string, n = 9000) => header(board, v) + 'print("a\\"b");'.repeat(Math.ceil(n / 14)).slice(0, n);

let store: Store;
let bus: EventBus;
let commands: CommandService;
let updates: UpdateService;
let st: VirtualStorage;
let rx: Receiver;
let published: { topic: string; a: any }[];
let linkUp: boolean;
let restarts: number;

function newReceiver(): void {
  rx = receiver(st as any, (s) => crc32(s), "esp32", () => void restarts++);
}

beforeEach(() => {
  ({ store, bus } = makeStore());
  published = [];
  linkUp = true;
  restarts = 0;
  st = createStorage(new VirtualFlash({ sizeBytes: 896 * 1024, pageBytes: 4096 }));
  newReceiver();
  commands = new CommandService({
    db: store.db,
    bus,
    publish: async (topic, payload) => {
      const p = JSON.parse(payload);
      published.push({ topic, a: p.a });
      if (!linkUp) return;
      // the node answers a little later, as over a link
      setImmediate(() => {
        const r = rx(p.a);
        bus.emit("node.ack", { site: "site-a", node: "ctl-1", ack: { id: p.id, ok: typeof r !== "string", r } });
      });
    },
    now: () => T0,
  });
  commands.start();
  updates = new UpdateService(store.db, bus, commands, { paceMs: 1 });
});

afterEach(() => {
  updates.stop();
  commands.stop();
  store.close();
});

async function until(f: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 2));
  }
}
const state = () => updates.get("site-a", "ctl-1") as UpdateRecord;

describe("updates from the gateway", () => {
  it("reads board and version from the image's first line and compares versions as numbers", () => {
    expect(readImage(header("pico", "0.10.2") + "x")).toMatchObject({ board: "pico", version: "0.10.2", bytes: 26 });
    expect(() => readImage("var x;")).toThrow(/first line/);
    expect(() => readImage(header("pico", "1") + "\xff")).toThrow(/not printable ASCII/);
    expect(compareVersions("0.10.0", "0.9.9")).toBe(1);
    expect(compareVersions("0.3.1", "0.3.1")).toBe(0);
    expect(compareVersions("0.3", "0.3.1")).toBe(-1);
  });

  it("refuses an image for another board, an older or the same version unless forced, and a board without room", async () => {
    await expect(updates.start("site-a", "ctl-1", imageText("pico", "0.4.0"))).rejects.toThrow("built for pico, but site-a/ctl-1 is a esp32");
    await expect(updates.start("site-a", "ctl-1", imageText("esp32", "0.3.0"))).rejects.toThrow(/0.3.0 is older than the 0.3.1/);
    await expect(updates.start("site-a", "ctl-1", imageText("esp32", "0.3.1"))).rejects.toThrow(/the same as/);
    expect(published).toEqual([]);
    store.saveBirth("site-a", "ctl-2", { ...birth(), bd: "pico" }, T0);
    const e = await updates.start("site-a", "ctl-2", imageText("pico", "0.4.0")).catch((x) => x);
    expect(e).toBeInstanceOf(UpdateRefused);
    expect(e.message).toMatch(/cannot hold two images/);
    // forced: an older image goes
    await updates.start("site-a", "ctl-1", imageText("esp32", "0.3.0"), { force: true });
    await until(() => state().state === "switching");
  });

  it("sends the image one chunk at a time, each with its CRC, and the node stages it whole", async () => {
    const text = imageText("esp32", "0.4.0");
    const rec = await updates.start("site-a", "ctl-1", text);
    expect(rec).toMatchObject({ state: "staging", from: "0.3.1", version: "0.4.0", bytes: text.length });
    await until(() => state().state === "switching");
    expect(restarts).toBe(1);
    expect(state()).toMatchObject({ have: text.length, begins: 1 });
    const chunks = published.filter((p) => p.a.o !== undefined);
    expect(chunks.length).toBe(state().chunks);
    let at = 0;
    for (const c of chunks) {
      expect(c.a.o).toBe(at);
      expect(c.a.c).toBe(crc32(c.a.d));
      // every command fits the node's 2,048-byte MQTT packet
      expect(JSON.stringify(c.a).length).toBeLessThan(1800);
      at += c.a.d.length;
    }
    expect(at).toBe(text.length);
    expect(st.read("mg.fw1")).toBe(`//${crc32(text)} ${text.length}\n` + text);
    // the new version's birth: updated
    bus.emit("node.birth", { site: "site-a", node: "ctl-1", birth: { ...birth(), fw: "0.4.0" } });
    expect(state().state).toBe("updated");
  });

  it("takes the update up again where the node stands after a lost link, and after the node's reboot", async () => {
    const text = imageText("esp32", "0.4.0", 12000);
    await updates.start("site-a", "ctl-1", text);
    await until(() => state().have > 3000);
    linkUp = false;
    await until(() => published.length > 0 && state().have > 0 && published.at(-1)!.a.o !== undefined);
    const had = state().have;
    // the node rebooted meanwhile: a new receiver over what Storage holds
    newReceiver();
    linkUp = true;
    bus.emit("node.birth", { site: "site-a", node: "ctl-1", birth: birth() });
    await until(() => state().state === "switching");
    expect(state().begins).toBe(2);
    // nothing staged twice: the first chunk after the birth starts where the node stood
    const afterBirth = published.slice(published.findIndex((p, i) => i > 0 && p.a.n !== undefined) + 1);
    expect(afterBirth[0].a.o).toBe(had);
  });

  it("reports a rollback with the node's reason", async () => {
    await updates.start("site-a", "ctl-1", imageText("esp32", "0.4.0"));
    await until(() => state().state === "switching");
    bus.emit("node.birth", { site: "site-a", node: "ctl-1", birth: { ...birth(), upd: "restarts" } });
    expect(state()).toMatchObject({ state: "rolled-back", why: "restarts" });
  });

  it("one update at a time per node", async () => {
    await updates.start("site-a", "ctl-1", imageText("esp32", "0.4.0"));
    await expect(updates.start("site-a", "ctl-1", imageText("esp32", "0.4.0"))).rejects.toThrow(/being updated already/);
  });
});
