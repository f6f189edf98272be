// Devices for the pico firmware on the interpreter's Linux build, written in the interpreter's own JavaScript and
// run before the firmware, so that every driver of a Pico has something to talk to: the firmware's footprint "with
// all drivers on" (footprint-interpreter.bench.ts) is then measured on the real interpreter, not estimated.
//   Serial1  an EPEver-like Modbus RTU slave: answers FC 03/04 reads (Modbus over serial line V1.02 §2.5.1 framing,
//            CRC-16 poly 0xA001) with the register count asked for, 20 ms after the request
//   Serial2  a battery monitor: the bytes of a real VE.Direct capture, 32 bytes every 100 ms, looped (a BMV sends
//            a text frame of ~260 bytes a second, protocols.md; the line could carry 1,920)
//   I2C1     INA226 chips at any address: register pointer writes, configuration and calibration kept, readings
//            fixed (bus 0x2580 = 12.0 V at 1.25 mV/LSB, datasheet SBOS547 §7.6.1), conversion ready (Mask/Enable
//            CVRF), ids 0x5449 / 0x2260 (§7.6.7-8)
//   analogRead  a 50 Hz sine around mid-scale on every pin (CT clamps); pins are numbers, digitalWrite does nothing
// The same devices run without the firmware for the baseline, so their own variables are subtracted.

/** The devices' source; `capturePath` is the VE.Direct capture Serial2 replays. */
export function interpreterDevices(capturePath: string): string {
  return `
var Serial1 = { h: undefined, setup: function () {}, on: function (e, cb) { this.h = cb; },
  write: function (d) {
    var b = typeof d === "string" ? E.toUint8Array(d) : d, self = this;
    if (b.length !== 8 || (b[1] !== 3 && b[1] !== 4)) return;
    var n = (b[4] << 8) | b[5], out = [b[0], b[1], 2 * n], i, c, j;
    for (i = 0; i < n; i++) out.push(5, i & 255);
    for (c = 0xffff, i = 0; i < out.length; i++) { c ^= out[i]; for (j = 0; j < 8; j++) c = c & 1 ? (c >>> 1) ^ 0xa001 : c >>> 1; }
    out.push(c & 255, c >> 8);
    setTimeout(function () { if (self.h) self.h(E.toString(out)); }, 20);
  } };
var Serial2 = { h: undefined, setup: function () {}, write: function () {}, on: function (e, cb) { this.h = cb; } };
(function () {
  var f = E.openFile(${JSON.stringify(capturePath)}, "r");
  setInterval(function () {
    var d = f.read(32);
    if (!d) { f.close(); f = E.openFile(${JSON.stringify(capturePath)}, "r"); d = f.read(32); }
    if (Serial2.h && d) Serial2.h(d);
  }, 100);
})();
var I2C1 = { r: {}, p: {}, setup: function () {},
  writeTo: function (a, d) {
    var b = typeof d === "number" ? [d] : d;
    this.p[a] = b[0];
    if (b.length >= 3) this.r[a + ":" + b[0]] = (b[1] << 8) | b[2];
  },
  readFrom: function (a, n) {
    var reg = this.p[a], v = this.r[a + ":" + reg];
    if (v === undefined) v = { 0: 0x4127, 1: 0x0100, 2: 0x2580, 3: 0x0200, 4: 0x0400, 5: 0, 6: 0x0008, 254: 0x5449, 255: 0x2260 }[reg] || 0;
    return new Uint8Array([v >> 8, v & 255]);
  } };
var analogRead = function () { return 0.5 + 0.3 * Math.sin(getTime() * 2 * Math.PI * 50); };
var digitalWrite = function () {};
var A2 = 2, A3 = 3, A5 = 5, A6 = 6, B5 = 21, B6 = 22, B7 = 23, B8 = 24, B9 = 25;
`;
}

/**
 * Settings for the pico firmware that switch every driver on (README "Configuring a node"): a row every second so
 * that a backlog builds quickly, the polled sensors at the default 5 s (each CT burst reads whole mains cycles).
 */
export function allDriverSettings(brokerPort: number): unknown {
  return {
    site: "bench", node: "bench", broker: { host: "127.0.0.1", port: brokerPort }, report_s: 1, sample_s: 5,
    vedirect: [{ kind: "bmv" }],
    modbus: { map: "epever", slave: 1, period_s: 1 },
    feeders: [0x40, 0x41, 0x44].map((addr) => ({ addr, shunt_ohm: 0.002, max_A: 40 })),
    ct: [{ pin: "A5", ical: 30, V: 230 }, { pin: "A6", ical: 30, V: 230 }],
  };
}
