// The Modbus master, poller and EPEver map built through the firmware pipeline: the bundle must pass the
// interpreter check, and, where ESPRUINO_BIN is set, poll a scripted slave on the real interpreter with the
// same values as Node decodes, survive a silent slave, and report the variables it uses.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { EPEVER_TRACER } from "../../firmware/drivers/maps/epever-tracer";
import { decodeBlocks, planReads } from "../../firmware/drivers/modbus-map";
import { RETRIES, startModbusReader } from "../../firmware/drivers/modbus-reader";
import { adu, parseRequest } from "../../firmware/drivers/modbus-rtu";
import type { SerialLine } from "../../sim/devices/types";
import { VirtualBus } from "../sim/modbus-bus";
import { bytesToBin } from "./modbus-fixture";
import { SunSpecWalk, WALK_DONE } from "../../firmware/drivers/modbus-sunspec";
import { bundleFirmwareProgram } from "../helpers/firmware-bundle";
import { runEspruino } from "../interpreter/espruino-bin";
import { needs } from "../helpers/prerequisites";

// Register a holds (a * 7) & 0xffff: every field gets a distinct, checkable value.
const reg = (a: number) => (a * 7) & 0xffff;
// SunSpec registers for the walk below: text pairs "Mg", scale factors -2 (at the SF offsets of 103), else a + 1.
const SUNSPEC_REGS = "a < 40070 ? 0x4d67 : [4, 11, 13, 15, 17, 19, 21, 24, 26, 28, 30, 35].indexOf(a - 40100) >= 0 ? 0xfffe : a + 1";
const sunspecReg = new Function("a", "return " + SUNSPEC_REGS) as (a: number) => number;

const ENTRY = `
import { startModbusReader } from "./drivers/modbus-reader";
import { EPEVER_TRACER } from "./drivers/maps/epever-tracer";
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
    var q = parseRequest(data); // the reader writes its request as a binary string, as Serial.write takes it
    var b = [q.s, q.f, q.q * 2];
    for (var a = q.a; a < q.a + q.q; a++) { var v = (a * 7) & 0xffff; b.push(v >> 8, v & 0xff); }
    var ans = adu(b);
    var t = "";
    for (var j = 0; j < ans.length; j++) t += String.fromCharCode(ans[j]);
    if (!silent) setTimeout(function () { rx(t.substr(0, 4)); setTimeout(function () { rx(t.substr(4)); }, 1); }, 5);
  }
};
var got = {};
var done = null;
var reader = startModbusReader(port, 115200, function (on) { if (on) de++; }, 1, EPEVER_TRACER,
  { seconds: function () { return getTime(); } }, function (k, v, q) {
    got[k] = v;
    if (k === "battery_W") { var g = got; got = {}; done(g, q); } // the last quantity of a poll with the battery
  }, setTimeout, clearTimeout);
var m1 = process.memory().usage;
done = function (v, q) {
  console.log("RESULT " + JSON.stringify({ v: v, q: q, de: de, vars: m1 - m0, ok: reader.c[0], retries: reader.c[10] }));
  silent = true;
  done = function (v2, q2) {
    console.log("SILENT " + JSON.stringify({ pv: v2.pv_V, q: q2, timeout: reader.c[8], failed: reader.c[9], inUse: process.memory().usage }));
  };
  setTimeout(function () { reader.poll(true); }, 10);
};
reader.poll(true);
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

  needs("espruino").it("polls the EPEver map on the real interpreter like Node, and survives silence", () => {
    const dir = mkdtempSync(join(tmpdir(), "mg-modbus-"));
    const file = join(dir, "modbus.js");
    writeFileSync(file, code);
    const r = runEspruino(file, dir);
    expect(r.timedOut).toBe(false);
    const line = /RESULT (.*)/.exec(r.stdout);
    expect(line, r.stdout).not.toBeNull();
    const got = JSON.parse(line![1]);
    // The same reader in Node against the same register bank
    const bus = new VirtualBus();
    bus.attach({
      attach: (l: SerialLine) => l.onFirmwareWrite((req) => {
        const q = parseRequest(req);
        const b = [q.s, q.f, q.q * 2];
        for (let a = q.a; a < q.a + q.q; a++) b.push(reg(a) >> 8, reg(a) & 0xff);
        l.schedule(5, () => l.sendToFirmware(bytesToBin(adu(b))));
      }),
    });
    const want: { [k: string]: number | null } = {};
    const reader = startModbusReader(bus.port, 115200, bus.setDriverEnable, 1, EPEVER_TRACER, bus.clock, (k, v) => (want[k] = v), bus.setTimer, bus.clearTimer);
    reader.poll(true);
    bus.run(1000);
    expect(want.pv_V).toBe(reg(0x3100) / 100);
    expect(got.v).toEqual(want);
    expect(got.q).toBe("o");
    // five contiguous runs of registers, five requests; on a loaded host the timer that delivers the second
    // chunk may run after the silence timer: the request is then retried, and counted as such
    expect(got.ok).toBe(5);
    expect(got.de).toBe(5 + got.retries);
    const silent = JSON.parse(/SILENT (.*)/.exec(r.stdout)![1]);
    console.log(`Modbus reader + EPEver map: ${got.vars} variables to start, ${silent.inUse} in use by the whole test program after two polls, ${code.length} bytes minified`);
    expect(silent).toMatchObject({ pv: got.v.pv_V, q: "s", timeout: RETRIES + 1, failed: 1 });
    expect(r.status).toBe(0);
  });

  needs("espruino").it("walks a SunSpec chain and decodes text and scale factors on the real interpreter like Node", () => {
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
