// Files in the Storage area of flash, laid out as the Espruino interpreter lays them out (its jsflash.c and
// jswrap_storage.c, 2v29; behaviour re-implemented here, not copied), so that a power cut leaves what a board leaves.
//
// Layout: files one after another from the start of the area, each a 32-byte header then the data, padded to the
// write alignment (4 bytes; 8 on builds with 64-bit flash writes). Header: u32 little-endian size in the low 24 bits
// and flags in the top 8 (64 = StorageFile chunk), then the name, 28 bytes, zero-padded. Erased flash (0xFF...)
// ends the list. Replacing or erasing a file zeroes the first 4 bytes of its name: it becomes trash, still taking
// space, until compact() moves the live files down and erases the freed pages.
// No index is kept in RAM: every call walks the headers in flash as the interpreter does, so a new Storage on the
// same flash (a reboot) sees the same files, and a torn header or torn data is seen exactly as a board would see it.
import { VirtualFlash } from "./flash";
import type { StorageStats } from "../../firmware/hal/storage";

export const HEADER_BYTES = 32;
export const NAME_BYTES = 28;
export const FLAG_STORAGEFILE = 64;
/** Flags a listed/kept file may carry: none, StorageFile, compressed (32, the filename table, is dropped). */
const REAL_FLAGS = [0, FLAG_STORAGEFILE, 128];
export const NONE = -1;
const UNSET = 0xffffffff;

export interface AreaStats extends StorageStats {
  /** Start of the page compaction begins at (the last page starting with a header before the first trash). */
  compactFrom: number;
}

export interface AreaOptions {
  alignBytes: number;
  /** Throws the interpreter's error (an Error of the firmware's realm). */
  fail: (message: string) => never;
  /** Lines the interpreter prints on its console. */
  log: (line: string) => void;
  onCompact?: (auto: boolean) => void;
}

export class FileArea {
  readonly end: number;
  /** Where the last step() landed, NONE when it ran off the area (jsfGetNextFileHeader's address out-parameter). */
  private pos = NONE;
  /** The header address read last (jsfIsStorageValid looks at those bytes). */
  private lastRead = 0;

  constructor(
    readonly flash: VirtualFlash,
    readonly o: AreaOptions,
  ) {
    this.end = flash.sizeBytes;
  }

  sizeWord(h: number): number {
    const b = this.flash.bytes;
    return (b[h] | (b[h + 1] << 8) | (b[h + 2] << 16) | (b[h + 3] << 24)) >>> 0;
  }

  fileSize(h: number): number {
    return this.sizeWord(h) & 0xffffff;
  }

  flags(h: number): number {
    return this.sizeWord(h) >>> 24;
  }

  isTrash(h: number): boolean {
    const b = this.flash.bytes;
    return (b[h + 4] | b[h + 5] | b[h + 6] | b[h + 7]) === 0;
  }

  /** Live, and of a kind that is listed and kept by compaction. */
  isReal(h: number): boolean {
    return !this.isTrash(h) && REAL_FLAGS.indexOf(this.flags(h)) >= 0;
  }

  /** The 28 name bytes of the header at h. */
  nameAt(h: number): Uint8Array {
    return this.flash.bytes.slice(h + 4, h + 4 + NAME_BYTES);
  }

  /** Header address of the first file with this exact 28-byte name, or NONE (-1). */
  find(name: Uint8Array): number {
    const b = this.flash.bytes;
    for (let h = this.first(); h !== NONE; h = this.next(h)) {
      let i = 0;
      while (i < NAME_BYTES && b[h + 4 + i] === name[i]) i++;
      if (i === NAME_BYTES) return h;
    }
    return NONE;
  }

  /** Every header reachable from the start, in flash order (the interpreter's list/compact walk). */
  headers(): number[] {
    const out: number[] = [];
    for (let h = this.first(); h !== NONE; h = this.next(h)) out.push(h);
    return out;
  }

  isErased(addr: number, length: number): boolean {
    const b = this.flash.bytes;
    for (let i = addr; i < addr + length; i++) if (b[i] !== 0xff) return false;
    return true;
  }

