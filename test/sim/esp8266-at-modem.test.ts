// The ESP8266 AT driver built through the firmware pipeline and run in the virtual Espruino on the Pico-with-ESP8266
// board (Serial2, enable on A10), against the AT firmware model, whose TCP connection goes through the virtual
// Espruino's net bridge to a real echo server in this process: joins (DHCP, a static address), every join fault
// with its reason, bytes of every value carried both ways through AT+CIPSEND and +IPD, a link lost in the middle
// of a send and joined again, a module that resets, a module that has gone silent.
import { createServer, AddressInfo, Server, Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findBoard } from "../../firmware/boards/index";
import { AccessPoint, Esp8266AtModem, Esp8266AtModemOptions } from "../../sim/devices/esp8266-at-modem";
import { VirtualEspruino } from "../../sim/vm/espruino-vm";
import { bundleFirmwareProgram } from "../helpers/firmware-bundle";

const PROGRAM = `
import { esp8266Link } from "./net/esp8266-at";
L = esp8266Link(NET, { esp8266: { serial: "Serial2", enable: "A10" } }, { serial: function () { return Serial2; }, pin: function () { return A10; }, digitalWrite: digitalWrite });
L.watch(function (why) { console.log("lost " + why); });
J = function () {
  var at = getTime();
  L.join(function (e) { console.log("join " + (e || "ok") + " " + Math.round((getTime() - at) * 1000)); });
};
C = function (port) {
  GOT = "";
  S = L.connect({ host: "127.0.0.1", port: port }, function () { console.log("open"); });
  S.on("data", function (d) { GOT += d; });
  S.on("close", function () { console.log("close"); });
};
BYTES = function (n) {
  var s = "";
  for (var i = 0; i < n; i++) s += String.fromCharCode((i * 7 + (i >> 8)) & 255);
  return s;
};
`;

const AP: AccessPoint = { ssid: "kisumu-1", pass: 'se"cr,et\\', rssi: -61 };
const NET = { kind: "wifi", ssid: AP.ssid, pass: AP.pass };

function bytes(n: number): string {
  let s = "";
  for (let i = 0; i < n; i++) s += String.fromCharCode((i * 7 + (i >> 8)) & 255);
  return s;
}

let program = "";
let echo: Server;
let echoPort = 0;
/** What the echo server received, per connection, and how many connections it has seen end. */
const received: string[] = [];
let ended = 0;
const sockets: Socket[] = [];

beforeAll(async () => {
  program = await bundleFirmwareProgram(PROGRAM);
  echo = createServer((s: Socket) => {
    sockets.push(s);
    const i = received.push("") - 1;
    s.on("data", (d) => {
      received[i] += d.toString("latin1");
      s.write(d);
    });
    s.on("end", () => {
      ended++;
      s.end();
    });
    s.on("error", () => {});
  });
  await new Promise<void>((r) => echo.listen(0, "127.0.0.1", r));
  echoPort = (echo.address() as AddressInfo).port;
}, 120_000);

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((r) => echo.close(() => r()));
});

function board(net: object = NET, o: Partial<Esp8266AtModemOptions> = {}) {
  const esp = new VirtualEspruino({ board: findBoard("pico-esp8266")! });
  const modem = new Esp8266AtModem({ connect: esp.net.firmwareModule().connect, ap: { ...AP }, ...o });
  modem.attach(esp.serial("Serial2").line());
  modem.attachEnable(esp.pins.pin("A10"));
  esp.load(`var NET = ${JSON.stringify(net)};\n` + program);
  const lines = (prefix: string) => esp.output.filter((l) => l.startsWith(prefix));
  /** Runs virtual time in slices (letting real sockets answer) until `cond` or `maxMs` of virtual time. */
  const until = async (cond: () => boolean, maxMs = 30_000) => {
    for (let t = 0; t < maxMs && !cond(); t += 50) {
      await esp.runFor(50);
      await new Promise((r) => setImmediate(r));
    }
    return cond();
  };
  const join = async () => {
    const n = lines("join ").length;
    esp.evaluate("J()");
    await until(() => lines("join ").length > n, 60_000);
    const [, result, ms] = /^join (.*) (\d+)$/.exec(lines("join ")[n])!;
    return { result, ms: +ms };
  };
  return { esp, modem, lines, until, join };
}

