// Random sequences of Storage calls (seeded, so a failure replays) checked against a plain in-memory model,
// with reboots and compactions in between; and the wear the interpreter's scheme puts on each page.
import { describe, expect, it } from "vitest";
import { VirtualFlash } from "../../sim/vm/flash";
import { createStorage, StorageEvent, VirtualStorage } from "../../sim/vm/storage";

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const binary = (rnd: () => number, n: number) => Array.from({ length: n }, () => String.fromCharCode((rnd() * 256) | 0)).join("");
const line = (rnd: () => number) => Array.from({ length: 1 + ((rnd() * 60) | 0) }, () => String.fromCharCode(32 + ((rnd() * 95) | 0))).join("") + "\n";

function verify(s: VirtualStorage, files: Map<string, string>, logs: Map<string, string>): void {
  expect(new Set(s.list(undefined, { sf: false }))).toEqual(new Set(files.keys()));
  expect(new Set(s.list(undefined, { sf: true }))).toEqual(new Set(logs.keys()));
  for (const [k, v] of files) expect(s.read(k)).toBe(v);
  for (const [k, v] of logs) {
    expect(s.open(k, "r").read(1 << 20) ?? "").toBe(v);
    expect(s.open(k, "r").getLength()).toBe(v.length);
  }
  const st = s.getStats();
  expect(st.freeBytes + st.fileBytes + st.trashBytes).toBe(st.totalBytes);
  expect(s.getFree()).toBe(st.freeBytes);
}

describe("Storage against a model, random calls", () => {
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    it(`seed ${seed}: 1500 calls with reboots, compactions and full areas`, () => {
      const rnd = prng(seed);
      const flash = new VirtualFlash(seed % 2 ? { sizeBytes: 8 * 1024, pageBytes: 1024 } : { sizeBytes: 16 * 1024, pageBytes: 4096 });
      let autoCompactions = 0;
      let full = 0;
      const onEvent = (e: StorageEvent) => (autoCompactions += e.type === "compact" && e.auto ? 1 : 0);
      let s = createStorage(flash, { onEvent });
      const files = new Map<string, string>();
      const logs = new Map<string, string>();
      const names = Array.from({ length: 24 }, (_, i) => `file${i}`);
      const logNames = ["logA", "logB", "logC"];
      for (let step = 0; step < 1500; step++) {
        const r = rnd();
        const name = names[(rnd() * names.length) | 0];
        try {
          if (r < 0.35) {
            const v = binary(rnd, 1 + ((rnd() * 700) | 0));
            files.delete(name); // from here the old contents are trash, even if the write fails for room
            s.write(name, v);
            files.set(name, v);
          } else if (r < 0.45) {
            // create, then fill in two parts as a board writes a file bigger than its RAM
            const v = binary(rnd, 2 + ((rnd() * 400) | 0));
            const cut = 1 + ((rnd() * (v.length - 1)) | 0);
            files.delete(name);
            s.write(name, v.slice(0, cut), 0, v.length);
            files.set(name, v.slice(0, cut) + "\xff".repeat(v.length - cut));
            s.write(name, v.slice(cut), cut);
            files.set(name, v);
          } else if (r < 0.55) {
            const v = { step, list: [rnd(), "text"], nested: { ok: rnd() < 0.5 } };
            files.delete(name);
            s.writeJSON(name, v);
            files.set(name, s.read(name)!);
            expect(s.readJSON(name)).toEqual(v);
          } else if (r < 0.7) {
            s.erase(name);
            files.delete(name);
          } else if (r < 0.85) {
            const log = logNames[(rnd() * logNames.length) | 0];
            const text = line(rnd);
            const mode = logs.has(log) && rnd() < 0.9 ? "a" : "w";
            if (mode === "w") logs.delete(log);
            const before = logs.get(log) ?? "";
            const f = s.open(log, mode);
            try {
              f.write(text);
              logs.set(log, before + text);
            } catch (e) {
              // No room for the next chunk: what fitted in the current chunk stays, the rest is not written.
              const got = s.open(log, "r").read(1 << 20);
              if (got === undefined) logs.delete(log);
              else {
                expect(got.startsWith(before) && (before + text).startsWith(got)).toBe(true);
                logs.set(log, got);
              }
              throw e;
            }
          } else if (r < 0.88) {
            const log = logNames[(rnd() * logNames.length) | 0];
            s.open(log, "r").erase();
            logs.delete(log);
          } else if (r < 0.93) {
            s.compact();
            expect(s.getStats()).toMatchObject({ trashBytes: 0, trashCount: 0 });
          } else {
            s = createStorage(flash, { onEvent }); // reboot
          }
        } catch (e) {
          // The only error these calls may meet is a full area.
          expect(String((e as Error).message)).toBe("Unable to find or create file");
          full++;
        }
        if (step % 100 === 99) verify(s, files, logs);
      }
      verify(s, files, logs);
      expect(flash.wear().conflictBytes).toBe(0);
      expect(autoCompactions).toBeGreaterThan(0);
      expect(full).toBeGreaterThan(0);
    });
  }
});

describe("wear", () => {
  const compactErases = (fileBytes: number) => {
    const flash = new VirtualFlash({ sizeBytes: 8192, pageBytes: 1024 });
    const s = createStorage(flash);
    for (let i = 0; i < 6; i++) s.write(`f${i}`, "x", 0, fileBytes);
    s.erase("f3");
    const before = Array.from(flash.erasesPerPage);
    s.compact();
    for (const i of [0, 1, 2, 4, 5]) expect(s.read(`f${i}`)!.length).toBe(fileBytes);
    return Array.from(flash.erasesPerPage).map((e, i) => e - before[i]);
  };

  it("compaction restarts at the last page that begins with a header before the first trash", () => {
    // Files of exactly one page each: f3's header starts page 3, so pages 0..2 are left alone; the walk's
    // end (one page past the last file) bounds the clearing, so the empty page 6 is erased too.
    expect(compactErases(1024 - 32)).toEqual([0, 0, 0, 1, 1, 1, 1, 0]);
    // Files that straddle pages: only page 0 begins with a header, so everything is rewritten from there.
    expect(compactErases(1000)).toEqual([1, 1, 1, 1, 1, 1, 1, 0]);
  });

  it("a record replaced over and over: every compaction erases every page of a Pico's Storage", () => {
    const flash = new VirtualFlash({ sizeBytes: 48 * 1024, pageBytes: 16 * 1024 });
    let compactions = 0;
    const s = createStorage(flash, { onEvent: (e) => (compactions += e.type === "compact" ? 1 : 0) });
    s.writeJSON("config", { site: "demo", interval_s: 60 });
    for (let i = 0; i < 3000; i++) s.write("state", `${i}`.padStart(100, "0"));
    // 132 bytes a write (32 header + 100): about 370 writes fill 48 KB, then one compaction.
    expect(compactions).toBe(8);
    expect(Array.from(flash.erasesPerPage)).toEqual([compactions, compactions, compactions]);
    expect(s.read("state")).toBe("2999".padStart(100, "0"));
    expect(s.readJSON("config")).toEqual({ site: "demo", interval_s: 60 });
  });

  it("rewriting identical contents programs nothing", () => {
    const flash = new VirtualFlash({ sizeBytes: 8192, pageBytes: 1024 });
    const s = createStorage(flash);
    s.write("same", "value");
    const programmed = flash.bytesProgrammed;
    for (let i = 0; i < 100; i++) s.write("same", "value");
    expect(flash.bytesProgrammed).toBe(programmed);
  });
});
