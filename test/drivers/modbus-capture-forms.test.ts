// Modbus captures as technicians bring them (cli/decode/modbus-input.ts, modbus.ts), built from the Modbus
// specifications and EPEver's register list (docs/protocols.md "Modbus RTU"): sniffer text logs with timestamps and
// TX/RX, raw byte streams, the user-defined function codes of a vendor's PC tool, EPEver recognised from the
// registers read, its clock and settings by name.
import { describe, expect, it } from "vitest";
import { decodeModbusCapture, printable } from "../../cli/decode/modbus";
import { adu, readRequest } from "../../firmware/drivers/modbus-rtu";

const hex = (b: ArrayLike<number>) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(" ");
/** A response to a register read: slave, function, byte count, big-endian registers, CRC (MOSL §2.5.1.2). */
const readResponse = (slave: number, fc: number, regs: number[]) => adu([slave, fc, regs.length * 2, ...regs.flatMap((r) => [r >> 8, r & 0xff])]);

function run(input: string | Buffer, map?: "auto" | "epever" | "growatt" | "none") {
  const lines: any[] = [];
  const errors: string[] = [];
  const res = decodeModbusCapture(input, (l) => lines.push(JSON.parse(l)), (l) => errors.push(l), { map });
  return { res, lines, errors };
}

// EPEver live data: PV 36.41 V, 1.20 A at 0x3100..0x3101; battery 12.96 V at 0x3104
const req = readRequest(1, 4, 0x3100, 2)!;
const rsp = readResponse(1, 4, [3641, 120]);

describe("sniffer text logs", () => {
  it("one timestamped TX or RX frame a line, in the forms sniffers write", () => {
    for (const [tx, rx] of [
      [`2024-05-01 12:00:01.123 TX: ${hex(req)}`, `2024-05-01 12:00:01.140 RX: ${hex(rsp)}`],
      [`[12.345] TX ${hex(req)}`, `[12.361] RX ${hex(rsp)}`],
      [`12:00:01.123 > ${hex(req)}`, `12:00:01.140 < ${hex(rsp)}`],
      [`2024-05-01T12:00:01Z [TX] ${hex(req).replace(/ /g, "")}`, `2024-05-01T12:00:01Z [RX] ${hex(rsp).replace(/ /g, "")}`],
      [`12.345 ${hex(req)}`, `12.361 ${hex(rsp)}`], // a timestamp and no direction
    ]) {
      const { res, lines } = run(`${tx}\n${rx}\n`);
      expect(res, tx).toEqual({ frames: 2, rejected: 0 });
      expect(lines[0]).toMatchObject({ dir: "request", fc: 4, start: 0x3100, quantity: 2 });
      expect(lines[1]).toMatchObject({ dir: "response", registers: [3641, 120], values: { pv_V: 36.41, pv_A: 1.2 } });
    }
  });
});

describe("raw byte streams", () => {
  it("finds each frame where its CRC closes, and skips and counts bytes that begin none", () => {
    const noise = [0x00, 0xff, 0x13];
    const bytes = Buffer.from([...noise, ...req, ...rsp, ...noise.slice(0, 2), ...req, ...rsp]);
    const { res, lines, errors } = run(bytes);
    expect(res).toEqual({ frames: 4, rejected: 0 });
    expect(lines.map((l) => l.dir)).toEqual(["request", "response", "request", "response"]);
    expect(lines[3]).toMatchObject({ values: { pv_V: 36.41 } });
    expect(errors).toContain("5 bytes began no frame (no CRC closed after them) and were skipped");
  });

  it("a binary file with no Modbus frame says so once and echoes none of its bytes", () => {
    const junk = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 97 + 13) & 0xff));
    const { res, errors } = run(junk);
    expect(res.frames).toBe(0);
    expect(errors.join("\n")).not.toMatch(/[\x00-\x08\x0e-\x1f\x7f-\xff]/);
  });
});

describe("user-defined function codes (EPEver's PC tool)", () => {
  it("0x43 in the shape of a register read: start and quantity, then the registers, not refused as a wrong function", () => {
    const q = adu([1, 0x43, 0x31, 0x00, 0x00, 0x02]);
    const r = adu([1, 0x43, 4, 0x0e, 0x39, 0x00, 0x78]);
    const { res, lines } = run(`TX ${hex(q)}\nRX ${hex(r)}\n`);
    expect(res).toEqual({ frames: 2, rejected: 0 });
    expect(lines[0]).toMatchObject({ dir: "request", fc: 0x43, function: "user-defined (vendor)", start: 0x3100, quantity: 2 });
    expect(lines[1]).toMatchObject({ dir: "response", fc: 0x43, start: 0x3100, registers: [3641, 120], data: "040E390078" });
  });

  it("0x45 of another shape: its data bytes; a broken CRC is still refused", () => {
    const f = adu([1, 0x45, 0x10, 0x20, 0x30]);
    const { lines } = run(hex(f));
    expect(lines[0]).toMatchObject({ fc: 0x45, function: "user-defined (vendor)", data: "102030" });
    const bad = [...f];
    bad[2] ^= 1;
    expect(run(hex(bad)).errors[0]).toMatch(/rejected: crc 1/);
  });
});

describe("EPEver recognised from its registers; its clock and settings by name", () => {
  it("--map auto names a bare capture's values once it reads EPEver's blocks", () => {
    const { lines, errors } = run(`${hex(req)}\n${hex(rsp)}`);
    expect(errors[0]).toBe("map: EPEver (recognised from the registers read)");
    expect(lines[1].values).toEqual({ pv_V: 36.41, pv_A: 1.2 });
    const growatt = run(`${hex(readRequest(1, 4, 1, 1)!)}\n${hex(readResponse(1, 4, [3641]))}`);
    expect(growatt.lines[1].values).toBeUndefined(); // register 1 alone says nothing of the device
  });

  it("the real-time clock 0x9013-0x9015 as words and as a date; other holding registers by name", () => {
    // 2021-05-03 12:34:56: (min << 8 | sec), (day << 8 | hour), (year-2000 << 8 | month)
    const clock = readResponse(1, 3, [(34 << 8) | 56, (3 << 8) | 12, (21 << 8) | 5]);
    const { lines } = run(`TX ${hex(readRequest(1, 3, 0x9013, 3)!)}\nRX ${hex(clock)}`);
    expect(lines[1].values).toMatchObject({ clock: "2021-05-03 12:34:56", clock_min_sec: (34 << 8) | 56 });
    const night = run(`TX ${hex(readRequest(1, 3, 0x901e, 1)!)}\nRX ${hex(readResponse(1, 3, [500]))}`);
    expect(night.lines[1].values).toEqual({ night_threshold_V: 5 });
  });
});

describe("what is echoed", () => {
  it("escapes every byte that is not printable ASCII", () => {
    expect(printable("ok \x00\x1b[2J\xff")).toBe("ok \\x00\\x1b[2J\\xff");
  });
});
