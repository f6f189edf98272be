// The update receiver: stored as mg.rx beside the program, evaluated by the node only when the gateway begins an
// update (node-app.ts, command "fw"), and dropped once the image is staged or refused, so a node that is not being
// updated pays nothing for it (docs/updates.md). Stages the image into the slot that is not running, chunk by
// chunk at the offsets the gateway sends; what is staged so far is the file up to its first erased byte (the image
// is ASCII: never 0xFF), so after a lost link or a reboot the node answers where it stands and the gateway goes on
// from there. The whole image's CRC-32 is checked before the switch; the switch is one new file (files.ts mg.try).
import { currentFile, imageFile, trialFile } from "./files";

/** The part of require("Storage") the receiver uses. */
export interface ReceiverStore {
  read(name: string, offset?: number, length?: number): string | undefined;
  write(name: string, data: string, offset?: number, size?: number): boolean;
  erase(name: string): void;
  getStats(): { freeBytes: number; trashBytes: number };
}

/** Bytes the Storage must keep free beside a staged image: compaction room and two page files of the queue. */
export const stagingFloorBytes = 4096 + 2 * (2048 + 32);

/**
 * Begin {n: image bytes, k: its CRC-32, b: board id, v: version} or chunk {o: offset, d: bytes, c: their CRC-32}:
 * the answer is {have: bytes staged} ({have, ok: 1} once the whole image is checked and the node restarts into
 * it), or the reason it is refused.
 */
export type Receiver = (a: any) => { have: number; ok?: number } | string;

export function receiver(st: ReceiverStore, crc: (s: string) => number, board: string, restart: (why: string) => void): Receiver {
  let slot = "";
  let head = "";
  let n = 0;
  let k = 0;
  function have(): number {
    const f = st.read(slot) || "";
    const i = f.indexOf("\xff");
    return (i < 0 ? f.length : i) - head.length;
  }
  return function (a: any): { have: number; ok?: number } | string {
    if (a.n !== undefined) {
      if (a.b !== board) return "image built for " + a.b + ", this node is a " + board;
      if (!(a.n > 0) || typeof a.k !== "number") return "a begin needs n (bytes) and k (CRC-32)";
      if (st.read(trialFile) !== undefined) return "an update is on trial";
      slot = imageFile + (st.read(currentFile) === "1" ? "0" : "1");
      n = a.n;
      k = a.k;
      // the staged file opens with a comment naming the image, so that a begin after a reboot finds it again
      head = "//" + k + " " + n + "\n";
      if (st.read(slot, 0, head.length) !== head) {
        st.erase(slot);
        const f = st.getStats();
        const need = 32 + head.length + n + stagingFloorBytes;
        if (f.freeBytes + f.trashBytes < need) {
          slot = "";
          return "no room: the image needs " + need + " bytes with the queue's floor, Storage has " + (f.freeBytes + f.trashBytes);
        }
        st.write(slot, head, 0, head.length + n);
      }
      return check();
    }
    if (!slot) return "no update begun";
    const at = have();
    if (a.o !== at || !a.d || typeof a.d !== "string") return { have: at };
    if (crc(a.d) !== a.c) return "chunk CRC";
    st.write(slot, a.d, head.length + at);
    return check();
  };
  /** Where staging stands; once the whole image is there, its CRC checked and the switch made. */
  function check(): { have: number; ok?: number } | string {
    const h = have();
    if (h < n) return { have: h };
    if (crc(st.read(slot, head.length, n) || "") !== k) {
      st.erase(slot);
      slot = "";
      return "image CRC: staged again from the start";
    }
    st.write(trialFile, slot.charAt(slot.length - 1), 0, 16);
    restart("fw");
    return { have: h, ok: 1 };
  }
}
