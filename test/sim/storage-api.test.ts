// What the virtual Storage does beyond the shared contract: objects of the firmware's realm, the strict checks,
// the interpreter's on-flash JSON form, compaction on demand, alignment and StorageFile chunk limits.
import * as vm from "node:vm";
import { describe, expect, it } from "vitest";
import { VirtualFlash } from "../../sim/vm/flash";
import { createStorage, compactJson, liberalToStandardJson, StorageEvent } from "../../sim/vm/storage";

const pico = () => new VirtualFlash({ sizeBytes: 48 * 1024, pageBytes: 16 * 1024 });

describe("virtual Storage: the firmware's realm", () => {
  const ctx = vm.createContext({});
  const realm = vm.runInContext("({ JSON, Object, Array, ArrayBuffer, Error })", ctx) as {
    JSON: JSON;
    Object: ObjectConstructor;
    Array: ArrayConstructor;
    ArrayBuffer: ArrayBufferConstructor;
    Error: ErrorConstructor;
  };
  // Only JSON is passed, as the runtime does: the other constructors are found from it.
  const s = createStorage(pico(), { json: realm.JSON });

  it("readJSON gives objects and arrays of the firmware's realm", () => {
    s.writeJSON("cfg", { a: { b: [1] } });
    const v = s.readJSON("cfg");
    expect(Object.getPrototypeOf(v)).toBe(realm.Object.prototype);
    expect(v.a.b).toBeInstanceOf(realm.Array);
  });

  it("list, getStats, readArrayBuffer and errors belong to that realm too", () => {
    s.write("bin", [1, 2]);
    expect(s.list()).toBeInstanceOf(realm.Array);
    expect(Object.getPrototypeOf(s.getStats())).toBe(realm.Object.prototype);
    expect(s.readArrayBuffer("bin")).toBeInstanceOf(realm.ArrayBuffer);
    let caught: unknown;
    try {
      s.write("bin", "x", 5);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(realm.Error);
  });

  it("takes data made in that realm (arrays, typed arrays, objects)", () => {
    const made = vm.runInContext("({ arr: [65, 66], u8: new Uint8Array([67, 68]), obj: { k: 1 } })", ctx);
    s.write("arr", made.arr);
    s.write("u8", made.u8);
    s.write("obj", made.obj);
    expect([s.read("arr"), s.read("u8"), s.read("obj")]).toEqual(["AB", "CD", '{"k":1}']);
  });

  it("the firmware can run it from inside the context", () => {
    ctx.storage = s;
    const out = vm.runInContext("storage.writeJSON('x', {n: 2}); var o = storage.readJSON('x'); o.n + ':' + (o instanceof Object)", ctx);
    expect(out).toBe("2:true");
  });
});

describe("virtual Storage: strict checks (default) and the interpreter's silent behaviour", () => {
  it("strict: refuses names that are empty or too long, and characters above 0xFF", () => {
    const s = createStorage(pico());
    expect(() => s.write("", "x")).toThrow(/1 to 28/);
    expect(() => s.write("x".repeat(29), "x")).toThrow(/1 to 28/);
    expect(() => s.open("x".repeat(28), "w")).toThrow(/1 to 27/);
    expect(() => s.write("a", "\u20ac")).toThrow(/above 0xFF/);
    expect(s.list()).toEqual([]);
  });

  it("strict checks apply where files are made; look-ups follow the interpreter", () => {
    const s = createStorage(pico());
    s.write("abcdefghijklmnopqrstuvwxyz01", "28");
    expect(s.read("abcdefghijklmnopqrstuvwxyz01-and-more")).toBe("28"); // cut to 28, as on a board
    expect(s.read("")).toBeUndefined();
    expect(s.read("\u20ac")).toBeUndefined();
    expect(s.open("x".repeat(40), "r").read(1)).toBeUndefined();
    s.erase("");
  });

  it("strict: StorageFile data must not contain 0xFF", () => {
    const s = createStorage(pico());
    const f = s.open("log", "w");
    expect(() => f.write("a\xffb")).toThrow(/0xFF/);
    f.write("ok\n");
    expect(s.open("log", "r").read(10)).toBe("ok\n");
  });

  it("interpreter mode: long names are cut to 28 bytes, as on a board", () => {
    const s = createStorage(pico(), { strict: false });
    const long = "abcdefghijklmnopqrstuvwxyz0123";
    s.write(long, "v");
    expect(s.list()).toEqual([long.slice(0, 28)]);
    expect(s.read(long.slice(0, 28))).toBe("v");
  });

  it("interpreter mode: a 28-character StorageFile name loses its last character to the chunk number", () => {
    const s = createStorage(pico(), { strict: false });
    const name28 = "abcdefghijklmnopqrstuvwxyz01";
    s.open(name28, "w").write("x\n");
    expect(s.list()).toEqual([name28.slice(0, 27) + "\x01"]);
    expect(s.open(name28.slice(0, 27) + "Z", "r").read(5)).toBe("x\n"); // the 28th character never mattered
  });

  it("interpreter mode: 0xFF in StorageFile data silently ends the file there", () => {
    const s = createStorage(pico(), { strict: false });
    s.open("log", "w").write("before\xffafter");
    const r = s.open("log", "r");
    expect(r.read(100)).toBe("before");
    expect(r.read(100)).toBeUndefined();
    expect(s.open("log", "r").getLength()).toBe(6);
  });

  it("interpreter mode: characters above 0xFF are stored as UTF-8", () => {
    const s = createStorage(pico(), { strict: false });
    s.write("eur", "\u20ac");
    expect(s.read("eur")).toBe("\xe2\x82\xac");
  });
});

describe("virtual Storage: the interpreter's JSON on flash", () => {
  it("writeJSON stores the compact form: bare keys, short escapes, typed arrays as arrays", () => {
    const s = createStorage(pico());
    s.writeJSON("j", { id: 1, "a-b": 2, 7: 3, _x9: "\xe9\n\x01\x001", big: "\u20ac", u: new Uint8Array([1, 2]) });
    expect(s.read("j")).toBe('{7:3,id:1,"a-b":2,_x9:"\\xE9\\n\\1\\x001",big:"\\u20AC",u:[1,2]}');
    // Not standard JSON: JSON.parse(read()) fails as it does on a board; readJSON reads it.
    expect(() => JSON.parse(s.read("j")!)).toThrow();
    expect(s.readJSON("j")).toEqual({ id: 1, "a-b": 2, 7: 3, _x9: "\xe9\n\x01\x001", big: "\u20ac", u: [1, 2] });
  });

  it("compactJson quotes keys that are not identifiers or integers", () => {
    expect(compactJson('{"a b":1,"-1":2,"01":3,"ok":"x:y","$":4}')).toBe('{"a b":1,"-1":2,"01":3,ok:"x:y","$":4}');
    expect(compactJson('["\\u0000x","\\u00007","\\u007f"]')).toBe('["\\0x","\\x007","\\x7F"]');
  });

  it("readJSON takes what the interpreter's parser takes: bare keys, single quotes, JS escapes", () => {
    expect(liberalToStandardJson("{a:1,'b':'it\\'s',c:\"\\x41\\101\\u0042\\v\"}")).toBe('{"a":1,"b":"it\'s","c":"AAB\\u000b"}');
    const s = createStorage(pico());
    s.write("l", "{ n : -1.5e3, t: true, list: [null, 'q'] }");
    expect(s.readJSON("l")).toEqual({ n: -1500, t: true, list: [null, "q"] });
  });
});

describe("virtual Storage: compaction, alignment, chunks", () => {
  it("runs out of room: compacts once (logged) when trash makes room; else fails, a replaced file already trash", () => {
    const flash = new VirtualFlash({ sizeBytes: 4096, pageBytes: 1024 });
    const events: StorageEvent[] = [];
    const lines: string[] = [];
    const s = createStorage(flash, { onEvent: (e) => events.push(e), log: (l) => lines.push(l) });
    s.write("a", "A", 0, 1500);
    s.write("b", "B", 0, 1500);
    s.erase("a");
    s.write("c", "C", 0, 1500); // fits only after compaction
    expect(events).toEqual([{ type: "compact", auto: true }]);
    expect(lines).toEqual(["Compacting..."]);
    expect(s.list()).toEqual(["b", "c"]);
    expect(() => s.write("b", "bigger", 0, 2600)).toThrow("Unable to find or create file");
    expect(s.read("b")).toBeUndefined(); // the interpreter marks the old file as trash before looking for room
    expect(s.list()).toEqual(["c"]);
  });

  it("fails fast, without compacting, when even the trash would not make room", () => {
    const events: StorageEvent[] = [];
    const s = createStorage(new VirtualFlash({ sizeBytes: 4096, pageBytes: 1024 }), { onEvent: (e) => events.push(e) });
    s.write("a", "A", 0, 3000);
    s.write("b", "B", 0, 500);
    s.erase("b");
    expect(() => s.write("c", "C", 0, 1500)).toThrow("Unable to find or create file");
    expect(events).toEqual([]);
  });

  it("compact() erases only the pages from the first trash on", () => {
    const flash = new VirtualFlash({ sizeBytes: 4096, pageBytes: 1024 });
    const s = createStorage(flash);
    s.write("p0", "x", 0, 1100); // fills page 0 and spills into page 1
    s.write("t", "y", 0, 200);
    s.write("keep", "z", 0, 200);
    s.erase("t");
    s.compact();
    expect(Array.from(flash.erasesPerPage)).toEqual([1, 1, 0, 0]); // page 0 holds the start of p0, before the trash
    expect(s.read("p0")!.length).toBe(1100);
    expect(s.read("keep")!.length).toBe(200);
  });

  it("8-byte alignment (builds with 64-bit flash writes) pads each file to 8", () => {
    const s = createStorage(pico(), { alignBytes: 8 });
    s.write("a", "12345");
    s.write("b", "1");
    expect(s.getStats().fileBytes).toBe(2 * (32 + 8));
    expect(s.read("b")).toBe("1");
  });

  it("a StorageFile chunk takes min(page, 4096) - 32 bytes of data", () => {
    for (const [pageBytes, chunk] of [
      [16 * 1024, 4064],
      [256, 224],
    ]) {
      const s = createStorage(new VirtualFlash({ sizeBytes: 64 * 1024, pageBytes }));
      s.open("f", "w").write("x");
      expect(s.getStats().fileBytes).toBe(32 + chunk);
    }
  });

  it("a StorageFile stops at 255 chunks: 'File too big!'", () => {
    const s = createStorage(new VirtualFlash({ sizeBytes: 128 * 1024, pageBytes: 1024 }), { storageFileChunkBytes: 64 });
    const f = s.open("long", "w");
    for (let i = 0; i < 254; i++) f.write("y".repeat(64));
    f.write("z".repeat(63));
    expect(() => f.write("zz")).toThrow("File too big!");
    expect(s.open("long", "r").getLength()).toBe(255 * 64);
    expect(s.list(undefined, { sf: false })).toEqual([]);
  });

  it("a StorageFile whose next chunk finds no room stops writing", () => {
    const s = createStorage(new VirtualFlash({ sizeBytes: 2048, pageBytes: 256 }));
    s.write("filler", "f", 0, 2048 - 32 - 224 - 32 - 8);
    const f = s.open("log", "w");
    f.write("a".repeat(224));
    expect(() => f.write("b")).toThrow("Unable to find or create file");
    expect(() => f.write("c")).toThrow("Can't write in this mode");
    expect(s.open("log", "r").read(1000)).toBe("a".repeat(224));
  });
});