describe("ESP8266 AT driver in the virtual Espruino against the AT firmware model", () => {
  it("stays small: driver and harness minify to under 3.4 KB", () => {
    // Measured at this commit: 3,320 bytes; the harness, which hands the driver a board and its hardware, is about
    // 600 of them.
    expect(program).toContain("AT+CIPSEND=");
    expect(program.length).toBeLessThan(3400);
  });

  it("joins with DHCP after a power cycle through the enable pin, and reads the signal", async () => {
    const b = board();
    const j = await b.join();
    expect(j.result).toBe("ok");
    expect(b.modem.stats.boots).toBe(1); // the enable pin went low, then high: one start
    expect(b.modem.online).toBe(true);
    expect(b.modem.address).toBe("192.168.4.23");
    expect(b.modem.stats.commands).toEqual(["ATE0", "AT+CWMODE=1", "AT+CIPMUX=0", "AT+CWDHCP=1,1", 'AT+CWJAP="kisumu-1","se\\"cr\\,et\\\\"']);
    // off for 50 ms, 0.4 s for the module to start and say "ready", 1.5 s to associate, 0.3 s of DHCP
    expect(j.ms).toBeGreaterThanOrEqual(2250);
    expect(j.ms).toBeLessThan(2400);
    b.esp.evaluate('L.rssi(function (d) { console.log("rssi " + d); })');
    await b.until(() => b.lines("rssi ").length > 0);
    expect(b.lines("rssi ")).toEqual(["rssi -61"]);
    expect(b.esp.uncaught).toEqual([]);
  });

  it("takes a static address, with its gateway and netmask, instead of DHCP", async () => {
    const b = board({ ...NET, ip: "192.168.4.50", gw: "192.168.4.1", mask: "255.255.255.0" }, { dhcpMs: 60_000 });
    const j = await b.join();
    expect(j.result).toBe("ok"); // no DHCP server would have answered in time
    expect(b.modem.stats.commands).toContain('AT+CIPSTA="192.168.4.50","192.168.4.1","255.255.255.0"');
    expect(b.modem.stats.commands).not.toContain("AT+CWDHCP=1,1");
    expect(b.modem.address).toBe("192.168.4.50");
  });

  it("names why a join failed: wrong password, no access point, timeout, module not answering", async () => {
    const wrong = board({ ...NET, pass: "nope" });
    expect((await wrong.join()).result).toBe("wrong password");
    expect(wrong.modem.online).toBe(false);

    const none = board(NET, { ap: null });
    expect((await none.join()).result).toBe("no access point");
    const other = board({ ...NET, ssid: "elsewhere" });
    expect((await other.join()).result).toBe("no access point");

    // DHCP that answers after the module's own 15 s limit on AT+CWJAP: +CWJAP:1
    const slow = board(NET, { dhcpMs: 20_000 });
    const s = await slow.join();
    expect(s.result).toBe("timeout");
    expect(s.ms).toBeGreaterThanOrEqual(15_000); // the module gives up 15 s after AT+CWJAP

    const mute = board();
    mute.modem.silent = true;
    const m = await mute.join();
    expect(m.result).toBe("module not answering");
    expect(m.ms).toBeGreaterThanOrEqual(10_000); // 5 s without "ready", 5 s without an answer to ATE0
    for (const b of [wrong, none, other, slow, mute]) expect(b.lines("lost ")).toEqual([]);
  });

  it("waits for a slow DHCP server: WIFI CONNECTED long before WIFI GOT IP", async () => {
    const b = board(NET, { dhcpMs: 9000 });
    const j = await b.join();
    expect(j.result).toBe("ok");
    expect(j.ms).toBeGreaterThanOrEqual(1500 + 9000);
  });

  it("sends again a command the module refused as busy", async () => {
    const b = board();
    b.modem.busyNext = 2;
    expect((await b.join()).result).toBe("ok");
    expect(b.modem.stats.commands.slice(0, 4)).toEqual(["ATE0", "ATE0", "ATE0", "AT+CWMODE=1"]);
  });

  it("carries every byte value both ways, in reads split small, and a payload over 2048 bytes in several sends", async () => {
    const b = board(NET, { chunk: 7 });
    expect((await b.join()).result).toBe("ok");
    b.esp.evaluate(`C(${echoPort})`);
    expect(await b.until(() => b.lines("open").length === 1)).toBe(true);
    const before = received.length - 1;
    // 5000 bytes: 0..255 again and again, with "\\r\\n", "+IPD," and "OK" in them
    const payload = bytes(5000) + "\r\n+IPD,4:OK\r\n>\r\nCLOSED\r\n";
    b.esp.evaluate(`S.write(BYTES(5000) + "\\r\\n+IPD,4:OK\\r\\n>\\r\\nCLOSED\\r\\n")`);
    expect(await b.until(() => (b.esp.evaluate("GOT") as string).length >= payload.length)).toBe(true);
    expect(b.esp.evaluate("GOT") === payload).toBe(true);
    expect(received[before]).toBe(payload);
    expect(b.modem.stats.sends).toEqual([2048, 2048, payload.length - 4096]);
    expect(b.modem.stats.ipdBytes).toBe(payload.length);

    // the node ends the connection: AT+CIPCLOSE, the server sees it end, one close
    b.esp.evaluate("S.end()");
    expect(await b.until(() => b.lines("close").length > 0)).toBe(true);
    expect(b.modem.stats.commands.at(-1)).toBe("AT+CIPCLOSE");
    await b.until(() => ended > 0, 2000);
    expect(b.lines("close")).toEqual(["close"]);
    expect(b.lines("lost ")).toEqual([]);
    expect(b.esp.uncaught).toEqual([]);
  });

  it("closes once when a connection cannot be opened", async () => {
    const b = board();
    expect((await b.join()).result).toBe("ok");
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const deadPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    b.esp.evaluate(`C(${deadPort})`);
    expect(await b.until(() => b.lines("close").length > 0)).toBe(true);
    await b.until(() => false, 1000);
    expect(b.lines("open")).toEqual([]);
    expect(b.lines("close")).toEqual(["close"]);
  });

  it("loses the access point in the middle of a send, tells the watcher, closes once, and joins again", async () => {
    const b = board();
    expect((await b.join()).result).toBe("ok");
    b.esp.evaluate(`C(${echoPort})`);
    expect(await b.until(() => b.lines("open").length === 1)).toBe(true);
    const before = received.length - 1;
    b.modem.loseApDuringNextSend = true;
    b.esp.evaluate('S.write("publish 1")');
    expect(await b.until(() => b.lines("lost ").length > 0)).toBe(true);
    await b.until(() => false, 1000);
    expect(b.lines("lost ")).toEqual(["lost access point lost"]);
    expect(b.lines("close")).toEqual(["close"]);
    expect(received[before]).toBe(""); // nothing of the send reached the server
    expect(b.esp.evaluate('S.write("late")')).toBe(false);

    // still gone: the join says so; back: joined, and the next connection carries data
    expect((await b.join()).result).toBe("no access point");
    b.modem.ap = { ...AP };
    expect((await b.join()).result).toBe("ok");
    b.esp.evaluate(`C(${echoPort})`);
    expect(await b.until(() => b.lines("open").length === 2)).toBe(true);
    b.esp.evaluate('S.write("publish 1 again")');
    expect(await b.until(() => b.esp.evaluate("GOT") === "publish 1 again")).toBe(true);
    expect(b.lines("close")).toEqual(["close"]);
  });

  it("hears a module that reset by itself, and one that went silent", async () => {
    const b = board();
    expect((await b.join()).result).toBe("ok");
    b.esp.evaluate(`C(${echoPort})`);
    expect(await b.until(() => b.lines("open").length === 1)).toBe(true);
    b.modem.reset();
    expect(await b.until(() => b.lines("lost ").length > 0)).toBe(true);
    expect(b.lines("lost ")).toEqual(["lost module reset"]);
    expect(b.lines("close")).toEqual(["close"]);
    expect((await b.join()).result).toBe("ok");

    // silent: a send gets no answer (the connection closes), then the next command gets none either
    b.esp.evaluate(`C(${echoPort})`);
    expect(await b.until(() => b.lines("open").length === 2)).toBe(true);
    b.modem.silent = true;
    b.esp.evaluate('S.write("x")');
    expect(await b.until(() => b.lines("close").length === 2)).toBe(true);
    expect(b.lines("lost ")).toEqual(["lost module reset"]);
    b.esp.evaluate(`C(${echoPort})`);
    expect(await b.until(() => b.lines("lost ").length === 2, 40_000)).toBe(true);
    expect(b.lines("lost ")).toEqual(["lost module reset", "lost module not answering"]);
    expect(b.lines("close")).toEqual(["close", "close", "close"]);
  });
});

