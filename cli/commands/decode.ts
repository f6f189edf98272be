import { readFileSync, writeSync } from "node:fs";
import { Command, UsageError } from "../command";
import { decodeVeDirectCapture } from "../decode/vedirect";
import { decodeModbusCapture } from "../decode/modbus";

const readerGone = new Error("EPIPE");

/** Writes whole lines to a file descriptor at once (a pipe's reader sees them as they come). When the reader has
 *  gone (EPIPE: `| head` has what it wanted) decoding stops quietly: readerGone is thrown and the command ends
 *  with status 0. A full non-blocking pipe (EAGAIN) is written again until it takes the line. */
function lineWriter(fd: number): (line: string) => void {
  return (line: string) => {
    const b = Buffer.from(line + "\n", "utf8");
    for (let at = 0; at < b.length; ) {
      try {
        at += writeSync(fd, b, at);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === "EPIPE") throw readerGone;
        if (code !== "EAGAIN") throw e;
      }
    }
  };
}

export const decodeCommand: Command = {
  name: "decode",
  usage: `Usage: minigrid decode vedirect FILE
       minigrid decode modbus FILE [--map auto|epever|growatt|none]

For technicians with a capture from a serial sniffer. Prints every decoded frame as one JSON line on stdout, and a
summary of rejected frames with their reasons on stderr. Exit status 0 when at least one frame decoded.

  vedirect FILE   raw bytes as received at 19200 8N1 (text blocks, with HEX frames anywhere)
  modbus FILE     a sniffer's text log (one frame a line in hex, after an optional timestamp and TX/RX),
                  plain hex lines, raw bytes as captured (frames found where their CRC closes), or a JSON
                  list of {"request": hex, "response": hex} pairs

An empty file, or one that is not a capture of that kind, is said so once. Bytes of a binary file are never
echoed: what is shown of a rejected frame is escaped (\\xNN). docs/decode.md describes every form.

Options:
  --map NAME      register map used to name Modbus values (default auto)
  -h, --help      show this help`,
  allowPositionals: true,
  options: { map: { type: "string" } },
  async run(values, positionals) {
    const [kind, file] = positionals;
    if ((kind !== "vedirect" && kind !== "modbus") || !file || positionals.length !== 2)
      throw new UsageError("expected: minigrid decode vedirect|modbus FILE");
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch (e) {
      throw new UsageError(`cannot read ${file}: ${(e as Error).message}`);
    }
    if (bytes.length === 0) {
      process.stderr.write(`${file} is empty: there is no capture in it\n`);
      return 1;
    }
    const out = lineWriter(1);
    const err = lineWriter(2);
    const map = values.map as "auto" | "epever" | "growatt" | "none" | undefined;
    if (map && !["auto", "epever", "growatt", "none"].includes(map)) throw new UsageError(`--map must be auto, epever, growatt or none; got '${map}'`);
    let result: { frames: number; rejected: number };
    try {
      result = kind === "vedirect" ? decodeVeDirectCapture(bytes, out, err) : decodeModbusCapture(bytes, out, err, { map: map ?? "auto" });
    } catch (e) {
      // the reader went away (`minigrid decode ... | head`): nothing more to say, and no one to say it to
      if (e === readerGone) return 0;
      throw e;
    }
    err(`${result.frames} frames decoded, ${result.rejected} rejected`);
    return result.frames > 0 ? 0 : 1;
  },
};
