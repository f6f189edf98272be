// The queue's interfaces: the part of require("Storage") it uses (so the real Storage, the simulator's virtual
// one and a plain in-memory fake all fit), its options, and what it hands to the sender.
import { Aggregation } from "../../protocol/channels";
import type { StorageApi, StorageStats } from "../../hal/storage";

/** The subset of require("Storage") (hal/storage.ts) the queue uses; a fake needs only these. */
export type QueueStore = Pick<StorageApi, "write" | "read" | "list" | "erase"> & {
  getStats(): Pick<StorageStats, "totalBytes" | "freeBytes" | "trashBytes">;
};

export interface QueueEvent {
  /** "queue.merged" or, as a last resort when nothing can be merged, "queue.dropped". */
  e: string;
  d: {
    /** Batches taken in and written out. */
    n: number;
    o: number;
    /** Key [boot, first seq] of the oldest and [boot, last seq] of the newest batch concerned. */
    f: number[];
    l: number[];
    /** Largest merge factor written. */
    m: number;
    /** Bytes of queue space freed. */
    fr: number;
  };
}

export interface QueueOptions {
  /** CRC-32 of a binary string: E.CRC32 on a board. */
  crc: (data: string) => number;
  /** Aggregation of each channel, in channel-table order (for merging when the queue is full): a list, or its
   *  words joined by single spaces. */
  aggs: Aggregation[] | string;
  /** CRC of the channel table `aggs` belongs to: only batches carrying this `ch` (or none, when this is unset) are merged. */
  ch?: number;
  /** Bytes of one page file (a multiple of 4, default 2048, at most 65532). A batch must fit in one page. */
  pageBytes?: number;
  /** At most this many page files of data (the Storage free space is the other limit). */
  maxPages?: number;
  /** Told of every merge (and drop), e.g. to publish an evt. */
  onEvent?: (ev: QueueEvent) => void;
}

/** A queued batch: key (boot b, seqs s..e; e > s only for a merged batch) and its text. */
export interface QueueItem {
  b: number;
  s: number;
  e: number;
  t: string;
  /** 1 for backlog (historical): `t` then carries "h":1. */
  h: number;
}

export interface QueueStats {
  records: number;
  bytes: number;
  pages: number;
  maxPages: number;
  pageBytes: number;
  /** Page files created since boot (each becomes Storage trash once acknowledged: flash wear comes from these). */
  pagesCreated: number;
  /** Torn records found at boot and skipped. (Batches merged or dropped are counted from onEvent, push() refusals
   * from its result: test/firmware/queue-env.ts tallies both in Node.) */
  torn: number;
}
