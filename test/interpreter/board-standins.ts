// A board's hardware stood in on the interpreter's Linux build, written in the interpreter's own JavaScript and run
// before the firmware (as Storage's `.boot0`, which the interpreter runs before `.bootcde` at every boot), so that a
// board's own file (dist/firmware/<board>.js) boots on the real interpreter with something on every pin and bus:
//   the Modbus UART  an EPEver-like Modbus RTU slave: answers FC 03/04 reads (Modbus over serial line V1.02 §2.5.1
//                    framing, CRC-16 poly 0xA001) with the register count asked for, 20 ms after the request
//   the VE.Direct UART (a hardware one, or the software Serial `new Serial()` gives)  a battery monitor: the bytes
//                    of a real VE.Direct capture, 32 bytes every 100 ms, looped
//   the I2C bus      INA226 chips at any address: register pointer writes, configuration and calibration kept,
//                    readings fixed (bus 0x2580 = 12.0 V at 1.25 mV/LSB, datasheet SBOS547 §7.6.1), conversion
//                    ready (Mask/Enable CVRF), ids 0x5449 / 0x2260 (§7.6.7-8)
//   analogRead       a 50 Hz sine around mid-scale on every pin (CT clamps); digitalWrite does nothing
//   every pin name the board's data uses  a number (the Linux build has no B6 or A5)
//   the network      the module the board's file requires, modelled on Espruino's reference for it: `Wifi`
//                    (connect(ssid, {password}, cb) calls back after a join delay, with "bad password" on a
//                    wrong one, retries silently while the access point is away; setIP; "disconnected" events;
//                    getDetails with status and rssi), `WIZnet` (connect(spi, cs); setIP() asks DHCP and returns
//                    false without a lease; the W5500's PHYCFGR link bit read over SPI), or an ESP8266 module on
//                    its UART answering Espressif's AT commands (ready after its enable pin rises; CWJAP with
//                    +CWJAP:<code> and FAIL on a refusal, CWJAP? with the RSSI, CIPSTART over the Linux build's
//                    require("net"), CIPSEND's '>' prompt and SEND OK, +IPD,<len>: for what comes in, CLOSED,
//                    WIFI DISCONNECT when the access point goes). TCP itself is the Linux
//                    build's own require("net"): real sockets to the test's gateway. The stand-ins' objects are
//                    made before the firmware runs, so that the footprint (footprint.ts) counts the firmware's only.
// The stand-in's state is the global MG_NET, which a test's script (after the stand-ins) may change over time:
// {ssid, pass, rssi, ap (access point present), lease (DHCP answers), cable (Ethernet link)}.
import type { Board } from "../../firmware/boards/types";

export interface StandinNetwork {
  /** The access point's name and password (Wi-Fi). */
  ssid?: string;
  pass?: string;
  /** dBm the access point is heard at. */
  rssi?: number;
  /** Seconds a join takes (association and DHCP). */
  join_s?: number;
}

const J = JSON.stringify;

/** Espruino JavaScript that makes every pin name in `board`'s data a number. */
function pinNames(board: Board): string {
  const names = new Set<string>();
  const add = (...p: (string | undefined)[]) => p.forEach((x) => x && /^[A-Z]\d+$/.test(x) && names.add(x));
  if (board.modbus) add(board.modbus.tx, board.modbus.rx, board.modbus.driverEnable);
  if (board.vedirect) add(board.vedirect.tx, board.vedirect.rx);
  if (board.i2c) add(board.i2c.scl, board.i2c.sda);
  if (board.w5500) add(board.w5500.sck, board.w5500.miso, board.w5500.mosi, board.w5500.cs);
  if (board.esp8266) add(board.esp8266.tx, board.esp8266.rx, board.esp8266.enable);
  add(...board.ctPins, board.statusLed);
  let n = 100;
  return [...names].map((p) => `var ${p} = ${n++};`).join("\n");
}

/** The stand-ins' source for `board`; `capturePath` is the VE.Direct capture its battery monitor replays. */
export function boardStandins(board: Board, capturePath: string, net: StandinNetwork = {}): string {
  const vedirect = board.vedirect?.serial;
  const veObject = vedirect === "soft" ? "MG_VE" : vedirect;
  return `
var MG_NET = { ssid: ${J(net.ssid ?? "site-ap")}, pass: ${J(net.pass ?? "site-pass")}, rssi: ${net.rssi ?? -61},
  join_s: ${net.join_s ?? 0.5}, ap: true, lease: true, cable: true, joins: 0 };
${pinNames(board)}
var analogRead = function () { return 0.5 + 0.3 * Math.sin(getTime() * 2 * Math.PI * 50); };
var digitalWrite = function () {};
${board.modbus ? modbusSlave(board.modbus.serial) : ""}
${vedirect ? veDirectReplay(veObject!, capturePath, vedirect === "soft") : ""}
${board.i2c ? ina226Bus(board.i2c.bus) : ""}
${board.networks.includes("esp32-wifi") || board.networks.includes("esp8266-wifi") ? wifiModule() : ""}
${board.w5500 ? wiznetModule(board.w5500.spi) : ""}
${board.esp8266 ? esp8266Module(board.esp8266.serial, board.esp8266.enable) : ""}
`;
}