  /** jsfGetStorageStats over the whole area. */
  stats(): AreaStats {
    const s: AreaStats = { totalBytes: this.end, freeBytes: 0, fileBytes: 0, fileCount: 0, trashBytes: 0, trashCount: 0, compactFrom: NONE };
    let unbrokenPage = 0;
    let lastEnd = 0;
    for (let h = this.first(); h !== NONE; h = this.next(h)) {
      if (h % this.flash.pageBytes === 0) unbrokenPage = h;
      const bytes = this.align(this.fileSize(h)) + HEADER_BYTES;
      lastEnd = h + bytes;
      if (!this.isTrash(h)) {
        s.fileBytes += bytes;
        s.fileCount++;
      } else {
        s.trashBytes += bytes;
        s.trashCount++;
        if (s.compactFrom === NONE) s.compactFrom = unbrokenPage;
      }
    }
    s.freeBytes = this.end - lastEnd;
    return s;
  }

  /**
   * jsfWriteFile: create the file when offset is 0 (replacing one that differs), then write data at offset.
   * Returns false for a negative offset or size; throws the interpreter's errors otherwise.
   */
  writeFile(name: Uint8Array, data: Uint8Array, flags: number, offset: number, size: number): boolean {
    if (offset < 0 || size < 0) return false;
    if (size === 0) size = data.length;
    if (size === 0) this.o.fail("Can't create zero length file");
    let h = this.find(name);
    let fileSize = h === NONE ? 0 : this.fileSize(h);
    if (offset === 0 && (h === NONE || this.flags(h) !== flags || fileSize !== size || !this.isErased(h + HEADER_BYTES, size))) {
      if (h !== NONE && this.flags(h) === flags && fileSize === size && data.length === size && this.holds(h + HEADER_BYTES, data)) {
        return true; // same contents: nothing is written
      }
      // The old file is marked as trash BEFORE the new one exists: a power cut here leaves neither.
      if (h !== NONE) this.markTrash(h);
      h = this.create(name, size, flags);
      fileSize = size;
    }
    if (h === NONE) this.o.fail("Unable to find or create file");
    if (offset + data.length > fileSize) this.o.fail("Too much data for file size");
    const at = h + HEADER_BYTES + offset;
    if (!this.isErased(at, data.length)) this.o.fail("File already written with different data");
    this.flash.program(at, data);
    return true;
  }

  /** Raw program into a file's data (StorageFile appends this way, with no erased check). */
  programAt(addr: number, data: Uint8Array, from = 0, to = data.length): void {
    this.flash.program(addr, data, from, to);
  }

  eraseFile(name: Uint8Array): boolean {
    const h = this.find(name);
    if (h === NONE) return false;
    this.markTrash(h);
    return true;
  }

  eraseAll(): void {
    for (let p = 0; p < this.flash.pageCount; p++) this.flash.erasePage(p);
  }

  /**
   * jsfCompact: copy the live files from the first page holding trash down to that page's start, page by page
   * (each page erased just before it is rewritten), then erase the pages the files no longer reach.
   * A power cut leaves earlier pages rewritten, the current one partly written, later ones as they were.
   */
  compact(auto: boolean): boolean {
    return this.flash.compacting(() => this.compactNow(auto));
  }

  private compactNow(auto: boolean): boolean {
    const st = this.stats();
    if (st.trashBytes === 0) return false;
    this.o.log("Compacting...");
    this.o.onCompact?.(auto);
    const from = st.compactFrom;
    const keep: number[] = [];
    let walkEnd = from;
    if (this.valid(from)) {
      for (let h = from; h !== NONE; h = this.step(h, true) ? this.pos : NONE) if (this.isReal(h)) keep.push(h);
      walkEnd = this.pos === NONE ? this.end : this.pos;
    }
    let length = 0;
    for (const k of keep) length += HEADER_BYTES + this.align(this.fileSize(k));
    const image = new Uint8Array(length);
    let w = 0;
    for (const k of keep) {
      const n = HEADER_BYTES + this.align(this.fileSize(k));
      image.set(this.flash.bytes.subarray(k, k + n), w);
      w += n;
    }
    const page = this.flash.pageBytes;
    for (let p = from; p < from + length; p += page) {
      this.flash.erasePage(this.flash.pageOf(p));
      this.flash.program(p, image, p - from, Math.min(length, p - from + page));
    }
    const eraseFrom = length === 0 ? from : (this.flash.pageOf(from + length - 1) + 1) * page;
    for (let p = eraseFrom; p < walkEnd; p += page) this.flash.erasePage(this.flash.pageOf(p));
    return true;
  }

