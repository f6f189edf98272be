import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { boards } from "../../firmware/boards/index";
import { Board } from "../../firmware/boards/types";

// docs/hardware.md is for people, firmware/boards/*.ts for the build: they must say the same.
function hardwareTable(): Map<string, string[]> {
  const text = readFileSync(new URL("../../docs/hardware.md", import.meta.url), "utf8");
  const section = text.split("## Boards")[1].split("\n## ")[0];
  const rows = section.split("\n").filter((l) => l.startsWith("| ") && !l.startsWith("| board") && !l.startsWith("|---"));
  return new Map(rows.map((r) => {
    const cells = r.split("|").slice(1, -1).map((c) => c.trim());
    return [cells[0], cells];
  }));
}

function expectedRow(b: Board): string[] {
  const hex = (n: number) => "0x" + n.toString(16);
  return [
    b.id,
    b.chip,
    String(b.variables),
    String(b.storageBytes),
    String(b.flashPageBytes),
    b.networks.join(" "),
    b.modbus ? `${b.modbus.serial} ${b.modbus.tx} ${b.modbus.rx} ${b.modbus.driverEnable}` : "-",
    b.vedirect ? `${b.vedirect.serial} ${b.vedirect.tx} ${b.vedirect.rx}` : "-",
    b.i2c ? `${b.i2c.bus} ${b.i2c.scl} ${b.i2c.sda}` : "-",
    b.i2c ? b.i2c.ina226Addresses.map(hex).join(" ") : "-",
    b.ctPins.length ? b.ctPins.join(" ") : "-",
  ];
}

describe("boards as data", () => {
  const table = hardwareTable();

  it("hardware.md lists exactly the boards the build knows", () => {
    expect([...table.keys()].sort()).toEqual(boards.map((b) => b.id).sort());
  });

  for (const b of boards) {
    it(`${b.id}: hardware.md agrees with firmware/boards`, () => {
      expect(table.get(b.id)).toEqual(expectedRow(b));
    });
  }

  it("no pin is used twice on one board", () => {
    for (const b of boards) {
      const pins = [
        ...(b.modbus ? [b.modbus.tx, b.modbus.rx, b.modbus.driverEnable] : []),
        ...(b.vedirect ? [b.vedirect.tx, b.vedirect.rx] : []),
        ...(b.i2c ? [b.i2c.scl, b.i2c.sda] : []),
        ...b.ctPins,
      ];
      expect(new Set(pins).size, b.id).toBe(pins.length);
    }
  });

  it("the Pico's variables and flash match the interpreter's figures", () => {
    const pico = boards.find((b) => b.id === "pico")!;
    expect(pico.variables).toBe(5100);
    expect(pico.storageBytes).toBe(48 * 1024);
  });
});
