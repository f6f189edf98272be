// The Modbus master, poller and EPEver map built through the firmware pipeline: the bundle must pass the
// interpreter check, and, where ESPRUINO_BIN is set, poll a scripted slave on the real interpreter with the
// same values as Node decodes, survive a silent slave, and report the variables it uses.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { epeverLive } from "../../firmware/drivers/maps/epever-tracer";
import { decodeBlocks, planReads } from "../../firmware/drivers/modbus-map";
import { SunSpecWalk, WALK_DONE } from "../../firmware/drivers/modbus-sunspec";
import { bundleFirmwareProgram } from "../helpers/firmware-bundle";
import { espruinoSkipReason, runEspruino } from "../interpreter/espruino-bin";

// Register a holds (a * 7) & 0xffff: every field gets a distinct, checkable value.
const reg = (a: number) => (a * 7) & 0xffff;
// SunSpec registers for the walk below: text pairs "Mg", scale factors -2 (at the SF offsets of 103), else a + 1.
const SUNSPEC_REGS = "a < 40070 ? 0x4d67 : [4, 11, 13, 15, 17, 19, 21, 24, 26, 28, 30, 35].indexOf(a - 40100) >= 0 ? 0xfffe : a + 1";
const sunspecReg = new Function("a", "return " + SUNSPEC_REGS) as (a: number) => number;

const ENTRY = `
import { ModbusMaster } from "./drivers/modbus-master";
import { ModbusPoller } from "./drivers/modbus-poll";
import { epeverLive } from "./drivers/maps/epever-tracer";
import { adu, parseRequest } from "./drivers/modbus-rtu";
import { SunSpecWalk } from "./drivers/modbus-sunspec";
import { planReads, decodeBlocks } from "./drivers/modbus-map";
var w = new SunSpecWalk();
w.feed([0x5375, 0x6e53]); w.feed([1, 66]); w.feed([120, 26]); w.feed([103, 50]); w.feed([0xffff, 0]);
var sun = [w.st, w.ids.join(",")];
for (var k = 0; k < w.maps.length; k++) {
  var p = planReads(w.maps[k]);
  var regs = [];
  for (var a = p[1]; a < p[1] + p[2]; a++) regs.push(${SUNSPEC_REGS});
  sun.push(decodeBlocks(w.maps[k], p, [regs]));
}
console.log("SUNSPEC " + JSON.stringify(sun));
var m0 = process.memory().usage;
var rx = null;
var silent = false;
var de = 0;
var port = {
  setup: function () {},
  on: function (ev, cb) { rx = cb; },
  write: function (data) {
    var s = "";
    for (var i = 0; i < data.length; i++) s += String.fromCharCode(data[i]);
    var q = parseRequest(s);
    var b = [q.s, q.f, q.q * 2];
    for (var a = q.a; a < q.a + q.q; a++) { var v = (a * 7) & 0xffff; b.push(v >> 8, v & 0xff); }
    var ans = adu(b);
    var t = "";
    for (var j = 0; j < ans.length; j++) t += String.fromCharCode(ans[j]);
    if (!silent) setTimeout(function () { rx(t.substr(0, 4)); setTimeout(function () { rx(t.substr(4)); }, 1); }, 5);
  }
};
var master = new ModbusMaster({ port: port, baud: 115200, clock: { seconds: function () { return getTime(); } },
  de: function (on) { if (on) de++; }, timeout_ms: 50, retries: 1 });
master.start();
var poller = new ModbusPoller(master, 1, epeverLive());
var m1 = process.memory().usage;
poller.poll(function (v, q) {
  console.log("RESULT " + JSON.stringify({ v: v, q: q, de: de, vars: m1 - m0, stats: master.stats(1) }));
  silent = true;
  poller.poll(function (v2, q2) {
    console.log("SILENT " + JSON.stringify({ pv: v2.pv_V, q: q2, stats: master.stats(1) }));
  });
});
`;

describe("Modbus driver through the firmware pipeline", () => {
  let code = "";
  beforeAll(async () => {
    code = await bundleFirmwareProgram(ENTRY);
  }, 120_000);

  it("bundles into code the interpreter check accepts", () => {
    expect(code.length).toBeGreaterThan(1000);
    expect(code).not.toMatch(/__extends|__spread|__assign/);
  });

  it.skipIf(espruinoSkipReason !== undefined)("polls the EPEver map on the real interpreter like Node, and survives silence", () => {
    const dir = mkdtempSync(join(tmpdir(), "mg-modbus-"));
    const file = join(dir, "modbus.js");
    writeFileSync(file, code);
    const r = runEspruino(file, dir);
    expect(r.timedOut).toBe(false);
    const line = /RESULT (.*)/.exec(r.stdout);
    expect(line, r.stdout).not.toBeNull();
    const got = JSON.parse(line![1]);
    const map = epeverLive();
    const plan = planReads(map);
    const blocks = [];
    for (let j = 0; j < plan.length; j += 3) blocks.push(Array.from({ length: plan[j + 2] }, (_, i) => reg(plan[j + 1] + i)));
    expect(got.v).toEqual(decodeBlocks(map, plan, blocks));
    expect(got.q).toBe(0);
    expect(got.de).toBe(plan.length / 3);
    expect(got.stats).toMatchObject({ ok: 7, quality: "ok" });
    console.log(`Modbus master + poller + EPEver map: ${got.vars} variables on the interpreter, ${code.length} bytes minified`);
    const silent = JSON.parse(/SILENT (.*)/.exec(r.stdout)![1]);
    expect(silent).toMatchObject({ pv: got.v.pv_V, q: 1, stats: { timeout: 2, failed: 1, quality: "stale" } });
    expect(r.status).toBe(0);
  });

  it.skipIf(espruinoSkipReason !== undefined)("walks a SunSpec chain and decodes text and scale factors on the real interpreter like Node", () => {
    const dir = mkdtempSync(join(tmpdir(), "mg-modbus-"));
    const file = join(dir, "modbus.js");
    writeFileSync(file, code);
    const r = runEspruino(file, dir);
    const sun = JSON.parse(/SUNSPEC (.*)/.exec(r.stdout)![1]);
    expect(sun.slice(0, 2)).toEqual([WALK_DONE, "1,120,103"]);
    const w = new SunSpecWalk();
    for (const v of [[0x5375, 0x6e53], [1, 66], [120, 26], [103, 50], [0xffff, 0]]) w.feed(v);
    const want = w.maps.map((m) => {
      const p = planReads(m);
      return decodeBlocks(m, p, [Array.from({ length: p[2] }, (_, i) => sunspecReg(p[1] + i))]);
    });
    expect(want[0].manufacturer).toBe("Mg".repeat(16));
    expect(want[1].ac_A).toBe(401.01); // register 40100 holds 40101, A_SF -2
    expect(sun.slice(2)).toEqual(want);
  });
});
