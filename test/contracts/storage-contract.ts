// Behaviour of require("Storage") that the real Espruino interpreter shows (2v29; the examples of its reference
// documentation and its jsflash.c rules), written once and run against every implementation: the virtual Storage
// of the simulator now, the Espruino Linux build through a small adapter later. Nothing here relies on a behaviour
// of the simulator alone (its strict checks, its power-cut model): those are tested in test/sim.
//
// `make` returns a Storage with nothing in it. Strings are binary strings (one char per byte).
import { describe, expect, it } from "vitest";
import type { StorageApi } from "../../firmware/hal/storage";

export interface StorageContractOptions {
  /** Flash write alignment of the build under test (4 on the boards and the Linux build). */
  alignBytes?: number;
  /** Data bytes of one StorageFile chunk (min(page, 4096) - 32). */
  chunkBytes: number;
  /** A new Storage on the same flash as the last make(), as after a reset; omit where that cannot be done. */
  reboot?: () => StorageApi;
}

const HEADER = 32;
const bytes = (n: number, seed = 0) => Array.from({ length: n }, (_, i) => String.fromCharCode((i * 7 + seed) % 256)).join("");
const text = (n: number, seed = 0) => Array.from({ length: n }, (_, i) => String.fromCharCode(97 + ((i + seed) % 26))).join("");