// The node's MQTT client over the ESP8266 link, as the board's firmware uses it, against aedes in this process: a
// publish larger than one AT+CIPSEND, a command down to the node through +IPD, and the access point lost in the
// middle of a publish: the link's watcher joins again and the client sends the publish again on the new connection.
const MQTT_PROGRAM = `
import { esp8266Link } from "./net/esp8266-at";
import { createMqttClient } from "./app/mqtt/client";
var P = "mg/v1/s1/n1/";
L = esp8266Link(NET, { esp8266: { serial: "Serial2", enable: "A10" } }, { serial: function () { return Serial2; }, pin: function () { return A10; }, digitalWrite: digitalWrite });
M = createMqttClient({
  host: "127.0.0.1", port: NET.broker, id: "mg-s1-n1", keepalive_s: 60, subs: [P + "cmd"], window: 4, connect: L.connect,
  onConnect: function () { console.log("up"); },
  onMessage: function (t, p) { console.log("msg " + t + " " + JSON.stringify(p)); },
  onDown: function (w) { console.log("down " + w); }
});
function join() {
  L.join(function (e) {
    console.log("join " + (e || "ok"));
    if (e) setTimeout(join, 2000);
    else M.start();
  });
}
L.watch(function (why) { console.log("lost " + why); setTimeout(join, 1000); });
SEND = function (n) {
  var s = "";
  for (var i = 0; i < n; i++) s += String.fromCharCode((i * 7 + (i >> 8)) & 255);
  M.publish(P + "big", s, { qos: 1 }, function () { console.log("ack " + n); });
};
join();
`;

