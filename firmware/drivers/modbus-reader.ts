// The board's Modbus RTU master: polls one slave's register map (a string, maps/*.ts) with FC 03/04 block reads
// and publishes the values as quantities with a quality. One closure holds the whole state, so that the
// interpreter keeps a handful of functions and no per-request objects.
// MOSL = "Modbus over serial line V1.02", MAP = "Modbus application protocol V1.1b3".
// The full codec (FC 01-06/0F/10/2B, parsing, SunSpec) for the Node tools is modbus-rtu.ts and its neighbours.
import { Clock, SerialPort } from "../hal/types";
import { Quality } from "../protocol/messages";

/**
 * A board map: four words per field, sorted by address: quantity key, register (PDU address), type flags,
 * divisor (value = raw / divisor). Fields at contiguous addresses are read in one request.
 * Flags: 1 signed; 2 32-bit with the LOW word at the lower address (EPEver); 4 holding register (FC 03,
 * else input register FC 04); 8 two registers (32-bit, high word first unless 2); 16 battery quantity,
 * published only when no battery monitor is wired; 32 EPEver 0x3201 charger status bits, published as
 * charge_state and charger_fault.
 */
export type BoardMap = string;

/** Response timeout after the request has left the UART, ms. */
export const TIMEOUT_MS = 300;
/** Further attempts after a timeout or a rejected answer. */
export const RETRIES = 2;
/** Consecutive failed transactions after which the slave's values are failed (null) rather than stale. */
export const FAIL_AFTER = 3;
/** Pause before the next request or retry, ms. */
export const TURNAROUND_MS = 5;
/** Counter slots: 1..8 count attempts by rejection code, as modbus-rtu E_* (the exception counts answers). */
export const COUNTERS = "ok truncated crc wrong_slave wrong_function byte_count - exception timeout failed retries stray_bytes";

/** setTimeout, clearTimeout (injected so that tests run on a virtual clock); extra arguments go to cb. */
export type SetTimer = (cb: (on?: any) => void, ms: number, on?: boolean) => any;
export type ClearTimer = (id: any) => void;

export type QuantitySink = (key: string, value: number | null, q: Quality, t: number) => void;

export interface ModbusReader {
  /** Fault counters, slots named by COUNTERS. */
  c: Uint32Array;
  /** Reads every block and publishes one quantity per field; false (and nothing) while a poll is running. */
  poll(battery: boolean): boolean;
  stop(): void;
}

/** CRC-16/MODBUS (MOSL §6.2.2) of the first n bytes: init 0xFFFF, reflected polynomial 0xA001. Over a whole frame
 *  with its CRC (low byte first, MOSL §2.5.1.2) it is 0. */
export function crc16(s: string, n: number): number {
  let c = 0xffff;
  for (let i = 0; i < n; i++) {
    c ^= s.charCodeAt(i);
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xa001 * (c & 1));
  }
  return c;
}

/**
 * Judges the answer b to the FC 03/04 read request req (binary strings, CRC included): 0 a good answer,
 * 7 an exception (MAP §7: function | 0x80; an answer all the same), else the rejection (modbus-rtu E_*):
 * 8 nothing (timeout), 1 shorter than its header announces, 2 CRC (MOSL §2.5.1.2), 3 another slave,
 * 4 another function, 5 a byte count other than the registers asked for.
 */
export function checkAnswer(req: string, b: string): number {
  const L = b.length;
  const fc = req.charCodeAt(1);
  const qty = req.charCodeAt(5);
  const r = b.charCodeAt(1);
  // (shorter than 3 bytes: the length byte is NaN and so is the length the header announces: 1)
  return !L ? 8 : !(L >= (r & 0x80 ? 5 : 5 + b.charCodeAt(2))) ? 1 : crc16(b, L) ? 2 : b[0] !== req[0] ? 3
    : r === (fc | 0x80) ? (L === 5 ? 7 : 5) : r !== fc ? 4 : b.charCodeAt(2) !== 2 * qty || L !== 5 + 2 * qty ? 5 : 0;
}

