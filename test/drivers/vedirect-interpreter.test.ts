// The VE.Direct parser, decoder, HEX builders and port built through the firmware pipeline: the bundle must pass the
// interpreter check, and, where ESPRUINO_BIN is set, read a real capture on the real interpreter exactly as Node does
// and report the variables it uses (a Pico has 5,100: docs/espruino.md).
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { createVeDirectParser } from "../../firmware/drivers/vedirect";
import { decodeVeDirectBlock } from "../../firmware/drivers/vedirect-decode";
import { decodeHexFrame, decodeHexReply, hexGet, hexPing, hexSet } from "../../firmware/drivers/vedirect-hex";
import { bundleFirmwareProgram } from "../helpers/firmware-bundle";
import { runEspruino } from "../interpreter/espruino-bin";
import { needs } from "../helpers/prerequisites";

const CAPTURE = fileURLToPath(new URL("../fixtures/real/vedirect/bluesolar_1.23.dump", import.meta.url));

/** The same digest on both sides: a rolling hash over the JSON of every decoded frame (a HEX reply's bytes as a
 *  plain list: JSON of a Uint8Array differs between Node and the interpreter). */
const DIGEST =
  "function digest(h, s) { for (var i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) & 0xffffff; return h; }" +
  "function hexJson(r) { var o = {}; for (var k in r) o[k] = k === 'data' ? [].slice.call(r[k]) : r[k]; return JSON.stringify(o); }";

const ENTRY = `
import { openVeDirectPort } from "./drivers/vedirect-port";
import { decodeVeDirectBlock } from "./drivers/vedirect-decode";
import { decodeHexFrame, decodeHexReply, hexGet, hexPing, hexSet } from "./drivers/vedirect-hex";
${DIGEST}
var m0 = process.memory().usage;
var rx = null, h = 0, peak = 0, t = 0;
var port = openVeDirectPort(
  { setup: function (b, o) { console.log("SETUP " + b); }, write: function (d) {}, on: function (e, cb) { rx = cb; } },
  { seconds: function () { return t; } },
  function (f) { if (f) h = digest(h, JSON.stringify(decodeVeDirectBlock(f))); },
  function (x) { h = digest(h, hexJson(decodeHexReply(decodeHexFrame(x)))); }
);
var m1 = process.memory().usage;
var file = E.openFile(${JSON.stringify(CAPTURE)}, "r");
var s, t0 = getTime(), n = 0;
while ((s = file.read(64)) !== undefined && s.length) {
  t += 0.033; // 64 bytes at 19200 baud
  rx(s);
  n += s.length;
  var u = process.memory().usage;
  if (u > peak) peak = u;
}
var dt = getTime() - t0;
file.close();
console.log("RESULT " + JSON.stringify({ h: h, c: port.counters, q: port.poll(), vars: m1 - m0, peak: peak - m0,
  code: m0, bps: Math.round(n / dt), req: [hexPing(), hexGet(0xedf0), hexSet(0xedf2, 0, -1620, 2)] }));
var h2 = 0, rx2 = null;
var port2 = openVeDirectPort({ setup: function () {}, write: function () {}, on: function (e, cb) { rx2 = cb; } },
  { seconds: function () { return t; } }, function (f) { if (f) h2 = digest(h2, JSON.stringify(f)); });
var f2 = E.openFile("junk.dump", "r");
while ((s = f2.read(64)) !== undefined && s.length) rx2(s);
f2.close();
console.log("JUNK " + JSON.stringify({ h: h2, c: port2.counters }));
`;

/** Whole blocks after junk, built from the protocol document (as in vedirect-resync.test.ts): stray bytes at the
 *  start, the tail of a block, the end of a HEX frame, CR LF noise between blocks, a block whose end was lost. */
