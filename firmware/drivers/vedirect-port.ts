// VE.Direct on a UART: 19200 8N1 (protocols.md "VE.Direct text"), the stream parser fed from the port's 'data'
// events, HEX requests written out, and the quality of what the device gives (style.md 12):
//   ok      a good block arrived within `stale_s` (default 5 s: the device sends about one a second);
//   stale   no good block for `stale_s` seconds: values are old (garbage or a short silence);
//   failed  no good block for `failed_s` seconds (default 30 s): unplugged, dead, or nothing but garbage.
// Good blocks bring it back to ok at once. Before the first block it is stale, then failed after `failed_s`.
// A quiet line for `gap_s` (default 0.5 s) between two bytes ends any block in progress (see parser.gap()).

import { Clock, SerialPort } from "../hal/types";
import { VeDirectCounters, VeDirectFields, VeDirectHexFrame, VeDirectParser, VeDirectReject, createVeDirectParser } from "./vedirect";

export type VeQuality = "ok" | "stale" | "failed";

/** Quality codes shared with the other drivers' ports (ina2xx-port.ts): 0 ok, 1 stale, 3 failed. */
export const VE_Q_CODE: { [q: string]: number } = { ok: 0, stale: 1, failed: 3 };

export interface VeDirectPortOptions {
  serial: SerialPort;
  clock: Clock;
  /** Extra Serial.setup options, e.g. the board's pins { rx: B7, tx: B6 }. */
  setup?: { [k: string]: any };
  stale_s?: number;
  failed_s?: number;
  gap_s?: number;
  onBlock?: (fields: VeDirectFields, t_s: number) => void;
  onHex?: (frame: VeDirectHexFrame, t_s: number) => void;
  onReject?: (reason: VeDirectReject, detail: string) => void;
  /** Called when the quality changes (noticed on incoming data or on quality()). */
  onQuality?: (q: VeQuality, was: VeQuality) => void;
}

export interface VeDirectPortStats {
  quality: VeQuality;
  /** Seconds since the last good block (or since open), and since the last byte (-1: none yet). */
  blockAge_s: number;
  byteAge_s: number;
  /** Times the quality went from ok to stale or failed. */
  lost: number;
  counters: VeDirectCounters;
}

export interface VeDirectPort {
  parser: VeDirectParser;
  /** Writes a HEX request (vedirect-hex.ts builds them). */
  write(frame: string): void;
  quality(): VeQuality;
  stats(): VeDirectPortStats;
}

export const VE_BAUD = 19200;

export function openVeDirectPort(o: VeDirectPortOptions): VeDirectPort {
  const clock = o.clock;
  const stale = o.stale_s || 5;
  const failed = o.failed_s || 30;
  const gapS = o.gap_s || 0.5;
  const t0 = clock.seconds();
  let good = t0; // time of the last good block (open time before the first)
  let any = -1; // time of the last byte
  let seen = false; // a good block has arrived
  let q: VeQuality = "stale";
  let lost = 0;

  function set(nq: VeQuality): void {
    if (nq === q) return;
    const was = q;
    q = nq;
    if (was === "ok") lost++;
    if (o.onQuality) o.onQuality(nq, was);
  }

  function quality(): VeQuality {
    const age = clock.seconds() - good;
    set(age >= failed ? "failed" : age >= stale || !seen ? "stale" : "ok");
    return q;
  }

  const parser = createVeDirectParser({
    onBlock: function (f) {
      good = clock.seconds();
      seen = true;
      set("ok");
      if (o.onBlock) o.onBlock(f, good);
    },
    onHex: function (h) {
      if (o.onHex) o.onHex(h, clock.seconds());
    },
    onReject: o.onReject,
  });

  const setup: { [k: string]: any } = { bytesize: 8, parity: null, stopbits: 1 };
  if (o.setup) for (const k in o.setup) setup[k] = o.setup[k];
  o.serial.setup(VE_BAUD, setup);
  o.serial.on("data", function (d: string) {
    const now = clock.seconds();
    if (any >= 0 && now - any >= gapS) parser.gap();
    any = now;
    parser.push(d);
    quality();
  });

  return {
    parser: parser,
    write: function (frame: string) {
      o.serial.write(frame);
    },
    quality: quality,
    stats: function (): VeDirectPortStats {
      const now = clock.seconds();
      return {
        quality: quality(),
        blockAge_s: now - good,
        byteAge_s: any < 0 ? -1 : now - any,
        lost: lost,
        counters: parser.counters,
      };
    },
  };
}
