// `minigrid node ...` against a running API: the command reaches the publish function, the node's ack (on the bus)
// completes it, and the CLI reports it.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { startApi, RunningApi } from "../../gateway/api/server";
import { nodeCommand } from "../../cli/commands/node";
import { parseSettings } from "../../gateway/commands/client";
import { UsageError } from "../../cli/command";
import type { Store } from "../../gateway/storage/store";
import type { EventBus } from "../../gateway/events";
import { makeStore } from "./api-fixture";
import { captureConsole } from "../helpers/console-capture";

let store: Store;
let bus: EventBus;
let api: RunningApi;
let published: { topic: string; payload: any; retain: boolean }[];
let out: string[];
let err: string[];
let answer: ((cmd: any) => { ok: boolean; r?: any } | undefined) | undefined;

beforeEach(async () => {
  ({ store, bus } = makeStore());
  published = [];
  answer = undefined;
  api = await startApi({
    store,
    bus,
    config: { port: 0, token: "tok", requireToken: true },
    publish: (topic, payload, opts) => {
      const p = JSON.parse(payload);
      published.push({ topic, payload: p, retain: opts.retain });
      const a = topic.endsWith("/cmd") ? answer?.(p) : undefined;
      // the node answers a moment later, as over MQTT
      if (a) setTimeout(() => bus.emit("node.ack", { site: "site-a", node: "ctl-1", ack: { id: p.id, ...a } }), 20);
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

function run(...argv: string[]): Promise<number> {
  const values: Record<string, string | boolean> = { url: `http://127.0.0.1:${api.port}`, token: "tok" };
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i].startsWith("--")) {
      const k = argv[i].slice(2);
      if (k === "json" || k === "replace") values[k] = true;
      else values[k] = argv[++i];
    } else positionals.push(argv[i]);
  }
  return nodeCommand.run(values, positionals);
}

describe("minigrid node", () => {
  it("reboot: sends the command and reports the node's answer", async () => {
    answer = () => ({ ok: true });
    expect(await run("reboot", "site-a", "ctl-1", "--wait", "5")).toBe(0);
    expect(published).toEqual([{ topic: "mg/v1/site-a/ctl-1/cmd", payload: expect.objectContaining({ c: "reboot" }), retain: false }]);
    expect(out.join("\n")).toMatch(/reboot [0-9a-f]{10}: done/);
  });
  it("resend FROM TO: the node's result is shown; a refusal exits 1", async () => {
    answer = (c) => ({ ok: true, r: { queued: c.a.to - c.a.from + 1 } });
    expect(await run("resend", "site-a", "ctl-1", "3", "7", "--json")).toBe(0);
    expect(published[0].payload.a).toEqual({ from: 3, to: 7 });
    expect(JSON.parse(out[0])).toMatchObject({ state: "ok", result: { queued: 5 } });
    answer = () => ({ ok: false, r: "busy" });
    expect(await run("resend", "site-a", "ctl-1", "1", "2")).toBe(1);
    expect(out[1]).toContain('refused by the node "busy"');
  });
  it("without an answer it says the command is pending, and does not wait with --wait 0", async () => {
    expect(await run("reboot", "site-a", "ctl-1", "--wait", "0")).toBe(0);
    expect(out[0]).toContain("no answer yet");
  });
  it("config: merges key=value settings into the retained desired config", async () => {
    expect(await run("config", "site-a", "ctl-1", "report_s=30", "off=[22,23]")).toBe(0);
    expect(await run("config", "site-a", "ctl-1", "sample_s=5")).toBe(0);
    const last = published[published.length - 1];
    expect(last).toEqual({ topic: "mg/v1/site-a/ctl-1/cfg", payload: { report_s: 30, off: [22, 23], sample_s: 5 }, retain: true });
    expect(await run("config", "site-a", "ctl-1", "rows=10", "--replace")).toBe(0);
    expect(published[published.length - 1].payload).toEqual({ rows: 10 });
  });
  it("config: an invalid one is refused with every reason and nothing is published (report_s=-5)", async () => {
    expect(await run("config", "site-a", "ctl-1", "report_s=-5", "site=other")).toBe(1);
    expect(published).toEqual([]);
    expect(err[0]).toBe(
      "minigrid node config: the gateway refused the configuration of site-a/ctl-1; nothing was published:\n" +
        "  site: is the node's identity, which a cfg cannot change; write it to the node with minigrid provision\n" +
        "  report_s: must be a whole number of seconds 1..86400, e.g. 60 (got -5)",
    );
  });
  it("config: a broker password goes to the gateway but is never printed", async () => {
    const broker = '{"host":"10.0.0.2","port":1883,"user":"u","pass":"hunter2-secret"}';
    expect(await run("config", "site-a", "ctl-1", `broker=${broker}`)).toBe(0);
    expect(published[0].payload.broker.pass).toBe("hunter2-secret");
    expect(await run("config", "site-a", "ctl-1", "rows=2", "--json")).toBe(0);
    expect(out.join("\n")).not.toContain("hunter2-secret");
    expect(out[0]).toContain('"pass":"********"');
  });
  it("usage errors name what is missing; API errors are printed, with a hint for the token", async () => {
    await expect(run("resend", "site-a", "ctl-1", "3")).rejects.toThrow(UsageError);
    await expect(run("resend", "site-a", "ctl-1", "x", "4")).rejects.toThrow(/FROM must be a whole number/);
    await expect(run("explode", "site-a", "ctl-1")).rejects.toThrow(/unknown subcommand/);
    await expect(run("config", "site-a", "ctl-1", "novalue")).rejects.toThrow(/not key=value/);
    expect(await run("reboot", "site-a", "ghost")).toBe(1);
    expect(err[0]).toContain("no node ghost");
    expect(await run("reboot", "site-a", "ctl-1", "--token", "bad")).toBe(1);
    expect(err[1]).toContain("MINIGRID_API_TOKEN");
  });
  it("help for one subcommand", async () => {
    expect(await run("help", "resend")).toBe(0);
    expect(out[0]).toContain("minigrid node resend SITE NODE FROM TO");
    expect(out[0]).not.toContain("minigrid node reboot");
    expect(nodeCommand.usage).toContain("minigrid node config SITE NODE key=value");
  });
  it("parseSettings takes JSON values where they parse", () => {
    expect(parseSettings(["a=1", "b=true", "c=text", "d=[1]", "e="])).toEqual({ a: 1, b: true, c: "text", d: [1], e: "" });
  });
});