  /**
   * jsfIsStorageValid (the "normal" test a board runs at power-on): the walk must end on erased header bytes,
   * or exactly at the end of a full area; an area with no files must be erased throughout.
   */
  isValid(): boolean {
    let h = 0;
    let lastValid = 0;
    if (this.valid(0)) {
      while (this.step(h, true)) h = lastValid = this.pos;
      h = this.pos;
      if (h === NONE) {
        const next = this.align(lastValid + this.fileSize(this.lastRead) + HEADER_BYTES);
        if (next <= this.end && next + HEADER_BYTES > this.end) return true; // full to the end: fine
      }
    }
    const allFF = this.isErased(this.lastRead, Math.min(HEADER_BYTES, this.end - this.lastRead));
    if (allFF && h === 0) return this.isErased(0, this.end);
    return allFF;
  }

  private first(): number {
    return this.valid(0) ? 0 : NONE;
  }

  private next(h: number): number {
    return this.step(h, true) ? this.pos : NONE;
  }

  private valid(h: number): boolean {
    if (h < 0 || h + HEADER_BYTES > this.end) return false;
    this.lastRead = h;
    const w = this.sizeWord(h);
    return w !== UNSET && w !== 0 && h + HEADER_BYTES + (w & 0xffffff) <= this.end;
  }

  /** jsfGetNextFileHeader: the header after h; with jumpPages, an invalid one sends the walk to the next page start. */
  private step(h: number, jumpPages: boolean): boolean {
    const next = this.align(h + HEADER_BYTES + this.fileSize(h));
    this.pos = NONE;
    if (next + HEADER_BYTES > this.end) return false;
    this.pos = next;
    if (this.valid(next)) return true;
    if (!jumpPages) return false;
    this.pos = this.nextPage(next);
    return this.pos !== NONE && this.valid(this.pos);
  }

  private nextPage(addr: number): number {
    if (addr === NONE) return NONE;
    const p = (this.flash.pageOf(addr) + 1) * this.flash.pageBytes;
    return p >= this.end ? NONE : p;
  }

  /** Bytes from addr to the next page start, or to the end of the area if the next page holds no header. */
  private spaceLeftInPage(addr: number): number {
    if (addr === NONE) return 0;
    let next = (this.flash.pageOf(addr) + 1) * this.flash.pageBytes;
    if (next < this.end && !this.valid(next)) next = this.end;
    return next - addr;
  }

  /** jsfCreateFile: first gap that fits (compacting once if trash would make room); writes the header. */
  private create(name: Uint8Array, size: number, flags: number): number {
    const required = this.align(size) + HEADER_BYTES;
    let compacted = false;
    for (;;) {
      let addr = 0;
      let free = 0;
      let trash = 0;
      let at = NONE;
      do {
        if (this.valid(addr)) {
          do {
            if (this.isTrash(addr)) trash += this.fileSize(addr);
          } while (this.step(addr, false) && ((addr = this.pos), true));
          addr = this.pos;
        }
        const space = this.spaceLeftInPage(addr);
        free += space;
        if (space < required) addr = this.nextPage(addr);
        else at = addr;
      } while (addr !== NONE && at === NONE);
      if (at === NONE) {
        if (!compacted && required < free + trash) {
          compacted = true;
          if (!this.compact(true)) return NONE;
          continue;
        }
        return NONE;
      }
      const header = new Uint8Array(HEADER_BYTES);
      const word = (size | (flags << 24)) >>> 0;
      header[0] = word & 0xff;
      header[1] = (word >>> 8) & 0xff;
      header[2] = (word >>> 16) & 0xff;
      header[3] = word >>> 24;
      header.set(name.subarray(0, NAME_BYTES), 4);
      this.flash.program(at, header);
      return at;
    }
  }

  private markTrash(h: number): void {
    this.flash.program(h + 4, [0, 0, 0, 0]);
  }

  private holds(addr: number, data: Uint8Array): boolean {
    const b = this.flash.bytes;
    for (let i = 0; i < data.length; i++) if (b[addr + i] !== data[i]) return false;
    return true;
  }

  private align(n: number): number {
    const a = this.o.alignBytes;
    return Math.ceil(n / a) * a;
  }
}

/** Bytes [from, to) as a binary string (one char per byte). */
export function binaryString(bytes: Uint8Array, from: number, to: number): string {
  let s = "";
  for (let i = from; i < to; i += 8192) s += String.fromCharCode.apply(null, bytes.subarray(i, Math.min(to, i + 8192)) as unknown as number[]);
  return s;
}
