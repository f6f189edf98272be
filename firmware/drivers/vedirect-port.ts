// VE.Direct on a UART: 19200 8N1 (docs/protocols.md "VE.Direct text"; 8N1 is Espruino's default framing, and the board's
// serial adds its pins), bytes straight to the stream parser (vedirect.ts), which with the clock also tells gaps in
// the stream and the quality of what the device gives (poll). HEX requests (vedirect-hex.ts builds them) are written
// to the serial port as they are; HEX frames from the device go to onHex (vedirect-hex.ts decodeHexFrame reads them).

import { Clock, SerialPort } from "../hal/types";
import { VeDirectFields, VeDirectParser, VeQuality, createVeDirectParser } from "./vedirect";

export type { VeQuality } from "./vedirect";
/** A port is its parser, with the clock: counters, and poll() for the quality. */
export type VeDirectPort = VeDirectParser;

export function openVeDirectPort(
  serial: SerialPort,
  clock: Clock,
  onBlock: (fields?: VeDirectFields, q?: VeQuality) => void,
  onHex?: (frame: string) => void,
): VeDirectPort {
  const parser = createVeDirectParser(onBlock, onHex, undefined, clock);
  serial.setup(19200);
  serial.on("data", parser.push);
  return parser;
}