function junkStream(): string {
  const block = (fields: [string, string][]) => {
    let s = "";
    for (const [l, v] of fields) s += "\r\n" + l + "\t" + v;
    s += "\r\nChecksum\t";
    let sum = 0;
    for (let i = 0; i < s.length; i++) sum += s.charCodeAt(i);
    return s + String.fromCharCode((256 - (sum & 255)) & 255);
  };
  const b = (v: number) => block([["PID", "0xA053"], ["V", String(v)], ["I", "-350"], ["VPV", "36410"], ["CS", "3"], ["LOAD", "ON"]]);
  const hex = ":7F0ED009600DB\n";
  return "\x00\xff" + b(12800) + b(12801).substring(20) + b(12802) + hex.substring(4) + b(12803) + "x\r\ny" + b(12804) +
    b(12805).substring(0, 25) + b(12806) + hex + b(12807) + b(12808).substring(0, 30);
}


function nodeJunk(s: string) {
  const [digest] = new Function(DIGEST + "; return [digest];")() as [(h: number, s: string) => number];
  let h = 0;
  const p = createVeDirectParser((f) => (h = digest(h, JSON.stringify(f))));
  for (let i = 0; i < s.length; i += 64) p.push(s.substring(i, i + 64));
  return { h, c: p.counters };
}

function nodeSide() {
  const [digest, hexJson] = new Function(DIGEST + "; return [digest, hexJson];")() as [(h: number, s: string) => number, (r: unknown) => string];
  let h = 0;
  const p = createVeDirectParser(
    (f) => (h = digest(h, JSON.stringify(decodeVeDirectBlock(f!)))),
    (x) => (h = digest(h, hexJson(decodeHexReply(decodeHexFrame(x)!)))),
  );
  const s = readFileSync(CAPTURE).toString("latin1");
  for (let i = 0; i < s.length; i += 64) p.push(s.substring(i, i + 64));
  return { h, c: p.counters };
}

describe("VE.Direct driver through the firmware pipeline", () => {
  let code = "";
  beforeAll(async () => {
    code = await bundleFirmwareProgram(ENTRY);
  }, 120_000);

  it("bundles into code the interpreter check accepts", () => {
    expect(code.length).toBeGreaterThan(1000);
    expect(code).not.toMatch(/__extends|__spread|__assign|__rest/);
  });

  needs("espruino").it("reads bluesolar_1.23.dump, and whole blocks after junk, on the real interpreter exactly as Node does", () => {
    const dir = mkdtempSync(join(tmpdir(), "mg-vedirect-"));
    const file = join(dir, "vedirect.js");
    writeFileSync(file, code);
    const junk = junkStream();
    writeFileSync(join(dir, "junk.dump"), Buffer.from(junk, "latin1"));
    const r = runEspruino(file, dir, 120_000);
    expect(r.timedOut).toBe(false);
    const line = /RESULT (.*)/.exec(r.stdout);
    expect(line, r.stdout + r.stderr).not.toBeNull();
    const got = JSON.parse(line![1]);
    const want = nodeSide();
    expect(got.c).toEqual({ ...want.c });
    expect(got.c.blocks).toBe(248); // the capture's first byte is a stray: the whole block after it is taken
    expect(got.c.partialStart).toBe(1);
    // whole blocks after junk, on the board as on Node: all 6 whole blocks, each of the 4 runs of junk counted once
    const j = JSON.parse(/JUNK (.*)/.exec(r.stdout)![1]);
    const jw = nodeJunk(junk);
    expect(j.c).toEqual({ ...jw.c });
    expect(j.h).toBe(jw.h);
    expect(j.c.blocks).toBe(6);
    expect(j.c.framing).toBe(4);
    expect(j.c.partialStart).toBe(1);
    expect(got.c.hexFrames).toBe(7);
    expect(got.h).toBe(want.h);
    expect(got.q).toBe("o");
    expect(got.req).toEqual([hexPing(), hexGet(0xedf0), hexSet(0xedf2, 0, -1620, 2)]);
    expect(r.stdout).toContain("SETUP 19200");
    console.log(
      `VE.Direct on the interpreter: program ${code.length} bytes minified, ${got.code} variables loaded, ` +
        `port+parser ${got.vars}, peak while parsing ${got.peak}, ${got.bps} bytes/s (Linux x86)`,
    );
    expect(got.peak).toBeLessThan(600);
    expect(r.status).toBe(0);
  });
});
