import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CommandService } from "../../gateway/commands/service";
import type { Store } from "../../gateway/storage/store";
import type { EventBus } from "../../gateway/events";
import { makeStore, T0 } from "./api-fixture";

let store: Store;
let bus: EventBus;
let svc: CommandService;
let sent: { topic: string; payload: string; opts: { qos: 0 | 1; retain: boolean } }[];

beforeEach(() => {
  ({ store, bus } = makeStore());
  store.saveBirth("site-a", "ctl-2", { v: 1, fw: "1", bd: "pico", boot: 1, rr: "", cfh: 0, cfg: {}, clk: 1, up: 1, ch: [[1, "battery_V", "mean", 3]] }, T0);
  sent = [];
  svc = new CommandService({ db: store.db, bus, publish: async (topic, payload, opts) => void sent.push({ topic, payload, opts }), now: () => T0 });
  svc.start();
});

afterEach(() => {
  svc.stop();
  store.close();
});

describe("command service", () => {
  it("stores the command, publishes {id, c, x, a} and records the ack from the bus", async () => {
    const rec = await svc.send("site-a", "ctl-1", "cfg", { report_s: 30 }, 90);
    expect(rec).toMatchObject({ site: "site-a", node: "ctl-1", name: "cfg", args: { report_s: 30 }, created_at: T0, expires_at: T0 + 90_000, state: "pending" });
    expect(sent).toEqual([{ topic: "mg/v1/site-a/ctl-1/cmd", payload: JSON.stringify({ id: rec.id, c: "cfg", x: T0 / 1000 + 90, a: { report_s: 30 } }), opts: { qos: 1, retain: false } }]);
    bus.emit("node.ack", { site: "site-a", node: "ctl-1", ack: { id: rec.id, ok: false, r: "unknown setting zz" } });
    expect(svc.get(rec.id)).toMatchObject({ state: "failed", ok: false, result: "unknown setting zz", acked_at: T0 });
    // a second answer does not overwrite the first
    bus.emit("node.ack", { site: "site-a", node: "ctl-1", ack: { id: rec.id, ok: true } });
    expect(svc.get(rec.id)!.ok).toBe(false);
  });
  it("acks with an unknown id or from another node are counted and change nothing", async () => {
    const rec = await svc.send("site-a", "ctl-1", "reboot", undefined);
    bus.emit("node.ack", { site: "site-a", node: "ctl-1", ack: { id: "nope", ok: true } });
    bus.emit("node.ack", { site: "site-a", node: "ctl-2", ack: { id: rec.id, ok: true } });
    expect(svc.unknownAcks).toBe(2);
    expect(svc.get(rec.id)!.state).toBe("pending");
  });
  it("an ack the gateway's ingest already wrote to the store counts as recorded", async () => {
    const rec = await svc.send("site-a", "ctl-1", "reboot", undefined);
    store.ackCommand("site-a", "ctl-1", rec.id, true, null, T0 + 5);
    bus.emit("node.ack", { site: "site-a", node: "ctl-1", ack: { id: rec.id, ok: true } });
    expect(svc.unknownAcks).toBe(0);
    expect(svc.get(rec.id)!.state).toBe("ok");
  });
  it("refuses commands the contract does not know, and bad lifetimes", async () => {
    await expect(svc.send("site-a", "ctl-1", "format", undefined)).rejects.toThrow(/unknown command/);
    await expect(svc.send("site-a", "ctl-1", "reboot", undefined, 0)).rejects.toThrow(/ttl_s/);
    expect(sent).toEqual([]);
  });
  it("desired config replaces the previous one and is published retained", async () => {
    await svc.setDesiredConfig("site-a", "ctl-1", { report_s: 60 });
    await svc.setDesiredConfig("site-a", "ctl-1", { report_s: 30 });
    expect(svc.getDesiredConfig("site-a", "ctl-1")).toEqual({ site: "site-a", node: "ctl-1", config: { report_s: 30 }, updated_at: T0 });
    expect(sent.map((s) => [s.topic, s.payload, s.opts.retain])).toEqual([
      ["mg/v1/site-a/ctl-1/cfg", '{"report_s":60}', true],
      ["mg/v1/site-a/ctl-1/cfg", '{"report_s":30}', true],
    ]);
  });
});
