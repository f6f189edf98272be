import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { projectRoot } from "../../contracts/paths";

const cli = resolve(projectRoot, "bin/minigrid.mjs");
const fixture = (p: string) => resolve(projectRoot, "test/fixtures/real", p);
const decode = (...args: string[]) => spawnSync(process.execPath, [cli, "decode", ...args], { encoding: "utf8", timeout: 60_000 });

describe("minigrid decode on the real captures", () => {
  it("vedirect: one JSON line per frame: 248 text blocks and 7 HEX frames of the BlueSolar capture", () => {
    const r = decode("vedirect", fixture("vedirect/bluesolar_1.23.dump"));
    expect(r.status).toBe(0);
    const frames = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(frames.filter((f) => f.type === "text")).toHaveLength(248);
    expect(frames.length).toBe(255);
    expect(frames[0].values).toMatchObject({ battery_mV: 12530, pv_W: 8, serial: "HQ1411MYIKN" });
    expect(r.stderr).toContain("255 frames decoded, 0 rejected");
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

describe("minigrid decode as a technician uses it", () => {
  const tmp = mkdtempSync(join(tmpdir(), "mg-decode-"));
  const file = (name: string, bytes: Buffer | string) => {
    const p = join(tmp, name);
    writeFileSync(p, bytes);
    return p;
  };

  it("`| head` ends quietly: no EPIPE, no stack trace, status 0", () => {
    const big = readFileSync(fixture("vedirect/bvm702.dump"));
    const p = file("long.dump", Buffer.concat([big, big, big, big]));
    const r = spawnSync("bash", ["-c", `'${process.execPath}' '${cli}' decode vedirect '${p}' | head -n 3`], { encoding: "utf8", timeout: 60_000 });
    expect(r.stdout.split("\n").filter((l) => l.startsWith("{"))).toHaveLength(3);
    expect(r.stderr).not.toMatch(/EPIPE|Error|at .*:\d+/);
    const s = spawnSync("bash", ["-c", `'${process.execPath}' '${cli}' decode vedirect '${p}' | head -n 1 >/dev/null; echo \${PIPESTATUS[0]}`], { encoding: "utf8", timeout: 60_000 });
    expect(s.stdout.trim()).toBe("0");
    expect(s.stderr).toBe("");
  });

  it("a Modbus capture given to vedirect says so once; a VE.Direct capture given to modbus too", () => {
    const v = decode("vedirect", fixture("modbus/epsolar-tracer-pairs.json"));
    expect(v.status).toBe(1);
    expect(v.stderr.trim().split("\n")).toEqual([expect.stringMatching(/^no VE\.Direct frames found in \d+ bytes: is this a Modbus capture\?/), expect.stringMatching(/^0 frames decoded, \d+ rejected$/)]);
    const log = file("sniff.txt", "12:00:01.100 TX: 01 04 31 00 00 02 7f 37\r\n12:00:01.120 RX: 01 04 04 0e 39 00 78 29 43\r\n");
    expect(decode("vedirect", log).stderr).toMatch(/is this a Modbus capture\?/);
    const m = decode("modbus", fixture("vedirect/bvm702.dump"));
    expect(m.status).toBe(1);
    expect(m.stderr.match(/no Modbus frames found/g)).toHaveLength(1);
    expect(m.stderr).not.toMatch(/[\x00-\x08\x0e-\x1f\x7f-\xff]/);
  });

  it("an empty file says it is empty", () => {
    for (const kind of ["vedirect", "modbus"]) {
      const r = decode(kind, file("empty.bin", ""));
      expect(r.status).toBe(1);
      expect(r.stderr.trim()).toBe(`${join(tmp, "empty.bin")} is empty: there is no capture in it`);
      expect(r.stdout).toBe("");
    }
  });

  it("a binary file's bytes are never echoed to the terminal", () => {
    const junk = Buffer.from(Array.from({ length: 2000 }, (_, i) => (i * 131 + 7) & 0xff));
    const withText = Buffer.concat([junk, Buffer.from("\n01 04 \x1b[2J\x07 zz\n", "latin1"), junk]);
    for (const kind of ["vedirect", "modbus"]) {
      for (const bytes of [junk, withText]) {
        const r = decode(kind, file("junk.bin", bytes));
        expect(r.stderr + r.stdout).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\xff]/);
        expect(r.stderr.length).toBeLessThan(2000);
      }
    }
  });
});
