// require("Storage") of the virtual Espruino, on a VirtualFlash (file-area.ts has the layout on flash,
// storage-file.ts the StorageFile layer).
// Behaviour follows the interpreter (2v29): write(name, data, offset, size) creates a file of `size` and fills it at
// offsets; a whole new write replaces the file (the old one becomes trash); no room -> compact once, then the error
// "Unable to find or create file" (by then a replaced file is already trash); writeJSON stores the interpreter's
// compact form ({a:1}, "\xE9"), which only readJSON reads back; getFree() is the space after the last file.
//
// Where the interpreter is silent, `strict` (the default) makes the simulator loud, so firmware bugs a board would
// hide show up in simulation: creating a file (write, writeJSON, open for writing) with a name longer than 28
// characters (27 for open) or empty, a character above 0xFF in a created name or in data, and the byte 0xFF in
// StorageFile data all throw. With strict: false they behave as on a board: names are cut to 28 bytes, characters
// above 0xFF are stored as UTF-8, 0xFF silently ends a StorageFile. Look-ups (read, erase, open "r") always
// follow the interpreter, so any name list() gives (after a power cut, even "") can be passed back.
//
// Creating a Storage is what a booting board does: it powers the flash back on after a cut and, once per
// power-on, runs the interpreter's start-up check; flash it finds corrupt is erased ("Storage is corrupt.").
import { VirtualFlash } from "./flash";
import { FileArea, FLAG_STORAGEFILE, NAME_BYTES, binaryString } from "./file-area";
import { StorageFile } from "./storage-file";
import type { StorageApi, StorageStats } from "../../firmware/hal/storage";

export { StorageFile } from "./storage-file";

export interface StorageOptions {
  /** JSON of the firmware's realm (readJSON results belong to it). Default: host JSON. */
  json?: { parse(text: string): any; stringify(value: any, replacer?: (key: string, value: any) => any): string | undefined };
  /** Constructors of the firmware's realm; by default taken from the realm `json.parse` belongs to. */
  Error?: ErrorConstructor;
  ArrayBuffer?: ArrayBufferConstructor;
  Array?: ArrayConstructor;
  Object?: ObjectConstructor;
  /** Throw on what a board silently accepts (see the file comment). Default true. */
  strict?: boolean;
  /** Flash write alignment of the board's build: 4, or 8 with 64-bit flash writes. */
  alignBytes?: number;
  /** Data bytes per StorageFile chunk; the interpreter uses min(page, 4096) - 32. */
  storageFileChunkBytes?: number;
  /** Run the start-up check when the flash has just been powered on. Default true. */
  bootCheck?: boolean;
  /** Console lines the interpreter prints ("Compacting...", "Storage is corrupt."). */
  log?: (line: string) => void;
  onEvent?: (e: StorageEvent) => void;
}

export type StorageEvent = { type: "compact"; auto: boolean } | { type: "corrupt-erased" };

export type { StorageStats } from "../../firmware/hal/storage";

/** The API the firmware sees (docs/espruino.md "Storage module"), its files the simulator's StorageFile. */
export type VirtualStorage = StorageApi<StorageFile>;