function modbusSlave(serial: string): string {
  return `var ${serial} = { h: undefined, setup: function () {}, on: function (e, cb) { this.h = cb; },
  write: function (d) {
    var b = typeof d === "string" ? E.toUint8Array(d) : d, self = this;
    if (b.length !== 8 || (b[1] !== 3 && b[1] !== 4)) return;
    var n = (b[4] << 8) | b[5], out = [b[0], b[1], 2 * n], i, c, j;
    for (i = 0; i < n; i++) out.push(5, i & 255);
    for (c = 0xffff, i = 0; i < out.length; i++) { c ^= out[i]; for (j = 0; j < 8; j++) c = c & 1 ? (c >>> 1) ^ 0xa001 : c >>> 1; }
    out.push(c & 255, c >> 8);
    setTimeout(function () { if (self.h) self.h(E.toString(out)); }, 20);
  } };`;
}

function veDirectReplay(name: string, capturePath: string, soft: boolean): string {
  return `var ${name} = { h: undefined, setup: function () {}, write: function () {}, on: function (e, cb) { this.h = cb; } };
${soft ? `var Serial = function () { return ${name}; };` : ""}
(function () {
  var f = E.openFile(${J(capturePath)}, "r");
  setInterval(function () {
    var d = f.read(32);
    if (!d) { f.close(); f = E.openFile(${J(capturePath)}, "r"); d = f.read(32); }
    if (${name}.h && d) ${name}.h(d);
  }, 100);
})();`;
}

function ina226Bus(bus: string): string {
  return `var ${bus} = { r: {}, p: {}, setup: function () {},
  writeTo: function (a, d) {
    var b = typeof d === "number" ? [d] : d;
    this.p[a] = b[0];
    if (b.length >= 3) this.r[a + ":" + b[0]] = (b[1] << 8) | b[2];
  },
  readFrom: function (a, n) {
    var reg = this.p[a], v = this.r[a + ":" + reg];
    if (v === undefined) v = { 0: 0x4127, 1: 0x0100, 2: 0x2580, 3: 0x0200, 4: 0x0400, 5: 0, 6: 0x0008, 254: 0x5449, 255: 0x2260 }[reg] || 0;
    return new Uint8Array([v >> 8, v & 255]);
  } };`;
}

/** Espruino's Wifi library as its reference describes it; joins succeed while MG_NET.ap, with MG_NET's password. */
function wifiModule(): string {
  return `Modules.addCached("Wifi", function () {
  var st = "off", lost = [];
  exports.connect = function (ssid, o, cb) {
    MG_NET.joins++;
    st = "connecting";
    var attempt = function () {
      if (ssid !== MG_NET.ssid || !MG_NET.ap) { st = "no_ap_found"; return setTimeout(attempt, 1000); }
      if ((o && o.password) !== MG_NET.pass) { st = "wrong_password"; return cb("bad password"); }
      st = "connected";
      cb(null);
    };
    setTimeout(attempt, MG_NET.join_s * 1000);
  };
  exports.setIP = function (s, cb) { MG_NET.ip = s.ip; setTimeout(cb, 10); };
  exports.on = function (ev, cb) { if (ev === "disconnected") lost.push(cb); };
  exports.getDetails = function (cb) {
    var d = { status: st, rssi: st === "connected" ? MG_NET.rssi : undefined, ssid: MG_NET.ssid };
    if (cb) cb(d);
    return d;
  };
  MG_NET.drop = function () {
    MG_NET.ap = false;
    if (st === "connected") { st = "no_ap_found"; lost.forEach(function (f) { f({ reason: "beacon_timeout" }); }); }
  };
});`;
}

/** Espruino's WIZnet library: DHCP answers while MG_NET.lease; the PHY link bit follows MG_NET.cable. */
function wiznetModule(spi: string): string {
  return `var ${spi} = { setup: function () {}, send: function (d, cs) {
  return new Uint8Array([0, 0, 0, (MG_NET.cable ? 1 : 0) | 0x38]);
} };
var MG_ETH = {
  setIP: function (o) { MG_NET.joins++; if (o && o.ip) { MG_NET.ip = o.ip; return true; } return MG_NET.cable && MG_NET.lease; },
  getIP: function () { return { ip: MG_NET.ip || "0.0.0.0" }; }
};
Modules.addCached("WIZnet", function () {
  exports.connect = function (spi, cs) { return MG_ETH; };
});
MG_NET.drop = function () { MG_NET.cable = false; };`;
}

