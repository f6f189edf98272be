// require("Storage").open(): the StorageFile layer over the files of the Storage area (file-area.ts), as the
// Espruino interpreter keeps it (jswrap_storage.c, 2v29; behaviour re-implemented here, not copied): numbered chunk
// files of one name, the data ending at the first 0xFF byte.
import { FileArea, FLAG_STORAGEFILE, HEADER_BYTES, NAME_BYTES, NONE, binaryString } from "./file-area";

/** What a StorageFile needs from the Storage object that opened it. */
export interface StorageFileHost {
  area: FileArea;
  /** Data bytes of a chunk (the interpreter: min(page, 4096) - 32). */
  chunkBytes: number;
  /** Bytes of data given to StorageFile.write (String(data); strict mode refuses 0xFF, see storage.ts). */
  appendBytes: (data: unknown) => Uint8Array;
}

const MODE_R = 114; // "r"
const MODE_W = 119; // "w"
const MODE_A = 97; // "a"

/**
 * require("Storage").open(name, mode): a file that can be appended to, kept as numbered chunk files
 * "name\x01", "name\x02", ... (up to 255) of chunkBytes each; the first 0xFF byte marks the end of the data.
 * Like the interpreter's object it carries name, chunk, offset and mode (a char code, 0 once erased or failed).
 */
export class StorageFile {
  name: string;
  chunk = 1;
  offset = 0;
  mode: number;
  readonly #host: StorageFileHost;
  readonly #base: Uint8Array;
  readonly #chunkAt: number;

  constructor(host: StorageFileHost, name: string, nameBytes: Uint8Array, mode: string) {
    this.#host = host;
    this.name = name;
    this.#base = new Uint8Array(NAME_BYTES);
    this.#base.set(nameBytes.subarray(0, NAME_BYTES));
    // The chunk number replaces the byte after the name (the 28th character of a 28-character name).
    let at = NAME_BYTES - 1;
    while (at > 0 && this.#base[at - 1] === 0) at--;
    this.#chunkAt = at;
    this.mode = mode === "r" ? MODE_R : mode === "w" ? MODE_W : MODE_A;
    const area = host.area;
    let h = area.find(this.chunkName(1));
    if (this.mode === MODE_W && h !== NONE) {
      this.erase();
      this.mode = MODE_W;
      h = NONE;
    }
    if (this.mode === MODE_A && h !== NONE) {
      // Skip full chunks (their last byte is written), then find the end of the data in the last one.
      while (h !== NONE && this.lastByte(h) !== 0xff && this.chunk < 255) h = area.find(this.chunkName(++this.chunk));
      if (h !== NONE) this.offset = this.dataEnd(h);
    }
  }

  /** Up to `length` bytes from the current position, or undefined at the end. */
  read(length: number): string | undefined {
    return this.readInternal(Math.max(0, Math.floor(Number(length)) || 0), false);
  }

  /** Up to and including the next "\n" (or to the end), or undefined at the end. */
  readLine(): string | undefined {
    return this.readInternal(0, true);
  }

  /** Length of the data in bytes (walks every chunk, as the interpreter does). */
  getLength(): number {
    const area = this.#host.area;
    let chunk = 1;
    let length = 0;
    let h = area.find(this.chunkName(chunk));
    while (h !== NONE && this.lastByte(h) !== 0xff && chunk < 255) {
      length += area.fileSize(h);
      h = area.find(this.chunkName(++chunk));
    }
    return h === NONE ? length : length + this.dataEnd(h);
  }

  /** Append data (written through at once; no close needed). */
  write(data: unknown): void {
    const host = this.#host;
    if (this.mode !== MODE_W && this.mode !== MODE_A) host.area.o.fail("Can't write in this mode");
    const bytes = host.appendBytes(data);
    if (bytes.length === 0) return;
    const area = host.area;
    const h = area.find(this.chunkName(this.chunk));
    if (h === NONE) {
      this.newChunk(this.chunk, bytes, 0);
      this.offset = bytes.length;
      return;
    }
    const remaining = Math.max(0, area.fileSize(h) - this.offset);
    const at = h + HEADER_BYTES + this.offset;
    if (bytes.length < remaining) {
      area.programAt(at, bytes);
      this.offset += bytes.length;
      return;
    }
    // Fill this chunk, then start the next with the rest (which may be empty).
    area.programAt(at, bytes, 0, remaining);
    this.offset += remaining;
    if (this.chunk === 255) area.o.fail("File too big!");
    this.newChunk(this.chunk + 1, bytes, remaining);
    this.chunk++;
    this.offset = bytes.length - remaining;
  }

  /** Erase every chunk; the object can no longer be read or written. */
  erase(): void {
    const area = this.#host.area;
    let chunk = 1;
    while (area.eraseFile(this.chunkName(chunk))) chunk++;
    this.chunk = 1;
    this.offset = 0;
    this.mode = 0;
  }

  private newChunk(chunk: number, bytes: Uint8Array, from: number): void {
    try {
      this.#host.area.writeFile(this.chunkName(chunk), bytes.subarray(from), FLAG_STORAGEFILE, 0, this.#host.chunkBytes);
    } catch (e) {
      this.mode = 0; // as the interpreter: no more writing after a failed chunk
      throw e;
    }
  }

  private readInternal(length: number, line: boolean): string | undefined {
    const area = this.#host.area;
    if (this.mode !== MODE_R) area.o.fail("Can't read in this mode");
    let h = area.find(this.chunkName(this.chunk));
    if (h === NONE) return undefined;
    const bytes = area.flash.bytes;
    let fileLength = area.fileSize(h);
    let offset = this.offset;
    let result: string | undefined;
    let wanted = line ? Infinity : length;
    while (wanted > 0) {
      if (fileLength - offset <= 0) {
        offset = 0;
        h = this.chunk === 255 ? NONE : area.find(this.chunkName(++this.chunk));
        this.offset = 0;
        if (h === NONE) return result;
        fileLength = area.fileSize(h);
      }
      const start = h + HEADER_BYTES + offset;
      const stop = start + Math.min(wanted, fileLength - offset);
      let i = start;
      let done = false;
      for (; i < stop; i++) {
        if (bytes[i] === 0xff) {
          done = true;
          break;
        }
        if (line && bytes[i] === 10) {
          i++;
          done = true;
          break;
        }
      }
      if (i === start) break;
      result = (result ?? "") + binaryString(bytes, start, i);
      offset += i - start;
      wanted = done ? 0 : wanted - (i - start);
    }
    this.offset = offset;
    return result;
  }

  private chunkName(chunk: number): Uint8Array {
    const n = this.#base.slice();
    n[this.#chunkAt] = chunk;
    return n;
  }

  private lastByte(h: number): number {
    return this.#host.area.flash.bytes[h + HEADER_BYTES + this.#host.area.fileSize(h) - 1];
  }

  /** Offset of the first 0xFF in the chunk's data (its whole size if none). */
  private dataEnd(h: number): number {
    const area = this.#host.area;
    const b = area.flash.bytes;
    const start = h + HEADER_BYTES;
    const size = area.fileSize(h);
    let i = 0;
    while (i < size && b[start + i] !== 0xff) i++;
    return i;
  }
}