export function createStorage(flash: VirtualFlash, options: StorageOptions = {}): VirtualStorage {
  const json = options.json ?? JSON;
  const realm = realmOf(json);
  const RealmError: ErrorConstructor = options.Error ?? realm.Error ?? Error;
  const RealmArrayBuffer: ArrayBufferConstructor = options.ArrayBuffer ?? realm.ArrayBuffer ?? ArrayBuffer;
  const RealmArray: ArrayConstructor = options.Array ?? realm.Array ?? Array;
  const RealmObject: ObjectConstructor = options.Object ?? realm.Object ?? Object;
  const strict = options.strict ?? true;
  const log = options.log ?? (() => {});
  const fail = (message: string): never => {
    throw new RealmError(message);
  };
  const area = new FileArea(flash, {
    alignBytes: options.alignBytes ?? 4,
    fail,
    log,
    onCompact: (auto) => options.onEvent?.({ type: "compact", auto }),
  });
  const chunkBytes = options.storageFileChunkBytes ?? Math.min(flash.pageBytes, 4096) - 32;

  if (flash.poweredOff) flash.powerOn();
  if (flash.needsBootCheck && options.bootCheck !== false) {
    flash.needsBootCheck = false;
    if (!area.isValid()) {
      log("Storage is corrupt.");
      log("Erasing Storage Area...");
      area.eraseAll();
      log("Erase complete.");
      options.onEvent?.({ type: "corrupt-erased" });
    }
  }

  /** Bytes of a string: chars 0..255 as bytes; above that strict mode refuses, a board stores UTF-8. */
  const stringBytes = (s: string, what: string, check = strict): Uint8Array => {
    let wide = false;
    for (let i = 0; i < s.length && !wide; i++) wide = s.charCodeAt(i) > 0xff;
    if (!wide) {
      const out = new Uint8Array(s.length);
      for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
      return out;
    }
    if (check) fail(`${what} has a character above 0xFF: Storage holds bytes (use a binary string)`);
    return new Uint8Array(Buffer.from(s, "utf8"));
  };

  /** The 28 name bytes; `creating` applies the strict checks. */
  const nameBytes = (name: unknown, max: number, creating: boolean): { text: string; bytes: Uint8Array } => {
    const s = String(name);
    const check = strict && creating;
    if (check && (s.length === 0 || s.length > max)) fail(`File name ${JSON.stringify(s)} must be 1 to ${max} characters`);
    const text = s.slice(0, NAME_BYTES);
    const bytes = new Uint8Array(NAME_BYTES);
    bytes.set(stringBytes(text, "File name", check).subarray(0, NAME_BYTES));
    return { text, bytes };
  };

  /** Data as the interpreter takes it: strings as bytes, arrays element by element, typed arrays raw. */
  const dataBytes = (data: unknown): Uint8Array => {
    if (typeof data === "string") return stringBytes(data, "Data");
    if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
    if (isArrayBuffer(data)) return new Uint8Array(data as ArrayBuffer).slice();
    if (Array.isArray(data)) {
      const parts = data.map((v) => (typeof v === "string" ? stringBytes(v, "Data") : Uint8Array.of(Number(v) & 0xff)));
      const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      let at = 0;
      for (const p of parts) {
        out.set(p, at);
        at += p.length;
      }
      return out;
    }
    if (data === undefined || data === null) return new Uint8Array(0);
    return Uint8Array.of(Number(data) & 0xff);
  };

  const standardJson = (data: unknown): string => json.stringify(data, bytesAsArray) ?? "undefined";

  const host = {
    area,
    chunkBytes,
    appendBytes: (data: unknown): Uint8Array => {
      const bytes = stringBytes(String(data), "StorageFile data");
      if (strict && bytes.indexOf(0xff) >= 0) fail("StorageFile data must not contain the byte 0xFF (it marks the end of the file)");
      return bytes;
    },
  };

  const readBytes = (name: unknown): Uint8Array | undefined => {
    const h = area.find(nameBytes(name, NAME_BYTES, false).bytes);
    return h < 0 ? undefined : area.flash.bytes.subarray(h + 32, h + 32 + area.fileSize(h));
  };

  const storage: VirtualStorage = {
    write(name, data, offset, size) {
      const n = nameBytes(name, NAME_BYTES, true).bytes;
      if (typeof data === "object" && data !== null && !Array.isArray(data) && !ArrayBuffer.isView(data) && !isArrayBuffer(data)) {
        return area.writeFile(n, stringBytes(standardJson(data), "Data"), 0, 0, 0);
      }
      return area.writeFile(n, dataBytes(data), 0, toInt(offset), toInt(size));
    },
    read(name, offset, length) {
      const all = readBytes(name);
      if (!all) return undefined;
      let from = Math.max(0, toInt(offset));
      let n = toInt(length);
      if (n <= 0) n = all.length;
      if (from > all.length) from = all.length;
      if (from + n > all.length) n = all.length - from;
      return n <= 0 ? "" : binaryString(all, from, from + n);
    },
    readJSON(name, noExceptions) {
      const all = readBytes(name);
      if (!all) return undefined;
      try {
        return json.parse(liberalToStandardJson(binaryString(all, 0, all.length)));
      } catch (e) {
        if (noExceptions) return undefined;
        throw e;
      }
    },
    writeJSON(name, data) {
      const n = nameBytes(name, NAME_BYTES, true).bytes;
      return area.writeFile(n, stringBytes(compactJson(standardJson(data)), "Data"), 0, 0, 0);
    },
    readArrayBuffer(name) {
      const all = readBytes(name);
      if (!all) return undefined;
      const buf = new RealmArrayBuffer(all.length);
      new Uint8Array(buf).set(all);
      return buf;
    },
    list(pattern, filter) {
      const sf = filter && typeof filter === "object" ? filter.sf : undefined;
      const out: string[] = new RealmArray();
      for (const h of area.headers()) {
        if (!area.isReal(h)) continue;
        const isSf = (area.flags(h) & FLAG_STORAGEFILE) !== 0;
        if ((sf === true && !isSf) || (sf === false && isSf)) continue;
        const bytes = area.nameAt(h);
        let len = bytes.indexOf(0);
        if (len < 0) len = NAME_BYTES;
        if (isSf) {
          if (bytes[len - 1] !== 1) continue; // only the first chunk stands for a StorageFile
          if (sf === true) len--;
        }
        const text = binaryString(bytes, 0, len);
        if (pattern && text.match(pattern as RegExp) === null) continue;
        out.push(text);
      }
      return out;
    },
    erase(name) {
      area.eraseFile(nameBytes(name, NAME_BYTES, false).bytes);
    },
    eraseAll() {
      area.eraseAll();
    },
    compact() {
      area.compact(false);
    },
    getFree() {
      return area.stats().freeBytes;
    },
    getStats() {
      const s = area.stats();
      const o = new RealmObject() as StorageStats;
      o.totalBytes = s.totalBytes;
      o.freeBytes = s.freeBytes;
      o.fileBytes = s.fileBytes;
      o.fileCount = s.fileCount;
      o.trashBytes = s.trashBytes;
      o.trashCount = s.trashCount;
      return o;
    },
    open(name, mode) {
      if (mode !== "r" && mode !== "w" && mode !== "a") fail(`Invalid mode ${JSON.stringify(mode)}`);
      const n = nameBytes(name, NAME_BYTES - 1, mode !== "r");
      return new StorageFile(host, n.text, n.bytes, mode);
    },
  };
  return storage;
}

