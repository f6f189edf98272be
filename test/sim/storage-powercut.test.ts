// Power cuts: the cut is swept over every byte a Storage call programs, the board "reboots" (a new Storage on the
// same flash, which runs the interpreter's start-up check), and the state is what the interpreter's rules give.
// Word-atomic programming (programUnitBytes 4) is how STM32F4 and nRF52 flash is written; byte granularity is
// the pessimistic model where any byte of a word can be left unwritten.
import { describe, expect, it } from "vitest";
import { VirtualFlash, isPowerCut } from "../../sim/vm/flash";
import { createStorage, StorageEvent, VirtualStorage } from "../../sim/vm/storage";

const text = (n: number, seed = 0) => Array.from({ length: n }, (_, i) => String.fromCharCode(97 + ((i + seed) % 26))).join("");

/** Run fn with a cut after n programmed bytes; true if the cut struck. */
function cutDuring(flash: VirtualFlash, n: number, fn: () => void, onErase = false): boolean {
  if (onErase) flash.armPowerCutOnErase(n);
  else flash.armPowerCut(n);
  try {
    fn();
  } catch (e) {
    if (!isPowerCut(e)) throw e;
    return true;
  } finally {
    flash.disarmPowerCut();
  }
  return false;
}

function reboot(flash: VirtualFlash): { s: VirtualStorage; wiped: boolean } {
  const events: StorageEvent[] = [];
  const s = createStorage(flash, { onEvent: (e) => events.push(e) });
  return { s, wiped: events.some((e) => e.type === "corrupt-erased") };
}

function expectConsistent(s: VirtualStorage): void {
  const st = s.getStats();
  expect(st.freeBytes + st.fileBytes + st.trashBytes).toBeLessThanOrEqual(st.totalBytes);
  expect(s.getFree()).toBe(st.freeBytes);
  for (const name of s.list()) s.read(name); // never throws
}

/** Classify what read() gives for a record that was being written. */
function classify(got: string | undefined, oldValue: string | undefined, newValue: string): string {
  if (got === undefined) return "absent";
  if (got === newValue) return "new";
  if (got === oldValue) return "old";
  const data = got.replace(/\xff+$/, "");
  if (got.length === newValue.length && newValue.startsWith(data)) return `torn:${data.length}`;
  return "other";
}

describe("Storage across reboots", () => {
  it("a new Storage on the same flash sees the same files, trash and StorageFiles, reboot after reboot", () => {
    const flash = new VirtualFlash({ sizeBytes: 48 * 1024, pageBytes: 16 * 1024 });
    let s = createStorage(flash);
    for (let i = 0; i < 30; i++) s.write(`rec${i}`, text(200, i));
    for (let i = 0; i < 30; i += 4) s.erase(`rec${i}`);
    s.open("log", "w").write("boot 0\n");
    for (let boot = 1; boot <= 5; boot++) {
      const list = s.list();
      const stats = s.getStats();
      s = reboot(flash).s;
      expect(s.list()).toEqual(list);
      expect(s.getStats()).toEqual(stats);
      s.open("log", "a").write(`boot ${boot}\n`);
    }
    expect(s.read("rec1")).toBe(text(200, 1));
    const r = s.open("log", "r");
    expect([0, 1, 2, 3, 4, 5].map(() => r.readLine())).toEqual([0, 1, 2, 3, 4, 5].map((b) => `boot ${b}\n`));
  });

  it("after a cut the old Storage can do nothing more; a new one (the next boot) powers the flash on", () => {
    const flash = new VirtualFlash({ sizeBytes: 16 * 1024, pageBytes: 4096 });
    const s = createStorage(flash);
    expect(cutDuring(flash, 10, () => s.write("a", text(50)))).toBe(true);
    expect(flash.poweredOff).toBe(true);
    let e: unknown;
    try {
      s.write("b", "x");
    } catch (err) {
      e = err;
    }
    expect(isPowerCut(e) && e.during).toBe("off");
    const t = createStorage(flash);
    expect(flash.poweredOff).toBe(false);
    t.write("b", "x");
    expect(t.read("b")).toBe("x");
  });
});