/** An ESP8266 module with Espressif's AT firmware on `serial`, powered up by a rising `enable` pin. */
function esp8266Module(serial: string, enable: string): string {
  return `var ${serial} = { h: undefined, rx: "", need: 0, sock: undefined, joined: false,
  setup: function () {}, on: function (e, cb) { this.h = cb; },
  say: function (t) { var self = this; setTimeout(function () { if (self.h) self.h(t); }, 5); },
  write: function (d) {
    this.rx += typeof d === "string" ? d : E.toString(d);
    var self = this, i, l, m;
    while (true) {
      if (this.need) {
        if (this.rx.length < this.need) return;
        var data = this.rx.substr(0, this.need);
        this.rx = this.rx.substr(this.need);
        this.need = 0;
        if (this.sock) { this.sock.write(data); this.say("\\r\\nRecv " + data.length + " bytes\\r\\n\\r\\nSEND OK\\r\\n"); }
        else this.say("\\r\\nSEND FAIL\\r\\n");
        continue;
      }
      i = this.rx.indexOf("\\r\\n");
      if (i < 0) return;
      l = this.rx.substr(0, i);
      this.rx = this.rx.substr(i + 2);
      if ((m = /^AT\\+CWJAP="(.*)","(.*)"$/.exec(l))) {
        if (m[1] !== MG_NET.ssid || !MG_NET.ap) this.say("+CWJAP:3\\r\\n\\r\\nFAIL\\r\\n");
        else if (m[2] !== MG_NET.pass) this.say("+CWJAP:2\\r\\n\\r\\nFAIL\\r\\n");
        else { MG_NET.joins++; this.joined = true; this.say("WIFI CONNECTED\\r\\nWIFI GOT IP\\r\\n\\r\\nOK\\r\\n"); }
      } else if (l === "AT+CWJAP?") {
        this.say(this.joined ? '+CWJAP:"' + MG_NET.ssid + '","02:00:00:00:00:01",6,' + MG_NET.rssi + "\\r\\n\\r\\nOK\\r\\n" : "No AP\\r\\n\\r\\nOK\\r\\n");
      } else if ((m = /^AT\\+CIPSTART="TCP","(.*)",(\\d+)$/.exec(l))) {
        if (!this.joined) { this.say("ERROR\\r\\n"); continue; }
        try {
          this.sock = require("net").connect({ host: m[1], port: +m[2] }, function () { self.say("CONNECT\\r\\n\\r\\nOK\\r\\n"); });
          var s = this.sock;
          s.on("data", function (d) { if (self.sock === s) self.say("\\r\\n+IPD," + d.length + ":" + d); });
          s.on("close", function () { if (self.sock === s) { self.sock = undefined; self.say("CLOSED\\r\\n"); } });
        } catch (e) { this.sock = undefined; this.say("ERROR\\r\\nCLOSED\\r\\n"); }
      } else if ((m = /^AT\\+CIPSEND=(\\d+)$/.exec(l))) {
        this.need = +m[1];
        this.say("\\r\\nOK\\r\\n> ");
      } else if (l === "AT+CIPCLOSE") {
        var c = this.sock; this.sock = undefined;
        if (c) c.end();
        this.say("CLOSED\\r\\n\\r\\nOK\\r\\n");
      } else if (l === "AT+RST") { this.joined = false; this.say("\\r\\nOK\\r\\nready\\r\\n"); }
      else if (l.indexOf("AT") === 0) this.say("\\r\\nOK\\r\\n");
    }
  } };
var digitalWrite = function (pin, v) {
  if (pin === ${enable} && v) { ${serial}.joined = false; ${serial}.say("\\r\\nready\\r\\n"); }
};
MG_NET.drop = function () {
  MG_NET.ap = false;
  var m = ${serial}, c = m.sock;
  if (!m.joined) return;
  m.joined = false; m.sock = undefined;
  if (c) c.end();
  m.say("WIFI DISCONNECT\\r\\n" + (c ? "CLOSED\\r\\n" : ""));
};`;
}

/**
 * Settings for a board's file that switch every driver on (docs/firmware.md "Configuring a node"), for the broker on
 * `brokerPort` of 127.0.0.1; `node` names it (site "s1", login `node` with password "pw-" + node, as the gateway
 * tests' settings have them).
 */
export function allDriverSettings(board: Board, brokerPort: number, node = "bench", over: Record<string, unknown> = {}): Record<string, unknown> {
  const net = board.networks.includes("w5500-ethernet") ? { kind: "eth" } : { kind: "wifi", ssid: "site-ap", pass: "site-pass" };
  return {
    site: "s1", node, net, broker: { host: "127.0.0.1", port: brokerPort, user: node, pass: "pw-" + node },
    report_s: 1, sample_s: 5,
    vedirect: [{ kind: "bmv" }],
    modbus: { map: "epever", slave: 1, period_s: 1 },
    feeders: (board.i2c?.ina226Addresses ?? []).map((addr) => ({ addr, shunt_ohm: 0.002, max_A: 40 })),
    ct: board.ctPins.map((pin) => ({ pin, ical: 30, V: 230 })),
    ...over,
  };
}

/** What the espruino CLI sends for `--storage NAME:-`: the text in chunks of 1024 bytes, offset and total size. */
export function storageWriter(name: string, code: string): string {
  const lines = [`require("Storage").write(${J(name)},${J(code.substr(0, 1024))},0,${code.length});`];
  for (let i = 1024; i < code.length; i += 1024) lines.push(`require("Storage").write(${J(name)},${J(code.substr(i, 1024))},${i});`);
  return lines.join("\n") + "\n";
}