export function storageContract(name: string, make: () => StorageApi, options: StorageContractOptions): void {
  const align = options.alignBytes ?? 4;
  const cost = (size: number) => HEADER + Math.ceil(size / align) * align;

  describe(`Storage contract: ${name}`, () => {
    it("writes and reads back a file; a missing file reads as undefined", () => {
      const s = make();
      expect(s.write("a", "Some data")).toBe(true);
      expect(s.read("a")).toBe("Some data");
      expect(s.read("nope")).toBeUndefined();
      expect(s.list()).toEqual(["a"]);
    });

    it("keeps every byte value 0..255", () => {
      const s = make();
      const all = bytes(256, 0);
      s.write("bin", all);
      expect(s.read("bin")).toBe(all);
      expect(Array.from(new Uint8Array(s.readArrayBuffer("bin")!))).toEqual(Array.from({ length: 256 }, (_, i) => (i * 7) % 256));
      expect(s.readArrayBuffer("nope")).toBeUndefined();
    });

    it("writes arrays and typed arrays as bytes, read back as a string", () => {
      const s = make();
      s.write("arr", [72, 105, 0, 255]);
      expect(s.read("arr")).toBe("Hi\x00\xff");
      s.write("u8", new Uint8Array([1, 2, 3]));
      expect(s.read("u8")).toBe("\x01\x02\x03");
    });

    it("creates a file of `size` and fills it at offsets (the reference example)", () => {
      const s = make();
      expect(s.write("a", "Hello", 0, 14)).toBe(true);
      expect(s.read("a")).toBe("Hello" + "\xff".repeat(9));
      s.write("a", " ", 5);
      s.write("a", "World!!!", 6);
      expect(s.read("a")).toBe("Hello World!!!");
      expect(s.getStats().trashCount).toBe(0);
      s.write("a", " ", 0); // writing at 0 again makes a new file
      expect(s.read("a")).toBe(" ");
      expect(s.getStats().trashCount).toBe(1);
    });

    it("reads part of a file, clipping offset and length", () => {
      const s = make();
      s.write("p", "0123456789");
      expect(s.read("p", 3, 4)).toBe("3456");
      expect(s.read("p", 7)).toBe("789");
      expect(s.read("p", 7, 100)).toBe("789");
      expect(s.read("p", -5, 2)).toBe("01");
      expect(s.read("p", 20)).toBe("");
      expect(s.read("p", 0, 0)).toBe("0123456789");
    });

    it("refuses a zero-length file, data past the size, a write into a missing file and rewriting written bytes", () => {
      const s = make();
      expect(() => s.write("z", "")).toThrow();
      s.write("f", "abc", 0, 6);
      expect(() => s.write("f", "defg", 3)).toThrow(); // too much data for the file size
      expect(() => s.write("missing", "x", 2)).toThrow(); // offset into a file that does not exist
      expect(() => s.write("f", "X", 1)).toThrow(); // already written
      expect(s.read("f")).toBe("abc\xff\xff\xff");
      expect(s.write("f", "def", 3)).toBe(true);
      expect(s.read("f")).toBe("abcdef");
    });

    it("a negative offset or size returns false and writes nothing", () => {
      const s = make();
      expect(s.write("n", "x", -1)).toBe(false);
      expect(s.write("n", "x", 0, -1)).toBe(false);
      expect(s.list()).toEqual([]);
    });

    it("rewriting identical contents leaves no trash; different contents leave the old file as trash", () => {
      const s = make();
      s.write("r", "same");
      s.write("r", "same");
      expect(s.getStats()).toMatchObject({ fileCount: 1, trashCount: 0 });
      s.write("r", "different");
      expect(s.read("r")).toBe("different");
      expect(s.getStats()).toMatchObject({ fileCount: 1, trashCount: 1, trashBytes: cost(4) });
    });

    it("stores an object written with write() as standard JSON", () => {
      const s = make();
      s.write("o", { a: 1, b: [true, null, "x"] });
      expect(s.read("o")).toBe('{"a":1,"b":[true,null,"x"]}');
    });

    it("writeJSON/readJSON round-trip; readJSON of a missing file is undefined", () => {
      const s = make();
      const value = { n: 42, neg: -7, f: 1.5, s: "tab\there \"q\" back\\slash", nested: { list: [1, [2, 3], {}], t: true, z: null }, "odd-key": 1, 7: "seven" };
      expect(s.writeJSON("j", value)).toBe(true);
      expect(s.readJSON("j")).toEqual(value);
      expect(s.readJSON("nope")).toBeUndefined();
      s.writeJSON("arr", [1, "two", [3]]);
      expect(s.readJSON("arr")).toEqual([1, "two", [3]]);
    });

    it("readJSON of text that is not JSON throws, or gives undefined with noExceptions", () => {
      const s = make();
      s.write("bad", "{not json");
      expect(() => s.readJSON("bad")).toThrow();
      expect(s.readJSON("bad", true)).toBeUndefined();
    });

    it("erase removes a file (it becomes trash); erasing a missing file does nothing", () => {
      const s = make();
      s.write("a", "1");
      s.write("b", "2");
      s.erase("a");
      s.erase("never");
      expect(s.read("a")).toBeUndefined();
      expect(s.list()).toEqual(["b"]);
      expect(s.getStats()).toMatchObject({ fileCount: 1, trashCount: 1 });
    });

    it("lists in flash order, filtered by a regular expression", () => {
      const s = make();
      for (const n of ["log.1", "cfg", "log.2"]) s.write(n, n);
      s.write("cfg", "changed"); // a replaced file moves to the end
      expect(s.list()).toEqual(["log.1", "log.2", "cfg"]);
      expect(s.list(/^log\./)).toEqual(["log.1", "log.2"]);
      expect(s.list(/nothing/)).toEqual([]);
    });

    it("names are case sensitive and may use all 28 characters", () => {
      const s = make();
      const long = "abcdefghijklmnopqrstuvwxyz01";
      s.write(long, "28");
      s.write(long.slice(0, 27), "27");
      s.write("File", "upper");
      s.write("file", "lower");
      expect(s.read(long)).toBe("28");
      expect(s.read(long.slice(0, 27))).toBe("27");
      expect([s.read("File"), s.read("file")]).toEqual(["upper", "lower"]);
    });

    it("accounts space: header of 32 bytes plus aligned data; free + files + trash = total", () => {
      const s = make();
      const empty = s.getStats();
      expect(empty).toMatchObject({ freeBytes: empty.totalBytes, fileBytes: 0, fileCount: 0, trashBytes: 0, trashCount: 0 });
      s.write("a", text(5));
      s.write("b", text(8));
      s.write("a", text(3));
      const st = s.getStats();
      expect(st.fileBytes).toBe(cost(8) + cost(3));
      expect(st.trashBytes).toBe(cost(5));
      expect(st.freeBytes + st.fileBytes + st.trashBytes).toBe(st.totalBytes);
      expect(s.getFree()).toBe(st.freeBytes);
    });

    it("compact reclaims trash and keeps every live file and its contents", () => {
      const s = make();
      for (let i = 0; i < 20; i++) s.write(`f${i}`, text(40 + i, i));
      for (let i = 0; i < 20; i += 2) s.erase(`f${i}`);
      s.write("f1", text(10, 99));
      const before = s.getStats();
      s.compact();
      const after = s.getStats();
      expect(after).toMatchObject({ trashBytes: 0, trashCount: 0, fileCount: before.fileCount, fileBytes: before.fileBytes });
      expect(after.freeBytes).toBe(before.freeBytes + before.trashBytes);
      expect(s.read("f1")).toBe(text(10, 99));
      for (let i = 3; i < 20; i += 2) expect(s.read(`f${i}`)).toBe(text(40 + i, i));
      s.compact(); // nothing to do
      expect(s.getStats()).toEqual(after);
    });

    it("when only trash is in the way, a write compacts and succeeds", () => {
      const s = make();
      const total = s.getStats().totalBytes;
      const big = Math.floor(total * 0.6);
      s.write("keep", "kept");
      s.write("big", "A", 0, big);
      s.erase("big");
      expect(s.write("big2", "B", 0, big)).toBe(true);
      expect(s.getStats().trashCount).toBe(0);
      expect(s.read("keep")).toBe("kept");
      expect(s.read("big2")!.length).toBe(big);
    });

    it("a file larger than the whole area cannot be written", () => {
      const s = make();
      const total = s.getStats().totalBytes;
      expect(() => s.write("huge", "x", 0, total)).toThrow();
      expect(s.list()).toEqual([]);
    });

    it("eraseAll leaves an empty area", () => {
      const s = make();
      s.write("a", "1");
      s.open("sf", "w").write("line\n");
      s.eraseAll();
      expect(s.list()).toEqual([]);
      const st = s.getStats();
      expect(st.freeBytes).toBe(st.totalBytes);
    });

    describe("StorageFile", () => {
      const example = ["Hell", "o World\n", "Hello\n", "World 2\n", "Hello World 3\n"];

      it("reads the reference example back with read(13)", () => {
        const s = make();
        const f = s.open("foobar", "w");
        for (const part of example) f.write(part);
        const r = s.open("foobar", "r");
        expect([r.read(13), r.read(13), r.read(13), r.read(13), r.read(13)]).toEqual(["Hello World\nH", "ello\nWorld 2\n", "Hello World 3", "\n", undefined]);
      });

      it("reads the reference example back with readLine(), and knows its length", () => {
        const s = make();
        const f = s.open("foobar", "w");
        for (const part of example) f.write(part);
        const r = s.open("foobar", "r");
        expect([r.readLine(), r.readLine(), r.readLine(), r.readLine(), r.readLine()]).toEqual(["Hello World\n", "Hello\n", "World 2\n", "Hello World 3\n", undefined]);
        expect(r.getLength()).toBe(example.join("").length);
        expect(f.getLength()).toBe(example.join("").length);
      });

      it("appends in 'a' mode; 'w' starts again; opening a missing file for reading reads undefined", () => {
        const s = make();
        s.open("log", "w").write("one\n");
        s.open("log", "a").write("two\n");
        expect(s.open("log", "r").read(100)).toBe("one\ntwo\n");
        s.open("log", "w").write("three\n");
        expect(s.open("log", "r").read(100)).toBe("three\n");
        expect(s.open("missing", "r").read(10)).toBeUndefined();
        expect(s.open("missing", "r").readLine()).toBeUndefined();
        expect(s.open("missing", "r").getLength()).toBe(0);
      });

      it("refuses to read in a write mode, to write in read mode, and unknown modes", () => {
        const s = make();
        const w = s.open("m", "w");
        w.write("x");
        expect(() => w.read(1)).toThrow();
        expect(() => s.open("m", "r").write("y")).toThrow();
        expect(() => s.open("m", "x" as "r")).toThrow();
      });

      it("is listed once, with its chunk number, and filtered with {sf}", () => {
        const s = make();
        s.write("plain", "p");
        s.open("sfile", "w").write("data\n");
        expect(s.list()).toEqual(["plain", "sfile\x01"]);
        expect(s.list(undefined, { sf: true })).toEqual(["sfile"]);
        expect(s.list(undefined, { sf: false })).toEqual(["plain"]);
        expect(s.list(/^sf/, { sf: true })).toEqual(["sfile"]);
      });

      it("appends across chunks: many lines, several chunks, read back whole and line by line", () => {
        const s = make();
        const f = s.open("big", "w");
        const lines: string[] = [];
        for (let i = 0; lines.join("").length < options.chunkBytes * 2.5; i++) lines.push(`line ${i} ${text(i % 37, i)}\n`);
        for (const l of lines) f.write(l);
        const all = lines.join("");
        expect(s.list(undefined, { sf: true })).toEqual(["big"]);
        expect(s.list(/^big/).length).toBe(1);
        expect(s.open("big", "r").getLength()).toBe(all.length);
        const r = s.open("big", "r");
        let got = "";
        for (let part = r.read(97); part !== undefined; part = r.read(97)) got += part;
        expect(got).toBe(all);
        const rl = s.open("big", "r");
        const back: string[] = [];
        for (let l = rl.readLine(); l !== undefined; l = rl.readLine()) back.push(l);
        expect(back).toEqual(lines);
        s.open("big", "a").write("tail\n");
        expect(s.open("big", "r").getLength()).toBe(all.length + 5);
      });

      it("a write that exactly fills a chunk continues in the next", () => {
        const s = make();
        const f = s.open("exact", "w");
        f.write(text(options.chunkBytes));
        f.write("next");
        expect(s.open("exact", "r").read(options.chunkBytes + 10)).toBe(text(options.chunkBytes) + "next");
      });

      it("one write larger than a chunk fails when it has to start a chunk (no write after that)", () => {
        const s = make();
        const f = s.open("huge", "w");
        expect(() => f.write(text(options.chunkBytes + 1))).toThrow();
        expect(() => f.write("x")).toThrow();
        const g = s.open("spill", "w");
        g.write("head");
        expect(() => g.write(text(options.chunkBytes * 2))).toThrow(); // fills chunk 1, the rest is too big for chunk 2
        expect(s.open("spill", "r").read(options.chunkBytes)).toBe("head" + text(options.chunkBytes - 4));
      });

      it("erase() removes every chunk and ends writing", () => {
        const s = make();
        const f = s.open("gone", "w");
        f.write(text(options.chunkBytes - 5));
        f.write(text(15));
        f.erase();
        expect(s.list()).toEqual([]);
        expect(s.open("gone", "r").read(1)).toBeUndefined();
        expect(() => f.write("more")).toThrow();
      });

      it("takes names of 27 characters", () => {
        const s = make();
        const long = "abcdefghijklmnopqrstuvwxyz0";
        s.open(long, "w").write("ok\n");
        expect(s.open(long, "r").readLine()).toBe("ok\n");
        expect(s.list(undefined, { sf: true })).toEqual([long]);
      });
    });

    if (options.reboot) {
      const reboot = options.reboot;
      it("files, trash and StorageFiles survive a reset", () => {
        const s = make();
        s.write("keep", bytes(100, 3));
        s.write("gone", "x");
        s.erase("gone");
        s.open("log", "w").write("before\n");
        const stats = s.getStats();
        const t = reboot();
        expect(t.read("keep")).toBe(bytes(100, 3));
        expect(t.list()).toEqual(["keep", "log\x01"]);
        expect(t.getStats()).toEqual(stats);
        t.open("log", "a").write("after\n");
        expect(t.open("log", "r").read(100)).toBe("before\nafter\n");
      });
    }
  });
}