describe("a cut at every byte of a write, with 32-bit word programming", () => {
  const others = (s: VirtualStorage) => [0, 1, 2, 3, 4].every((i) => s.read(`old${i}`) === text(100, i));

  it("a new file is absent until its header is whole, then present with torn data; nothing else changes", () => {
    const counts: Record<string, number> = {};
    for (let n = 0; n <= 340; n++) {
      const flash = new VirtualFlash({ sizeBytes: 16 * 1024, pageBytes: 4096, programUnitBytes: 4 });
      const s = createStorage(flash);
      for (let i = 0; i < 5; i++) s.write(`old${i}`, text(100, i));
      const struck = cutDuring(flash, n, () => s.write("rec", text(300, 7)));
      const { s: t, wiped } = reboot(flash);
      const got = classify(t.read("rec"), undefined, text(300, 7));
      // header (32 bytes) first, then the data; the cut strikes on the last byte too (n = 332)
      expect(got).toBe(n < 32 ? "absent" : n < 332 ? `torn:${(n - 32) & ~3}` : "new"); // whole words only
      expect(struck).toBe(n <= 332);
      expect(wiped).toBe(false);
      expect(others(t)).toBe(true);
      expectConsistent(t);
      // A header cut after its name's first bytes is listed under a name that read() does not find.
      if (n >= 8 && n < 32) expect(t.list()).toContain("rec");
      t.write("probe", text(10));
      expect(t.read("probe")).toBe(text(10));
      t.write("rec", text(300, 9));
      expect(t.read("rec")).toBe(text(300, 9));
      t.compact();
      expect(others(t)).toBe(true);
      counts[got.startsWith("torn") ? "torn" : got] = (counts[got.startsWith("torn") ? "torn" : got] ?? 0) + 1;
    }
    expect(counts).toEqual({ absent: 32, torn: 300, new: 9 });
  });

  it("replacing a file is not atomic: the old contents are gone from the first byte, the new appear with the header", () => {
    for (let n = 0; n <= 340; n++) {
      const flash = new VirtualFlash({ sizeBytes: 16 * 1024, pageBytes: 4096, programUnitBytes: 4 });
      const s = createStorage(flash);
      for (let i = 0; i < 5; i++) s.write(`old${i}`, text(100, i));
      s.write("rec", text(300, 50));
      cutDuring(flash, n, () => s.write("rec", text(300, 7)));
      const { s: t, wiped } = reboot(flash);
      // 4 bytes mark the old file as trash, then the new header (32) and data (300) are written
      const expected = n < 4 ? "old" : n < 36 ? "absent" : n < 336 ? `torn:${(n - 36) & ~3}` : "new";
      expect(classify(t.read("rec"), text(300, 50), text(300, 7))).toBe(expected);
      expect(wiped).toBe(false);
      expect(others(t)).toBe(true);
      expectConsistent(t);
    }
  });
});

describe("a cut at every byte of a write, with byte-granular tearing", () => {
  it("the scan never fails, other files stay intact and the space adds up", () => {
    for (const replace of [false, true]) {
      for (let n = 0; n <= 340; n++) {
        const flash = new VirtualFlash({ sizeBytes: 16 * 1024, pageBytes: 4096 });
        const s = createStorage(flash);
        for (let i = 0; i < 5; i++) s.write(`old${i}`, text(100, i));
        if (replace) s.write("rec", text(300, 50));
        cutDuring(flash, n, () => s.write("rec", text(300, 7)));
        const { s: t, wiped } = reboot(flash);
        expect(wiped).toBe(false);
        expect(classify(t.read("rec"), replace ? text(300, 50) : undefined, text(300, 7))).not.toBe("other");
        for (let i = 0; i < 5; i++) expect(t.read(`old${i}`)).toBe(text(100, i));
        expectConsistent(t);
      }
    }
  });

  it("a header cut inside its size word leaves bytes that garble the next file written over them", () => {
    const garbled: number[] = [];
    for (let n = 0; n <= 40; n++) {
      const flash = new VirtualFlash({ sizeBytes: 16 * 1024, pageBytes: 4096 });
      const s = createStorage(flash);
      s.write("old", text(100));
      cutDuring(flash, n, () => s.write("rec", text(300, 7)));
      const { s: t } = reboot(flash);
      t.write("probe", text(10));
      if (t.read("probe") !== text(10)) garbled.push(n);
      expect(t.read("old")).toBe(text(100));
    }
    // Only 1 or 2 bytes of the size word written: the header is invalid but not erased, so the next
    // file's header is programmed over it (old & new). With 3 bytes the file merely has flags 0xFF.
    expect(garbled).toEqual([1, 2]);
  });

  it("a torn size word at the start of the area, or on its last page, makes the start-up check erase everything", () => {
    const first = new VirtualFlash({ sizeBytes: 16 * 1024, pageBytes: 4096 });
    cutDuring(first, 1, () => createStorage(first).write("rec", text(300)));
    expect(reboot(first).wiped).toBe(true);

    const last = new VirtualFlash({ sizeBytes: 4096, pageBytes: 1024 });
    const s = createStorage(last);
    s.write("fill", "x", 0, 3200);
    cutDuring(last, 2, () => s.write("rec", text(100)));
    const { s: t, wiped } = reboot(last);
    expect(wiped).toBe(true);
    expect(t.list()).toEqual([]);
    expect(t.getFree()).toBe(4096);
  });
});

