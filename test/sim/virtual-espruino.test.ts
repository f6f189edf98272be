import { mkdtempSync, writeFileSync, readFileSync } from "node:fs";
import { createServer, Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VirtualEspruino } from "../../sim/vm/espruino-vm";
import { findBoard } from "../../firmware/boards/index";
import { firmwareOutDir } from "../../contracts/paths";

const pico = findBoard("pico")!;
const linux = findBoard("linux")!;

function run(code: string, board = pico) {
  const esp = new VirtualEspruino({ board });
  esp.load(code);
  return esp;
}

describe("virtual Espruino: what the interpreter lacks is absent", () => {
  it.each([
    ["new Map()", "Map"],
    ["new Set()", "Set"],
    ["Symbol('x')", "Symbol"],
    ["Reflect.ownKeys({})", "Reflect"],
    ["Array.from([1])", "Array.from"],
    ["Object.freeze({})", "Object.freeze"],
    ["Math.trunc(1.5)", "Math.trunc"],
    ["Number.isInteger(1)", "Number.isInteger"],
    ["Promise.race([])", "Promise.race"],
    ["new TextEncoder()", "TextEncoder"],
    ["process.exit(1)", "process.exit"],
  ])("%s stops the program", (expr) => {
    const esp = run(`var x = ${expr};`);
    expect(esp.halted).toBeDefined();
    expect(esp.output.join("\n")).toMatch(/Uncaught/);
  });

  it("what it has still works", () => {
    const esp = run(
      "var a = [3,1,2].sort(); var u = new Uint8Array([1,2]); var d = new DataView(u.buffer);" +
        "console.log(a.join(','), d.getUint16(0, true), JSON.stringify({k: [1]}), 'ab'.padStart(4, '-'), [1,2].includes(2), Object.keys({q:1}).length);",
    );
    expect(esp.halted).toBeUndefined();
    expect(esp.output).toEqual(["1,2,3 513 {\"k\":[1]} --ab true 1"]);
  });
});

describe("virtual clock", () => {
  it("runs a day of one-second timers in order, in virtual time", async () => {
    const esp = run("var n = 0, last = -1, bad = 0; setInterval(function () { var t = getTime(); if (t <= last) bad++; last = t; n++; }, 1000);");
    await esp.runFor(86_400_000);
    const state = esp.memoryUsage();
    expect(state).toBeGreaterThan(0);
    expect(esp.output).toEqual([]);
    const esp2 = esp as unknown as { ctx: Record<string, number> };
    expect(esp2.ctx.n).toBe(86_400);
    expect(esp2.ctx.bad).toBe(0);
    expect(esp.getTime()).toBeCloseTo(86_400, 3);
  });

  it("setTimeout, clearTimeout, changeInterval and setTime behave as on the interpreter", async () => {
    const esp = run(
      "var log = [];" +
        "var a = setTimeout(function () { log.push('a'); }, 500);" +
        "setTimeout(function () { log.push('b'); }, 100);" +
        "clearTimeout(a);" +
        "var i = setInterval(function () { log.push('i' + Math.round(getTime())); }, 1000);" +
        "setTimeout(function () { changeInterval(i, 5000); setTime(1700000000); }, 2500);" +
        "setTimeout(function () { clearInterval(i); console.log(log.join(' '), new Date().getFullYear()); }, 9000);",
    );
    await esp.runFor(20_000);
    expect(esp.output).toEqual(["b i1 i2 i1700000005 2023"]);
  });

  it("an error in a timer callback is printed and the program goes on", async () => {
    const esp = run("var n = 0; setInterval(function () { n++; if (n === 2) throw new Error('boom'); }, 10); setTimeout(function () { console.log('n=' + n); }, 55);");
    await esp.runFor(100);
    expect(esp.uncaught).toHaveLength(1);
    expect(esp.uncaught[0]).toContain("boom");
    expect(esp.output).toContain("n=5");
  });
});

describe("peripherals", () => {
  it("Serial: the firmware's writes reach the device, the device's bytes reach the firmware", async () => {
    const esp = new VirtualEspruino({ board: pico });
    const line = esp.serial("Serial2").line();
    const seen: string[] = [];
    line.onFirmwareWrite((b) => {
      seen.push(b);
      line.schedule(5, () => line.sendToFirmware("\x00\xff" + b.toUpperCase()));
    });
    esp.load("Serial2.setup(19200); Serial2.on('data', function (d) { console.log(d.length, d.charCodeAt(1), d.substr(2)); }); Serial2.write('ping', [10]);");
    await esp.runFor(100);
    expect(seen).toEqual(["ping\n"]);
    expect(esp.output).toEqual(["7 255 PING\n"]);
    expect(esp.serial("Serial2").baud).toBe(19200);
  });

  it("software Serial binds to the line named by its rx pin", async () => {
    const esp = new VirtualEspruino({ board: pico });
    esp.load("var s = new Serial(); s.setup(19200, {rx: A1, tx: A0}); s.on('data', function (d) { console.log('got ' + d); });");
    esp.serial("soft:A1").line().sendToFirmware("hello");
    await esp.runFor(10);
    expect(esp.output).toEqual(["got hello"]);
  });

  it("I2C: a present device answers, an absent one throws inside the firmware", async () => {
    const esp = new VirtualEspruino({ board: pico });
    let pointer = 0;
    esp.i2c.attach({ address: 0x40, write: (b) => { pointer = b[0]; }, read: (n) => Array.from({ length: n }, (_, i) => pointer + i) });
    esp.load(
      "I2C1.setup({scl: B8, sda: B9}); I2C1.writeTo(0x40, 0xfe); var r = I2C1.readFrom(0x40, 2);" +
        "var err = ''; try { I2C1.readFrom(0x45, 2); } catch (e) { err = e.message; }" +
        "console.log(r instanceof Uint8Array, r[0], r[1], err);",
    );
    expect(esp.output[0]).toBe("true 254 255 I2C Error: no ACK from address 0x45");
  });

  it("pins: digitalWrite, digitalRead and analogRead against a source on the virtual clock", async () => {
    const esp = new VirtualEspruino({ board: pico });
    esp.pins.setAnalog("A5", (t) => 0.5 + 0.25 * Math.sign(Math.sin(2 * Math.PI * t)));
    esp.load("digitalWrite(B5, 1); B5.reset(); LED2.set(); setTimeout(function () { console.log(digitalRead(LED2), analogRead(A5)); }, 250);");
    await esp.runFor(300);
    expect(esp.pins.pin("B5").writes).toBe(2);
    expect(esp.pins.pin("B5").level).toBe(0);
    expect(esp.output).toEqual(["1 0.75"]);
  });

  it("E.CRC32 is the standard CRC-32", () => {
    const esp = run("console.log(E.CRC32('123456789').toString(16));");
    expect(esp.output).toEqual(["cbf43926"]);
  });
});

