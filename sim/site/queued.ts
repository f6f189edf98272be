// What a board still holds in its flash queue at the end of a replay: the batches it has not had a PUBACK for. Read
// with the firmware's own queue code (the boot scan a reboot would do) over a read-only view of the board's Storage,
// so the ledger can tell "still queued" (the node will send it once it reaches a gateway) from "lost".
import { openQueue } from "../../firmware/app/queue/flash-queue";
import type { QueueStore } from "../../firmware/app/queue/types";
import { crc32 } from "../vm/crc32";

/** Key of a queued batch: boot and the seqs it covers (s..e; e > s for a merged batch). */
export type QueuedKey = [boot: number, s: number, e: number];

/** The unacknowledged batches in a board's flash queue, oldest first; nothing is written to the flash. */
export function queuedBatches(st: QueueStore): QueuedKey[] {
  const readOnly: QueueStore = {
    write: () => true,
    read: (name, offset, length) => st.read(name, offset, length),
    list: (pattern) => st.list(pattern),
    erase: () => {},
    getStats: () => st.getStats(),
  };
  const q = openQueue(readOnly, { crc: crc32, aggs: [] });
  return q.next(q.stats().records + 1).map((it) => [it.b, it.s, it.e]);
}
