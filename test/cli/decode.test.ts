import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { projectRoot } from "../../contracts/paths";

const cli = resolve(projectRoot, "bin/minigrid.mjs");
const fixture = (p: string) => resolve(projectRoot, "test/fixtures/real", p);
const decode = (...args: string[]) => spawnSync(process.execPath, [cli, "decode", ...args], { encoding: "utf8", timeout: 60_000 });

describe("minigrid decode on the real captures", () => {
  it("vedirect: one JSON line per frame: 247 text blocks and 7 HEX frames of the BlueSolar capture", () => {
    const r = decode("vedirect", fixture("vedirect/bluesolar_1.23.dump"));
    expect(r.status).toBe(0);
    const frames = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(frames.filter((f) => f.type === "text")).toHaveLength(247);
    expect(frames.length).toBe(254);
    expect(frames[0].values).toMatchObject({ battery_mV: 12530, pv_W: 8, serial: "HQ1411MYIKN" });
    expect(r.stderr).toContain("254 frames decoded, 0 rejected");
  });

  it("vedirect: the lossy monitor log is survived, and its rejects are summarised with reasons", () => {
    const r = decode("vedirect", fixture("vedirect/bmv702-lossy-monitor.txt"));
    expect(r.stderr).toMatch(/rejected/);
    expect(r.stderr).not.toMatch(/at .*\.ts:\d+/); // no stack trace
  });

  it("modbus: all 232 request/response pairs of the EPEver capture", () => {
    const r = decode("modbus", fixture("modbus/epsolar-tracer-pairs.json"));
    expect(r.status).toBe(0);
    const frames = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(frames).toHaveLength(464);
    expect(frames.filter((f) => f.dir === "request")).toHaveLength(232);
    expect(r.stderr).toContain("464 frames decoded, 0 rejected");
  });

  it("a missing file or kind is a usage error naming the fix", () => {
    const r = decode("canbus", "x");
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("expected: minigrid decode vedirect|modbus FILE");
  });
});
