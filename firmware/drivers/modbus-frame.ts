// RTU frame assembly from timed bytes, pure: the caller passes the time (ms), nothing here reads a clock.
// MOSL §2.5.1.1: a frame ends with a silence of at least 3.5 character times; above 19200 baud a fixed
// 1.75 ms is recommended. A character is 11 bits in the specification (start, 8 data, parity or 2nd stop,
// stop); 8N1 links send 10, so the caller passes its own bits per character.

import { crc16, requestLength, responseLength } from "./modbus-rtu";

/** How a framer cuts: by silence only (0), or also by a frame's length predicted from its first bytes. */
export type CutMode = 0 | ((b: string) => number);
/** Cut by silence only. */
export const CUT_SILENCE: CutMode = 0;
/** Also cut as soon as a complete response with a good CRC is buffered (master side). The length function
 *  itself, so that a master's firmware does not carry the request parser, nor a slave's the response one. */
export const CUT_RESPONSES: CutMode = responseLength;
/** Also cut as soon as a complete request with a good CRC is buffered (slave side). */
export const CUT_REQUESTS: CutMode = requestLength;

/** Longest RTU ADU (MOSL §2.5.1: 256 bytes); more than that without silence is flushed as one bad frame. */
const MAX_ADU = 256;

/** Silence that ends a frame, in ms, for a baud rate and bits per character. */
export function frameGap_ms(baud: number, bits = 10): number {
  return baud > 19200 ? 1.75 : (3.5 * bits * 1000) / baud;
}

/**
 * Assembles frames. `push(bytes, t)` takes a chunk whose LAST byte was received at t (ms); the bytes of one
 * chunk are taken as back to back. A new chunk whose first byte started at least one frame gap after the
 * previous byte ended starts a new frame. `poll(now)` ends the pending frame once the line has been silent
 * for the gap. Silence is the rule of the specification; with CUT_RESPONSES / CUT_REQUESTS a frame is also
 * cut as soon as its predicted length is buffered and its CRC checks, which separates two frames that
 * arrive in one chunk (the interpreter delivers UART data in chunks whose timing is only approximate).
 */
export class RtuFramer {
  b = ""; // bytes of the frame being assembled
  t = 0; // when the last of them was received, ms
  g: number; // frame gap, ms
  c: number; // one character time, ms
  m: CutMode; // CUT_*

  constructor(baud: number, mode: CutMode, bits = 10) {
    this.g = frameGap_ms(baud, bits);
    this.c = (bits * 1000) / baud;
    this.m = mode;
  }

  push(data: string, t_ms: number, out: (frame: string) => void): void {
    if (!data.length) return;
    const start = t_ms - data.length * this.c; // when the first byte of the chunk started
    if (this.b.length && start - this.t >= this.g - 1e-9) this.flush(out);
    this.b += data;
    this.t = t_ms;
    if (this.m) this.cut(this.m, out);
    if (this.b.length > MAX_ADU) this.flush(out);
  }

  /** Ends the pending frame when the line has been silent for the frame gap since its last byte. */
  poll(now_ms: number, out: (frame: string) => void): void {
    if (this.b.length && now_ms - this.t >= this.g - 1e-9) this.flush(out);
  }

  /** ms until poll() can end the pending frame (0 when nothing is pending). */
  due(now_ms: number): number {
    return this.b.length ? Math.max(0, this.t + this.g - now_ms) : 0;
  }

  reset(): void {
    this.b = "";
  }

  flush(out: (frame: string) => void): void {
    const f = this.b;
    this.b = "";
    if (f.length) out(f);
  }

  // Emits every complete, CRC-valid frame at the start of the buffer.
  cut(length: (b: string) => number, out: (frame: string) => void): void {
    for (;;) {
      const b = this.b;
      const n = length(b);
      if (n < 4 || n > MAX_ADU || b.length < n) return;
      if (crc16(b, 0, n - 2) !== (b.charCodeAt(n - 2) | (b.charCodeAt(n - 1) << 8))) return;
      this.b = b.substr(n);
      out(b.substr(0, n));
    }
  }
}