describe("resets: flash is kept, the program starts again", () => {
  const bootCounter =
    "var S = require('Storage'); var n = (S.readJSON('boot', true) || {n: 0}).n + 1; S.writeJSON('boot', {n: n}); console.log('boot ' + n);";

  it("E.reboot reloads the program with flash kept", async () => {
    const esp = run(bootCounter + "if (n < 3) setTimeout(function () { E.reboot(); }, 1000);");
    await esp.runFor(10_000);
    expect(esp.output).toEqual(["boot 1", "boot 2", "boot 3"]);
    expect(esp.resets).toEqual(["power-on", "reboot", "reboot"]);
  });

  it("a watchdog that is not kicked resets the board", async () => {
    const esp = run(bootCounter + "E.enableWatchdog(5, false); if (n === 1) setInterval(function () {}, 1000); else setInterval(function () { E.kickWatchdog(); }, 1000);");
    await esp.runFor(60_000);
    expect(esp.resets).toEqual(["power-on", "watchdog"]);
  });

  it("a power cut restarts uptime and the clock; E.on('init') runs after load", async () => {
    const esp = run(bootCounter + "E.on('init', function () { console.log('init ' + Math.round(getTime())); }); setTime(1000);");
    await esp.runFor(5000);
    esp.powerCut();
    await esp.runFor(5000);
    expect(esp.output).toEqual(["boot 1", "init 1000", "boot 2", "init 1000"]);
    expect(esp.resets).toEqual(["power-on", "power-cut"]);
    expect(esp.getTime()).toBeCloseTo(1005, 3);
  });
});

describe("require('net') reaches real TCP", () => {
  let server: Server;
  let port = 0;
  beforeAll(async () => {
    server = createServer((s) => s.on("data", (d) => s.write(Buffer.concat([Buffer.from("echo:"), d]))));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it("connects, writes binary bytes and gets the reply before virtual time moves on", async () => {
    const esp = new VirtualEspruino({ board: pico });
    esp.load(
      `var t0 = getTime(); var c = require('net').connect({host: '127.0.0.1', port: ${port}}, function () {` +
        "c.on('data', function (d) { console.log(d.substr(0, 5), d.charCodeAt(5), d.charCodeAt(6), (getTime() - t0) < 0.01); c.end(); });" +
        "c.write('\\x10\\xff'); });" +
        "c.on('close', function () { console.log('closed'); });",
    );
    await esp.runFor(1000);
    expect(esp.output).toEqual(["echo: 16 255 true", "closed"]);
    expect(esp.net.stats.bytesOut).toBe(2);
  });

  it("with the link down, connect fails with an error and a close", async () => {
    const esp = new VirtualEspruino({ board: pico });
    esp.net.setLinkUp(false);
    esp.load(`var c = require('net').connect({host: '127.0.0.1', port: ${port}}, function () { console.log('connected'); }); c.on('error', function (e) { console.log('error ' + e.message); }); c.on('close', function () { console.log('close'); });`);
    await esp.runFor(100);
    expect(esp.output).toEqual(["error Network link down", "close"]);
  });
});

describe("the built firmware runs in the virtual Espruino", () => {
  it("linux: the self-test passes and the program quits", async () => {
    const workDir = mkdtempSync(join(tmpdir(), "mg-vm-"));
    writeFileSync(join(workDir, "minigrid.json"), JSON.stringify({ site: "s1", node: "n1", selfTest: true }));
    const esp = new VirtualEspruino({ board: linux, workDir });
    esp.loadFile(join(firmwareOutDir, "linux.js"));
    await esp.runFor(1000);
    expect(esp.output.join("\n")).toMatch(/SELFTEST OK passed=\d+ failed=0/);
    expect(esp.halted).toBe("quit()");
  });

  it("pico: the minified and the debug build both start", async () => {
    for (const file of ["pico.js", "pico.debug.js"]) {
      const esp = new VirtualEspruino({ board: pico });
      esp.loadFile(join(firmwareOutDir, file));
      await esp.runFor(1000);
      expect(esp.halted, file).toBeUndefined();
      // without settings there is no net section: the board says so, then starts without a network
      expect(esp.output.slice(0, 2), file).toEqual(["no net in the settings: no network", expect.stringMatching(/^minigrid [\d.]+ pico /)]);
      expect(readFileSync(join(firmwareOutDir, file), "utf8").length).toBeGreaterThan(0);
    }
  });
});
