// Whether a board's Storage has room for updates over the air (docs/updates.md "Room"): the running image and a
// staged one, each at the program's byte budget, the boot loader and the update receiver, and the reserve every
// board keeps beside its program (settings slots, boot and energy files, compaction room, the queue's minimum).
// The build leaves the update code out of a board without that room, and the gateway refuses to update it.
import { Board, PROGRAM_BYTES_MAX, STORAGE_RESERVE_BYTES } from "../boards/types";

/** Storage a file takes beyond its data: the interpreter's 32-byte header. */
const fileHeaderBytes = 32;
/** The boot loader (.bootcde) and the update receiver (mg.rx) with their headers, at most. */
export const UPDATE_FILES_BYTES = 2048;

/** Storage an updatable board needs, bytes. */
export const UPDATE_STORAGE_BYTES = 2 * (PROGRAM_BYTES_MAX + fileHeaderBytes) + UPDATE_FILES_BYTES + STORAGE_RESERVE_BYTES;

export function updatable(board: Pick<Board, "storageBytes" | "settingsFile">): boolean {
  return !board.settingsFile && board.storageBytes >= UPDATE_STORAGE_BYTES;
}
