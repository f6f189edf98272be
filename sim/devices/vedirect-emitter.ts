// A VE.Direct device on a virtual UART: a BMV battery monitor (live and history blocks in turn) or an MPPT
// charger (one block), about one block a second on the virtual clock, as the real ones do (docs/protocols.md
// "VE.Direct text"). It answers HEX requests the firmware writes (ping, app version, product id, Get/Set of the
// registers in firmware/drivers/vedirect-hex.ts), sends async HEX frames if asked, and has faults: byte noise
// from a seeded PRNG, unplugging, a block cut mid-write, raw garbage.

import { SerialDevice, SerialLine } from "./types";
import { createVeDirectParser, VeDirectHexFrame } from "../../firmware/drivers/vedirect";
import { VeDirectValues } from "../../firmware/drivers/vedirect-decode";
import {
  VE_FLAG_NOT_SUPPORTED, VE_FLAG_PARAMETER_ERROR, VE_FLAG_UNKNOWN_ID, VE_FRAMING_ERROR, VE_HEX_APP_VERSION, VE_HEX_ASYNC, VE_HEX_DONE,
  VE_HEX_ERROR, VE_HEX_GET, VE_HEX_PING, VE_HEX_PING_REPLY, VE_HEX_PRODUCT_ID, VE_HEX_RESTART, VE_HEX_SET,
  VE_HEX_UNKNOWN, decodeHexFrame, encodeHexFrame, leBytes, veRegister, veRegisterValue,
} from "../../firmware/drivers/vedirect-hex";
import { VE_FIELD_ORDER, VeDirectKind, encodeVeDirectValues } from "./vedirect-encode";

export interface VeDirectEmitterOptions {
  kind: VeDirectKind;
  /** The device's readings at virtual time t (seconds), keyed as decodeVeDirectBlock gives them; null sends "---". */
  values: (t_s: number) => VeDirectValues;
  /** Identity; defaults: BMV-702 "0308" / SmartSolar MPPT 100/30 "161" (as in the real captures). */
  productId?: number;
  firmware?: string;
  serial?: string;
  /** The BMV field and the model-name register 0x010B. */
  model?: string;
  /** Ping reply; default 0x4116, the SmartSolar's in go-victron-hex-pairs.json. */
  hexVersion?: number;
  /** Register values beyond the built-in ones (numbers, or text for "str" registers). */
  registers?: { [id: number]: number | string };
  period_ms?: number;
  /** Send an async frame of 0x0201 (device state) every so many seconds; 0 = never. */
  asyncEvery_s?: number;
  /** Put async frames inside a text block (the protocol allows it) instead of after it. */
  asyncInsideBlock?: boolean;
  /** Corrupt each byte sent with this probability (0..1), from a PRNG seeded with `seed`. */
  noise?: { rate: number; seed: number };
}

export interface VeDirectEmitterStats {
  blocks: number;
  hexReplies: number;
  asyncFrames: number;
  corruptedBytes: number;
  bytes: number;
  badRequests: number;
}

export interface VeDirectEmitter extends SerialDevice {
  /** Stop sending (cable pulled / device off) and start again. */
  unplug(): void;
  plug(): void;
  /** Send these bytes now, as they are. */
  inject(bytes: string): void;
  /** Send only the first n bytes of the next block (power cut mid-write). */
  cutNext(n: number): void;
  setNoise(rate: number): void;
  readonly stats: VeDirectEmitterStats;
}