describe("a cut during compaction", () => {
  const setup = (unit: number) => {
    const flash = new VirtualFlash({ sizeBytes: 2048, pageBytes: 256, programUnitBytes: unit });
    const s = createStorage(flash);
    const want = new Map<string, string>();
    for (let i = 0; i < 24; i++) {
      s.write(`f${i}`, text(20 + ((i * 13) % 50), i));
      want.set(`f${i}`, text(20 + ((i * 13) % 50), i));
    }
    for (let i = 3; i < 24; i += 3) {
      s.erase(`f${i}`);
      want.delete(`f${i}`);
    }
    return { flash, s, want };
  };

  it("at every byte and every erase: either every file survives or the next start-up erases the whole area", () => {
    const { flash: probeFlash, s: probe } = setup(4);
    const bytes0 = probeFlash.bytesProgrammed;
    const erases0 = probeFlash.wear().totalErases;
    probe.compact();
    const total = probeFlash.bytesProgrammed - bytes0;
    const erases = probeFlash.wear().totalErases - erases0;
    let survived = 0;
    let wipedCount = 0;
    for (const unit of [1, 4]) {
      for (let n = 0; n <= total + erases; n++) {
        const { flash, s, want } = setup(unit);
        const onErase = n > total;
        expect(cutDuring(flash, onErase ? n - total : n, () => s.compact(), onErase)).toBe(true);
        const { s: t, wiped } = reboot(flash);
        if (wiped) {
          wipedCount++;
          expect(t.list()).toEqual([]);
        } else {
          survived++;
          for (const [k, v] of want) expect(t.read(k)).toBe(v);
        }
        expectConsistent(t);
        t.write("after", "ok");
        expect(t.read("after")).toBe("ok");
      }
    }
    // Old bytes left at the start of a later page read as a corrupt header: the interpreter then erases
    // everything at power-on. Only cuts that leave erased or header-aligned pages behind survive.
    expect(wipedCount).toBeGreaterThan(survived * 10);
    expect(survived).toBeGreaterThan(0);
  });

  it("a cut half-way through compaction loses every file at the next power-on", () => {
    const { flash, s } = setup(4);
    cutDuring(flash, 600, () => s.compact());
    const { s: t, wiped } = reboot(flash);
    expect(wiped).toBe(true);
    expect(t.getStats()).toMatchObject({ fileCount: 0, trashCount: 0, freeBytes: 2048 });
  });

  it("a cut armed to spare compaction lets the compaction finish and strikes the next write after it", () => {
    const { flash, s, want } = setup(4);
    flash.armPowerCut(10, { spareCompaction: true });
    s.compact(); // programs hundreds of bytes: none of them count
    expect(flash.poweredOff).toBe(false);
    expect(() => s.write("late", text(40))).toThrow(/power cut/);
    const { s: t, wiped } = reboot(flash);
    expect(wiped).toBe(false);
    for (const [k, v] of want) expect(t.read(k)).toBe(v);
    expect(t.read("late")).not.toBe(text(40));
  });
});

describe("a cut while appending to a StorageFile", () => {
  it("leaves a prefix of what was written, and appending after the reboot continues it", () => {
    const lines = Array.from({ length: 12 }, (_, i) => `${i}:${text(30, i)}\n`);
    const all = lines.join("");
    const measure = new VirtualFlash({ sizeBytes: 8192, pageBytes: 256, programUnitBytes: 4 });
    const m = createStorage(measure).open("log", "w");
    for (const l of lines) m.write(l);
    const total = measure.bytesProgrammed;
    for (let n = 0; n <= total; n++) {
      const flash = new VirtualFlash({ sizeBytes: 8192, pageBytes: 256, programUnitBytes: 4 });
      const f = createStorage(flash).open("log", "w");
      cutDuring(flash, n, () => lines.forEach((l) => f.write(l)));
      const { s: t, wiped } = reboot(flash);
      expect(wiped).toBe(false);
      const got = t.open("log", "r").read(10000) ?? "";
      expect(all.startsWith(got)).toBe(true);
      t.open("log", "a").write("after\n");
      expect(t.open("log", "r").read(10000)).toBe(got + "after\n");
    }
  });
});

describe("a cut during eraseAll", () => {
  it("the next start-up finds the half-erased area corrupt and finishes erasing it", () => {
    for (let k = 1; k < 8; k++) {
      const flash = new VirtualFlash({ sizeBytes: 2048, pageBytes: 256 });
      const s = createStorage(flash);
      for (let i = 0; i < 20; i++) s.write(`f${i}`, text(60, i));
      cutDuring(flash, k, () => s.eraseAll(), true);
      const { s: t, wiped } = reboot(flash);
      expect(wiped).toBe(true);
      expect(t.list()).toEqual([]);
    }
  });
});
