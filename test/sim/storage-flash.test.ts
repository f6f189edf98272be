import { describe, expect, it } from "vitest";
import { VirtualFlash, PowerCutError, isPowerCut } from "../../sim/vm/flash";

const geometry = { sizeBytes: 4 * 1024, pageBytes: 1024 };

function catchCut(fn: () => void): PowerCutError {
  try {
    fn();
  } catch (e) {
    if (isPowerCut(e)) return e;
    throw e;
  }
  throw new Error("no power cut");
}

describe("VirtualFlash (NOR flash model)", () => {
  it("starts erased to 0xFF with one erase counter per page", () => {
    const f = new VirtualFlash(geometry);
    expect(f.pageCount).toBe(4);
    expect(f.bytes.every((b) => b === 0xff)).toBe(true);
    expect(Array.from(f.erasesPerPage)).toEqual([0, 0, 0, 0]);
  });

  it("refuses geometries that do not split into pages", () => {
    expect(() => new VirtualFlash({ sizeBytes: 1000, pageBytes: 256 })).toThrow(RangeError);
    expect(() => new VirtualFlash({ sizeBytes: 1024, pageBytes: 256, programUnitBytes: 3 })).toThrow(RangeError);
  });

  it("programming only clears bits (new = old & data) and counts conflicts", () => {
    const f = new VirtualFlash(geometry);
    f.program(10, [0xf0, 0x0f]);
    expect(Array.from(f.read(10, 2))).toEqual([0xf0, 0x0f]);
    expect(f.conflictBytes).toBe(0);
    f.program(10, [0x3c, 0xff]);
    expect(Array.from(f.read(10, 2))).toEqual([0x30, 0x0f]);
    expect(f.conflictBytes).toBe(2); // 0x3c and 0xff both asked for bits that were already 0
    expect(f.bytesProgrammed).toBe(4);
    expect(f.programCalls).toBe(2);
  });

  it("programs a slice of a buffer", () => {
    const f = new VirtualFlash(geometry);
    f.program(0, Uint8Array.of(1, 2, 3, 4, 5), 1, 4);
    expect(Array.from(f.read(0, 4))).toEqual([2, 3, 4, 0xff]);
  });

  it("erasing a page restores 0xFF there only and wears that page", () => {
    const f = new VirtualFlash(geometry);
    f.program(1020, new Uint8Array(8).fill(0));
    f.erasePage(0);
    expect(Array.from(f.read(1020, 8))).toEqual([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);
    f.erasePage(0);
    f.erasePage(3);
    expect(f.wear()).toMatchObject({ pages: 4, minErases: 0, maxErases: 2, totalErases: 3 });
  });

  it("rejects accesses outside the chip", () => {
    const f = new VirtualFlash(geometry);
    expect(() => f.program(4095, [0, 0])).toThrow(RangeError);
    expect(() => f.read(-1, 1)).toThrow(RangeError);
    expect(() => f.erasePage(4)).toThrow(RangeError);
  });

  it("a power cut stops a program part-way: bytes before the cut are written, the rest not", () => {
    const f = new VirtualFlash(geometry);
    const seen: PowerCutError[] = [];
    f.onPowerCut((e) => seen.push(e));
    f.program(0, [0, 0]);
    f.armPowerCut(5);
    f.program(100, [1, 2]); // 3 left
    const e = catchCut(() => f.program(200, [9, 9, 9, 9, 9]));
    expect(e).toBeInstanceOf(PowerCutError);
    expect(e).toMatchObject({ during: "program", address: 200, bytesWritten: 3 });
    expect(Array.from(f.read(200, 5))).toEqual([9, 9, 9, 0xff, 0xff]);
    expect(seen).toEqual([e]);
    expect(f.poweredOff).toBe(true);
    expect(f.powerCuts).toBe(1);
    expect(f.needsBootCheck).toBe(true);
  });

  it("while the power is off nothing changes, until powerOn()", () => {
    const f = new VirtualFlash(geometry);
    f.armPowerCut(0);
    expect(catchCut(() => f.program(0, [0])).during).toBe("program");
    expect(catchCut(() => f.program(1, [0])).during).toBe("off");
    expect(catchCut(() => f.erasePage(1)).during).toBe("off");
    expect(f.bytes[0]).toBe(0xff);
    expect(f.powerCuts).toBe(1);
    f.powerOn();
    f.program(0, [0]);
    expect(f.bytes[0]).toBe(0);
  });

  it("a cut when the byte budget is spent exactly leaves the following erase undone", () => {
    const f = new VirtualFlash(geometry);
    f.program(0, [0]);
    f.armPowerCut(2);
    expect(() => f.program(10, [0, 0])).toThrow(PowerCutError); // both bytes written, then the power fails
    expect(Array.from(f.read(10, 2))).toEqual([0, 0]);
    f.powerOn();
    f.erasePage(0);
    expect(f.bytes[0]).toBe(0xff); // a new run erases normally
    const g = new VirtualFlash(geometry);
    g.program(0, [0]);
    g.armPowerCut(0);
    expect(catchCut(() => g.erasePage(0)).during).toBe("erase");
    expect(g.bytes[0]).toBe(0); // the erase never started
    expect(g.erasesPerPage[0]).toBe(0);
  });

  it("armPowerCutOnErase: the k-th erase completes, then the power fails", () => {
    const f = new VirtualFlash(geometry);
    f.program(0, new Uint8Array(4096).fill(0));
    f.armPowerCutOnErase(2);
    f.erasePage(0);
    expect(catchCut(() => f.erasePage(1)).during).toBe("erase");
    expect(f.bytes[1024]).toBe(0xff);
    expect(f.bytes[2048]).toBe(0);
    expect(Array.from(f.erasesPerPage)).toEqual([1, 1, 0, 0]);
  });

  it("with 4-byte program units a cut never splits a word", () => {
    const f = new VirtualFlash({ ...geometry, programUnitBytes: 4 });
    f.armPowerCut(6);
    const e = catchCut(() => f.program(8, new Uint8Array(12).fill(0)));
    expect(e.bytesWritten).toBe(4);
    expect(Array.from(f.read(8, 8))).toEqual([0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]);
  });

  it("disarmPowerCut cancels an armed cut", () => {
    const f = new VirtualFlash(geometry);
    f.armPowerCut(1);
    f.armPowerCutOnErase(1);
    f.disarmPowerCut();
    f.program(0, [0, 0, 0]);
    f.erasePage(0);
    expect(f.poweredOff).toBe(false);
  });

  it("isPowerCut recognises the tag, not the class", () => {
    expect(isPowerCut(new PowerCutError("program", 0, 0))).toBe(true);
    expect(isPowerCut({ tag: "minigrid.power-cut" })).toBe(true);
    expect(isPowerCut(new Error("power cut"))).toBe(false);
    expect(isPowerCut(undefined)).toBe(false);
  });
});
