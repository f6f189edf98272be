// Test setups for the flash queue: batches like the sampler makes, the virtual Storage on a virtual flash (with
// reboots), and a plain in-memory Storage fake.
import { VirtualFlash } from "../../sim/vm/flash";
import { createStorage, VirtualStorage } from "../../sim/vm/storage";
import { crc32 } from "../../sim/vm/crc32";
import { openQueue, FlashQueue } from "../../firmware/app/queue/flash-queue";
import { QueueOptions, QueueStats, QueueStore } from "../../firmware/app/queue/types";
import { Aggregation } from "../../firmware/protocol/channels";
import { BatchPayload } from "../../firmware/protocol/messages";

/** A 20-channel table like a site with a battery monitor, a charge controller and two feeders. */
export const aggs20: Aggregation[] = [
  "mean", "min", "max", "mean", "mean", "last", "last", "mean", // battery
  "mean", "mean", "mean", "max", "last", "last", // pv / charger
  "mean", "mean", "max", // feeder
  "counter", "counter", "counter", // energy
];

/** One-minute batch `s` of boot `b` with `rows` rows of 20 channels at `i` seconds, values derived from s. */
export function batch(b: number, s: number, rows = 1, i = 60, t0 = 1_700_000_000): BatchPayload {
  const r: (number | null)[][] = [];
  const q: string[] = [];
  for (let k = 0; k < rows; k++) {
    const n = s * rows + k;
    r.push([
      52_400 + (n % 97), 52_100 + (n % 89), 52_900 + (n % 83), -12_345 + n, -6_470 + n, 875 - (n % 50), -12_000 - n, 253 + (n % 9),
      7_150 + n, 1_020 + (n % 31), 7_300 + n, 7_800 + n, 3, 0,
      12_034 + (n % 13), 2_345 + (n % 17), 2_890 + n,
      1_234_567 + 10 * n, 234_567 + 3 * n, 345_678 + 7 * n,
    ]);
    q.push("oooooooooooooooooooo");
  }
  return { b, s, t: t0 + s * rows * i, ts: 1, i, r, q };
}

export const text = (p: BatchPayload) => JSON.stringify(p);

export function options(extra: Partial<QueueOptions> = {}): QueueOptions {
  return { crc: crc32, aggs: aggs20, ...extra };
}

/** What the firmware leaves to the queue's events and push() results, counted since boot. */
export interface Tally {
  /** Batches merged into coarser ones, merge rounds ("queue.merged" events), batches dropped ("queue.dropped"). */
  merged: number;
  mergeRounds: number;
  dropped: number;
  /** push() refusals: batch larger than a page, or flash write failed. */
  rejected: number;
}

export interface TalliedQueue extends FlashQueue {
  /** e defaults to s here (the firmware always passes it). */
  ack(b: number, s: number, e?: number): boolean;
  stats(): QueueStats & Tally;
}

/** A queue whose ack() takes e = s by default and whose stats() adds the Tally, counted from its onEvent and push() results (the caller's onEvent still runs). */
export function tallied(st: QueueStore, o: QueueOptions): TalliedQueue {
  const t: Tally = { merged: 0, mergeRounds: 0, dropped: 0, rejected: 0 };
  const q = openQueue(st, {
    ...o,
    onEvent: (e) => {
      if (e.e === "queue.merged") {
        t.merged += e.d.n;
        t.mergeRounds++;
      } else t.dropped += e.d.n;
      o.onEvent?.(e);
    },
  });
  return {
    ...q,
    push: (b, s, text) => q.push(b, s, text) || (t.rejected++, false),
    ack: (b, s, e) => q.ack(b, s, e ?? s),
    stats: () => ({ ...q.stats(), ...t }),
  };
}

/** The virtual Storage of a board: `boot()` is a (re)boot: a new Storage on the same flash and a new queue. */
export class VirtualBoard {
  flash: VirtualFlash;
  storage!: VirtualStorage;
  queue!: TalliedQueue;
  constructor(
    geometry = { sizeBytes: 48 * 1024, pageBytes: 16 * 1024, programUnitBytes: 1 },
    public opts: Partial<QueueOptions> = {},
  ) {
    this.flash = new VirtualFlash(geometry);
    this.boot();
  }
  boot(): TalliedQueue {
    this.storage = createStorage(this.flash);
    this.queue = tallied(this.storage as QueueStore, options(this.opts));
    return this.queue;
  }
}

/** require("Storage") reduced to what the queue uses, on strings in RAM (flash rules: only 0xFF is written). */
export class MemoryStore implements QueueStore {
  files: { [name: string]: string } = {};
  trash = 0;
  constructor(public totalBytes = 48 * 1024) {}
  write(name: string, data: string, offset = 0, size = 0): boolean {
    let f = this.files[name];
    if (offset === 0) {
      if (f !== undefined) this.trash += 32 + f.length;
      f = "\xff".repeat(size || data.length);
    }
    if (f === undefined) throw new Error("Unable to find or create file");
    if (offset + data.length > f.length) throw new Error("Too much data for file size");
    for (let i = 0; i < data.length; i++) if (f.charCodeAt(offset + i) !== 0xff) throw new Error("File already written with different data");
    this.files[name] = f.slice(0, offset) + data + f.slice(offset + data.length);
    return true;
  }
  read(name: string, offset = 0, length = 0): string | undefined {
    const f = this.files[name];
    if (f === undefined) return undefined;
    return length ? f.substr(offset, length) : f.slice(offset);
  }
  list(pattern?: RegExp): string[] {
    return Object.keys(this.files).filter((n) => !pattern || pattern.test(n));
  }
  erase(name: string): void {
    if (this.files[name] !== undefined) this.trash += 32 + this.files[name].length;
    delete this.files[name];
  }
  compact(): void {
    this.trash = 0;
  }
  getStats() {
    let used = 0;
    for (const n in this.files) used += 32 + this.files[n].length;
    return { totalBytes: this.totalBytes, freeBytes: this.totalBytes - used - this.trash, trashBytes: this.trash };
  }
}
