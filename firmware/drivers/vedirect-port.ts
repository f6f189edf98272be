// VE.Direct on a UART: 19200 8N1 (protocols.md "VE.Direct text"), the stream parser fed from the port's 'data'
// events, and the quality of what the device gives (style.md 12), as the samples' quality codes:
//   "o"  ok: a good block arrived less than 5 s ago (the device sends about one a second);
//   "s"  stale: no good block for 5 s (values are old: garbage or a short silence), or none yet;
//   "f"  failed: no good block for 30 s since the last one or since open: unplugged, dead, or nothing but garbage.
// Good blocks bring it back to ok at once. A quiet line for 0.5 s between two bytes ends any block in progress
// (see the parser's push). HEX requests (vedirect-hex.ts builds them) are written to the serial port as they are.

import { Clock, SerialPort } from "../hal/types";
import { VeDirectFields, VeDirectParser, createVeDirectParser } from "./vedirect";

export type VeQuality = "o" | "s" | "f";

export interface VeDirectPort {
  parser: VeDirectParser;
  /** The quality now; when it is not ok, onBlock hears it too, without fields (the board then reports its main
   *  quantities as null with that quality). Called every sample period. */
  poll(): VeQuality;
}

/** Sets the UART up (Espruino's Serial.setup defaults to 8N1; the board's serial adds its pins) and parses what
 *  comes. onBlock gets each good block as it arrives (and the quality from poll() when not ok), onHex each HEX
 *  frame (vedirect-hex.ts decodeHexFrame reads it). */
export function openVeDirectPort(
  serial: SerialPort,
  clock: Clock,
  onBlock: (fields?: VeDirectFields, q?: VeQuality) => void,
  onHex?: (frame: string) => void,
): VeDirectPort {
  const parser = createVeDirectParser(onBlock, onHex);
  const c = parser.counters;
  let lastBlock = clock.seconds(); // of the last good block (of the opening before the first)
  let lastByte: number | undefined;
  serial.setup(19200);
  serial.on("data", function (d: string) {
    const now = clock.seconds();
    const n = c.blocks;
    // before the first byte lastByte is undefined: NaN >= 0.5 is false, so the first bytes are no gap
    parser.push(d, now - (lastByte as number) >= 0.5);
    lastByte = now;
    if (c.blocks > n) lastBlock = now;
  });
  return {
    parser: parser,
    poll: function (): VeQuality {
      const age = clock.seconds() - lastBlock;
      const q = age >= 30 ? "f" : age < 5 && c.blocks ? "o" : "s";
      if (q !== "o") onBlock(undefined, q);
      return q;
    },
  };
}