/** Integer argument as the interpreter reads one: missing or not a number -> 0, fractions cut. */
function toInt(v: unknown): number {
  const n = Number(v);
  return Number.isFinite(n) ? Math.trunc(n) : 0;
}

function isArrayBuffer(v: unknown): boolean {
  return Object.prototype.toString.call(v) === "[object ArrayBuffer]";
}

/** JSON.stringify replacer: typed arrays and ArrayBuffers as arrays of numbers, as the interpreter writes them. */
function bytesAsArray(_key: string, value: unknown): unknown {
  const tag = Object.prototype.toString.call(value);
  if (ArrayBuffer.isView(value) && tag !== "[object DataView]") return Array.prototype.slice.call(value);
  if (isArrayBuffer(value)) return Array.prototype.slice.call(new Uint8Array(value as ArrayBuffer));
  return value;
}

type Realm = { Error?: ErrorConstructor; ArrayBuffer?: ArrayBufferConstructor; Array?: ArrayConstructor; Object?: ObjectConstructor };

/** The global object of the realm a JSON object comes from (its parse function's Function constructor knows it). */
function realmOf(json: { parse: unknown }): Realm {
  try {
    const F = (json.parse as { constructor: FunctionConstructor }).constructor;
    return (F("return this")() as Realm) ?? {};
  } catch {
    return {};
  }
}

/**
 * The interpreter's writeJSON form (2v20+): keys that are identifiers or integers lose their quotes, and strings
 * use short escapes: \0..\7, \xHH for other bytes below 32 and from 127, \uHHHH above 0xFF.
 */
export function compactJson(standard: string): string {
  let out = "";
  for (let i = 0; i < standard.length; ) {
    const c = standard[i];
    if (c !== '"') {
      out += c;
      i++;
      continue;
    }
    let j = i + 1;
    while (standard[j] !== '"') j += standard[j] === "\\" ? 2 : 1;
    const value = JSON.parse(standard.slice(i, j + 1)) as string;
    i = j + 1;
    const isKey = standard[i] === ":";
    out += isKey && (/^(0|[1-9][0-9]*)$/.test(value) || (/^[A-Za-z_][A-Za-z0-9_]*$/.test(value) && value.length < 63)) ? value : quote(value);
  }
  return out;
}

function quote(s: string): string {
  const named: Record<string, string> = { "\n": "\\n", "\t": "\\t", "\b": "\\b", "\v": "\\v", "\f": "\\f", "\r": "\\r", "\\": "\\\\", '"': '\\"' };
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    const c = s[i];
    const next = s.charCodeAt(i + 1);
    if (named[c]) out += named[c];
    else if (ch < 8 && !(next >= 48 && next <= 55)) out += "\\" + ch;
    else if (ch < 32 || ch >= 127) out += ch > 255 ? "\\u" + hex(ch, 4) : "\\x" + hex(ch, 2);
    else out += c;
  }
  return out + '"';
}

function hex(n: number, digits: number): string {
  return n.toString(16).toUpperCase().padStart(digits, "0");
}

const WORD = /[A-Za-z_$][A-Za-z0-9_$]*|[0-9][0-9.eE+-]*/y;

/** Turn the interpreter's liberal JSON (bare keys, '...' strings, JS escapes) into standard JSON text. */
export function liberalToStandardJson(text: string): string {
  let out = "";
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i];
    if (c === '"' || c === "'") {
      let s = "";
      i++;
      while (i < n && text[i] !== c) {
        if (text[i] !== "\\") {
          s += text[i++];
          continue;
        }
        const e = text[i + 1];
        i += 2;
        const simple: Record<string, string> = { n: "\n", t: "\t", b: "\b", v: "\v", f: "\f", r: "\r" };
        if (e in simple) s += simple[e];
        else if (e === "x" || e === "u") {
          const len = e === "x" ? 2 : 4;
          s += String.fromCharCode(parseInt(text.slice(i, i + len), 16));
          i += len;
        } else if (e >= "0" && e <= "7") {
          let digits = e;
          while (digits.length < 3 && text[i] >= "0" && text[i] <= "7") digits += text[i++];
          s += String.fromCharCode(parseInt(digits, 8));
        } else s += e ?? "";
      }
      i++;
      out += JSON.stringify(s);
      continue;
    }
    WORD.lastIndex = i;
    const word = WORD.exec(text);
    if (word) {
      i += word[0].length;
      let k = i;
      while (k < n && /\s/.test(text[k])) k++;
      out += text[k] === ":" ? JSON.stringify(word[0]) : word[0];
      continue;
    }
    out += c;
    i++;
  }
  return out;
}