/** The raw value of a field with board-map flags t (1 signed, 2 low word first, 8 two registers) whose first
 *  register is register o of a good FC 03/04 answer b (registers big-endian from byte 3, MAP §6.3). */
export function registerValue(b: string, o: number, t: number): number {
  const p = 3 + 2 * o;
  let x = (b.charCodeAt(p) << 8) | b.charCodeAt(p + 1);
  const lo = (b.charCodeAt(p + 2) << 8) | b.charCodeAt(p + 3);
  if (t & 8) x = t & 2 ? lo * 65536 + x : x * 65536 + lo;
  // signed: two's complement over the field's range m (2^32 or 2^16)
  const m = t & 8 ? 0x100000000 : 0x10000;
  return t & 1 && x >= m / 2 ? x - m : x;
}

/**
 * Starts listening on the port (set up by the board wiring) and returns the poller. de drives the RS-485
 * driver enable (docs/espruino.md: Serial.setup has no DE pin). Quality of a poll: ok when every block got an
 * answer (an exception is an answer: its fields are null); otherwise stale, with the values of the last
 * complete poll held, until FAIL_AFTER polls in a row have failed or before the first answer: failed, all null.
 * After a block that got no valid answer the rest are skipped, so a dead slave costs one timeout series.
 */
export function startModbusReader(port: SerialPort, baud: number, de: (on: boolean) => void, slave: number, map: BoardMap,
  clock: Clock, out: QuantitySink, set: SetTimer, clear: ClearTimer): ModbusReader {
  let f: string[] = []; // the map's words, split for the time of a poll only (variables, docs/espruino.md)
  const c = new Uint32Array(12);
  // MOSL §2.5.1.1: a frame ends after 3.5 character times of silence (10-bit characters, 8N1), 1.75 ms above 19200 baud
  const gap = Math.ceil(baud > 19200 ? 1.75 : 35000 / baud);
  // The pending response timeout, silence or turnaround timer (one at a time), 0 once it has run: Espruino
  // reuses timer ids, so a stale id must never be cleared, and clearTimeout() without one clears every timer.
  let timer: any = 0;
  let listening = false; // a request is out and its answer awaited
  let busy = false;
  let battery = false;
  let lost = false; // a block of this poll got no valid answer
  let failedRun = 0; // consecutive failed transactions
  let i = 0; // first field of the block being read, as an index of f (four words a field)
  let n = 0; // its fields, times four
  let start = 0; // its first register
  let req = ""; // its request ADU
  let tries = 0;
  let buf = "";
  let got: { [key: string]: number | null } = {};
  let last: { [key: string]: number | null } | null = null;

  // Transmits the request: DE high, write, DE low once the last stop bit is out, (bytes + 1 margin) x 10 bits
  // / baud. Earlier cuts the request, much later loses the slave's first bytes (MOSL §2.5.1.1).
  // (Every path of send and judge sets `timer` again before anything can read it.)
  function send(): void {
    const tx_ms = Math.ceil(((req.length + 1) * 10000) / baud);
    tries++;
    buf = "";
    de(true);
    port.write(req);
    set(de, tx_ms, false);
    listening = true;
    timer = set(judge, tx_ms + TIMEOUT_MS);
  }

  // Starts the read of the fields from i that sit at contiguous addresses with one function code (MAP §6.3/6.4:
  // at most 125 registers), or publishes the poll when every block is done or one was lost.
  function next(): void {
    timer = 0;
    if (i < f.length && !lost) {
      const ft = +f[i + 2];
      start = +f[i + 1];
      let end = start;
      for (n = 0; i + n < f.length; n += 4) {
        const t = +f[i + n + 2];
        // another address, or the other register type (flag 4)
        if (+f[i + n + 1] !== end || (t ^ ft) & 4 || end - start > 123) break;
        end += t & 8 ? 2 : 1;
      }
      req = String.fromCharCode(slave, ft & 4 ? 3 : 4, start >> 8, start & 255, 0, end - start);
      const crc = crc16(req, 6);
      req += String.fromCharCode(crc & 255, crc >> 8);
      tries = 0;
      send();
      return;
    }
    busy = false;
    const q = lost ? (failedRun < FAIL_AFTER && (c[0] || c[7]) ? 1 : 2) : 0;
    const mark = "osf"[q] as Quality;
    const t = clock.seconds();
    // got becomes the poll's values, every field of the map
    const v = got;
    for (let j = 0; j < f.length; j += 4) {
      const k = f[j];
      const x = v[k];
      // no valid answer: the last good value while stale, null once failed (docs/design.md guarantee 5: never 0)
      const y = (v[k] = q === 2 ? null : x != null ? x : q === 1 && last ? last[k] : null);
      const flags = +f[j + 2];
      if (flags & 16 && !battery) continue;
      if (flags & 32) {
        // 0x3201 D3-2 (0 none, 1 float, 2 boost, 3 equalize) as VE.Direct's CS codes (0 off, 5 float, 3 bulk,
        // 7 equalize), so that charge_state means the same on every controller; D1 fault
        out("charge_state", y === null ? null : [0, 5, 3, 7][(y >> 2) & 3], mark, t);
        out("charger_fault", y === null ? null : (y >> 1) & 1, mark, t);
      } else out(k, y, mark, t);
    }
    if (!lost) last = v;
    f = [];
    if (battery) {
      // a map without a battery current (Growatt SPF) reports it, and so the battery power, as missing
      const a = v.battery_A;
      const u = v.battery_V;
      if (a === undefined) out("battery_A", null, mark, t);
      out("battery_W", u != null && a != null ? u * a : null, mark, t);
    }
  }

  // Ends the attempt with the frame in buf (empty: timeout) and judges it against the request: MOSL §2.5.1
  // length and CRC, then slave, function (MAP §7: function | 0x80 is an exception answer) and byte count.
  function judge(): void {
    listening = false;
    const e = checkAnswer(req, buf);
    c[e]++;
    if (e && e !== 7) {
      if (tries <= RETRIES) {
        c[10]++;
        timer = set(send, TURNAROUND_MS);
        return;
      }
      c[9]++;
      failedRun++;
      lost = true;
    } else {
      failedRun = 0;
      for (let j = i; j < i + n; j += 4) got[f[j]] = e ? null : registerValue(buf, +f[j + 1] - start, +f[j + 2]) / +f[j + 3];
      i += n;
    }
    timer = set(next, TURNAROUND_MS);
  }

  // Bytes of the answer: cut as soon as the frame its header predicts is complete with a good CRC (the
  // interpreter delivers UART data in chunks at approximate times), else after a frame gap of silence, or
  // at 256 bytes (MOSL §2.5.1: the longest ADU). Bytes outside a transaction are counted and dropped.
  port.on("data", function (d: string): void {
    if (!listening) {
      c[11] += d.length;
      return;
    }
    clear(timer);
    buf += d;
    // (before the byte count has come, len is NaN and the comparison false)
    const len = buf.charCodeAt(1) & 0x80 ? 5 : 5 + buf.charCodeAt(2);
    if (buf.length >= len && !crc16(buf, len)) {
      buf = buf.slice(0, len);
      judge();
    } else if (buf.length > 256) judge();
    else timer = set(judge, gap);
  });

  return {
    c: c,
    poll: function (withBattery: boolean): boolean {
      if (busy) return false;
      busy = true;
      battery = withBattery;
      f = map.split(" ");
      lost = false;
      got = {};
      i = 0;
      next();
      return true;
    },
    // For good: a poll under way is abandoned and no other starts.
    stop: function (): void {
      if (timer) clear(timer);
      timer = 0;
      listening = false;
      busy = true;
    },
  };
}
