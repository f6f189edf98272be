import { readFileSync } from "node:fs";
import { Command, UsageError } from "../command";
import { decodeVeDirectCapture } from "../decode/vedirect";
import { decodeModbusCapture } from "../decode/modbus";

export const decodeCommand: Command = {
  name: "decode",
  usage: `Usage: minigrid decode vedirect FILE
       minigrid decode modbus FILE [--map auto|epever|growatt|none]

For technicians with a capture from a serial sniffer. Prints every decoded frame as one JSON line on stdout, and a
summary of rejected frames with their reasons on stderr. Exit status 0 when at least one frame decoded.

  vedirect FILE   raw bytes as received at 19200 8N1 (text blocks, with HEX frames anywhere)
  modbus FILE     a hex dump (one frame per line, optional [time] and TX/RX marks) or a JSON list of
                  {"request": hex, "response": hex} pairs
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
    const out = (line: string) => process.stdout.write(line + "\n");
    const err = (line: string) => process.stderr.write(line + "\n");
    const map = values.map as "auto" | "epever" | "growatt" | "none" | undefined;
    if (map && !["auto", "epever", "growatt", "none"].includes(map)) throw new UsageError(`--map must be auto, epever, growatt or none; got '${map}'`);
    const result = kind === "vedirect" ? decodeVeDirectCapture(bytes, out, err) : decodeModbusCapture(bytes.toString("utf8"), out, err, { map: map ?? "auto" });
    err(`${result.frames} frames decoded, ${result.rejected} rejected`);
    return result.frames > 0 ? 0 : 1;
  },
};