/** xorshift32: a tiny deterministic PRNG, uniform in [0, 1). */
export function veRandom(seed: number): () => number {
  let x = seed | 0 || 0x2545f491;
  return function () {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

const REQUEST_REPLY_MS = 5;
/** Product id, model name, device state: Set answers "not supported". */
const READ_ONLY = [0x0100, 0x010b, 0x0201];

export function createVeDirectEmitter(o: VeDirectEmitterOptions): VeDirectEmitter {
  const bmv = o.kind === "bmv";
  const pid = o.productId ?? (bmv ? 0x204 : 0xa056);
  const fw = o.firmware ?? (bmv ? "0308" : "161");
  const ser = o.serial ?? "HQ0000SIM01";
  const model = o.model ?? (bmv ? "702" : "SmartSolar Charger MPPT 100/30");
  const period = o.period_ms ?? 1000;
  const rnd = veRandom(o.noise?.seed ?? 1);
  let rate = o.noise?.rate ?? 0;
  const regs: { [id: number]: number | string } = {
    // go-victron-hex-pairs.json values for the settings the text protocol does not carry
    0xedf0: 0x0096,
    0xedf2: -1620,
    ...o.registers,
  };
  const stats: VeDirectEmitterStats = { blocks: 0, hexReplies: 0, asyncFrames: 0, corruptedBytes: 0, bytes: 0, badRequests: 0 };
  let line: SerialLine | undefined;
  let plugged = true;
  let cut = -1;
  let tick = 0;
  let lastAsync = 0;
  // the device's identity, sent in its blocks; the model name only by the BMV
  const meta: VeDirectValues = { productId: pid, firmware: fw, serial: ser, model: bmv ? model : undefined };

  function send(s: string): void {
    if (!line || !plugged) return;
    if (rate > 0) {
      let out = "";
      for (let i = 0; i < s.length; i++) {
        let c = s.charCodeAt(i);
        if (rnd() < rate) {
          c ^= 1 + Math.floor(rnd() * 255);
          stats.corruptedBytes++;
        }
        out += String.fromCharCode(c);
      }
      s = out;
    }
    stats.bytes += s.length;
    line.sendToFirmware(s);
  }

  function now(): VeDirectValues {
    return o.values(line ? line.now() : 0);
  }

  /** Value bytes of a register, or a flag when there is none. */
  function regBytes(id: number): number[] | number {
    const r = veRegister(id);
    const v = now() as { [k: string]: unknown };
    let x: number | string | undefined = regs[id];
    if (id === 0x0100) return [0x00, pid & 0xff, (pid >> 8) & 0xff, 0xff]; // as the SmartSolar answers
    if (id === 0x010b) x = model;
    if (id === 0x0200 && x === undefined) x = (v.deviceMode as number | null | undefined) ?? 1;
    if (id === 0x0201) x = (v.chargeState as number | null | undefined) ?? 0;
    if (id === 0xedd0 && x === undefined) x = (v.maxPowerYesterday_W as number | null | undefined) ?? undefined;
    if (!r) return VE_FLAG_UNKNOWN_ID;
    if (x === undefined || r.type === "raw") return VE_FLAG_NOT_SUPPORTED;
    if (r.type === "str") {
      const b: number[] = [];
      for (const ch of String(x)) b.push(ch.charCodeAt(0) & 0xff);
      b.push(0);
      return b;
    }
    const size = r.type === "u8" ? 1 : r.type === "u32" ? 4 : 2;
    const n = Number(x);
    return leBytes(n < 0 ? n + Math.pow(2, 8 * size) : n, size);
  }

  function reply(cmd: number, data: number[]): void {
    stats.hexReplies++;
    line!.schedule(REQUEST_REPLY_MS, () => send(encodeHexFrame(cmd, data)));
  }

  function request(f: VeDirectHexFrame): void {
    const d = Array.from(f.data);
    const le16 = (v: number) => [v & 0xff, (v >> 8) & 0xff];
    switch (f.cmd) {
      case VE_HEX_PING:
        return reply(VE_HEX_PING_REPLY, le16(o.hexVersion ?? 0x4116));
      case VE_HEX_APP_VERSION:
        // a "done" reply carrying the version, read from the text FW field: not checked against a real device
        return reply(VE_HEX_DONE, le16(parseInt(fw, 16) & 0xffff));
      case VE_HEX_PRODUCT_ID:
        return reply(VE_HEX_DONE, le16(pid));
      case VE_HEX_RESTART:
        tick = 0; // starts over with a live block; no reply
        return;
      case VE_HEX_GET:
      case VE_HEX_SET: {
        if (d.length < 3) return reply(VE_HEX_ERROR, le16(VE_FRAMING_ERROR));
        const id = d[0] | (d[1] << 8);
        let b = regBytes(id);
        if (f.cmd === VE_HEX_SET && typeof b !== "number") {
          const v = veRegisterValue(id, d.slice(3));
          if (READ_ONLY.indexOf(id) >= 0) b = VE_FLAG_NOT_SUPPORTED;
          else if (v === null) b = VE_FLAG_PARAMETER_ERROR; // wrong number of value bytes
          else {
            regs[id] = v;
            b = regBytes(id);
          }
        }
        return reply(f.cmd, typeof b === "number" ? [d[0], d[1], b] : [d[0], d[1], 0, ...b]);
      }
      default:
        return reply(VE_HEX_UNKNOWN, []); // "unknown" with no data: the payload a real device adds is not recorded
    }
  }

  function emit(): void {
    if (!line) return;
    line.schedule(period, emit);
    if (!plugged) return;
    const t = line.now();
    const v = o.values(t);
    const part = !bmv ? "mppt" : tick % 2 === 0 ? "bmvLive" : "bmvHistory";
    tick++;
    let block = encodeVeDirectValues(VE_FIELD_ORDER[part], v, meta);
    stats.blocks++;
    if (o.asyncEvery_s && t - lastAsync >= o.asyncEvery_s) {
      lastAsync = t;
      stats.asyncFrames++;
      const state = v.chargeState ?? 0;
      const frame = encodeHexFrame(VE_HEX_ASYNC, [0x01, 0x02, 0x00, state & 0xff]);
      if (o.asyncInsideBlock) {
        const k = block.indexOf("\r\n", block.length >> 1);
        block = block.substring(0, k + 1) + frame + block.substring(k + 1); // between CR and LF
      } else block += frame;
    }
    if (cut >= 0) {
      block = block.substring(0, cut);
      cut = -1;
    }
    send(block);
  }

  return {
    attach(l: SerialLine) {
      line = l;
      const bad = () => {
        stats.badRequests++;
        reply(VE_HEX_ERROR, [0xaa, 0xaa]);
      };
      const req = createVeDirectParser(
        undefined,
        (frame) => {
          const f = decodeHexFrame(frame);
          if (f) request(f);
          else bad(); // bad check byte
        },
        (r) => {
          if (r === "hex") bad();
        },
      );
      l.onFirmwareWrite((b) => req.push(b));
      l.schedule(period, emit);
    },
    unplug: () => (plugged = false),
    plug: () => (plugged = true),
    inject: (b) => send(b),
    cutNext: (n) => (cut = n),
    setNoise: (r) => (rate = r),
    stats,
  };
}