describe("the node's MQTT client over the ESP8266 link", () => {
  it("publishes over several AT+CIPSENDs, takes a command through +IPD, and publishes again after the access point came back", async () => {
    const { Aedes } = await import("aedes");
    const broker = await Aedes.createBroker();
    const published: { topic: string; payload: string; dup: boolean }[] = [];
    broker.on("publish", (p, client) => {
      if (client) published.push({ topic: p.topic, payload: Buffer.from(p.payload).toString("latin1"), dup: !!p.dup });
    });
    let subscribed = 0;
    broker.on("subscribe", () => subscribed++);
    const socks: Socket[] = [];
    const server = createServer((s) => {
      socks.push(s);
      broker.handle(s);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const mqttProgram = await bundleFirmwareProgram(MQTT_PROGRAM);
    try {
      const esp = new VirtualEspruino({ board: findBoard("pico-esp8266")! });
      const modem = new Esp8266AtModem({ connect: esp.net.firmwareModule().connect, ap: { ...AP }, chunk: 64 });
      modem.attach(esp.serial("Serial2").line());
      modem.attachEnable(esp.pins.pin("A10"));
      esp.load(`var NET = ${JSON.stringify({ ...NET, broker: (server.address() as AddressInfo).port })};\n` + mqttProgram);
      const lines = (prefix: string) => esp.output.filter((l) => l.startsWith(prefix));
      const until = async (cond: () => boolean, maxMs = 60_000) => {
        for (let t = 0; t < maxMs && !cond(); t += 100) {
          await esp.runFor(100);
          await new Promise((r) => setTimeout(r, 1));
        }
        return cond();
      };

      expect(await until(() => lines("up").length === 1 && subscribed > 0)).toBe(true);
      esp.evaluate("SEND(3000)");
      expect(await until(() => lines("ack ").length === 1)).toBe(true);
      const big = published.filter((p) => p.topic === "mg/v1/s1/n1/big");
      expect(big.length).toBe(1);
      expect(big[0].payload).toBe(bytes(3000));
      // the PUBLISH packet went out as two AT+CIPSENDs: type, remaining length (2 bytes), topic, packet id, payload
      const packet = 1 + 2 + 2 + "mg/v1/s1/n1/big".length + 2 + 3000;
      const at = modem.stats.sends.indexOf(2048);
      expect(modem.stats.sends.slice(at, at + 2)).toEqual([2048, packet - 2048]);

      // a command to the node, with bytes that look like the module's own messages
      const cmd = 'reboot\r\n+IPD,1:\r\nCLOSED\r\n\u00ff\u0000';
      broker.publish({ cmd: "publish", topic: "mg/v1/s1/n1/cmd", payload: Buffer.from(cmd, "latin1"), qos: 1, retain: false, dup: false }, () => {});
      expect(await until(() => lines("msg ").length === 1)).toBe(true);
      expect(lines("msg ")[0]).toBe("msg mg/v1/s1/n1/cmd " + JSON.stringify(cmd));

      // the access point goes while the next publish is on its way to the module
      modem.loseApDuringNextSend = true;
      esp.evaluate("SEND(100)");
      expect(await until(() => lines("lost ").length === 1)).toBe(true);
      expect(lines("lost ")).toEqual(["lost access point lost"]);
      expect(lines("down ")).toEqual(["down 0"]);
      // back after 20 s: the watcher's joins fail until then, then the client connects and sends it again
      await until(() => false, 20_000);
      expect(lines("join no access point").length).toBeGreaterThan(0);
      modem.ap = { ...AP };
      expect(await until(() => lines("ack ").length === 2)).toBe(true);
      const again = published.filter((p) => p.topic === "mg/v1/s1/n1/big" && p.payload === bytes(100));
      expect(again.length).toBe(1);
      expect(again[0].dup).toBe(true);
      expect(lines("up").length).toBe(2);
      expect(esp.uncaught).toEqual([]);
    } finally {
      for (const s of socks) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
      await new Promise<void>((r) => broker.close(() => r()));
    }
  }, 120_000);
});
