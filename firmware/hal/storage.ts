// require("Storage") as the interpreter provides it (2v29; docs/espruino.md "Storage module"), declared once: the
// firmware's view of the module (types/espruino-extra.d.ts), the simulator's virtual Storage (sim/vm/storage.ts) and
// the contract suite every Storage passes (test/contracts/storage-contract.ts) all take these types.

/** getStats(): bytes and files of the Storage area (trash: replaced or erased files not yet compacted away). */
export interface StorageStats {
  totalBytes: number;
  freeBytes: number;
  fileBytes: number;
  fileCount: number;
  trashBytes: number;
  trashCount: number;
}

/** open(name, mode): a file kept in numbered chunks that can be appended to. Strings are binary (a char a byte). */
export interface StorageFileApi {
  read(length: number): string | undefined;
  readLine(): string | undefined;
  write(data: string): void;
  erase(): void;
  getLength(): number;
}

/** The Storage module. `F` is what open() gives (the simulator's StorageFile carries its name, chunk and offset). */
export interface StorageApi<F extends StorageFileApi = StorageFileApi> {
  /**
   * `data` a binary string, an ArrayBuffer or array of bytes; anything else is written as its JSON. With offset and
   * size: a file of `size` bytes created at offset 0, then filled in by later writes.
   */
  write(name: string, data: unknown, offset?: number, size?: number): boolean;
  /** The whole file when offset/length are omitted; undefined when there is no such file. */
  read(name: string, offset?: number, length?: number): string | undefined;
  readJSON(name: string, noExceptions?: boolean): any;
  writeJSON(name: string, data: unknown): boolean;
  readArrayBuffer(name: string): ArrayBuffer | undefined;
  list(pattern?: RegExp | string, filter?: { sf?: boolean }): string[];
  erase(name: string): void;
  eraseAll(): void;
  compact(showMessage?: boolean): void;
  getFree(): number;
  getStats(): StorageStats;
  open(name: string, mode: "r" | "w" | "a"): F;
}
