// Power cuts at every byte of a queue write: a record write, a record that opens a new page file, an ack.
// After the reboot no torn record is returned, every acknowledged batch stays acknowledged, every batch whose
// write completed is there, and the queue goes on taking batches.
import { describe, expect, it } from "vitest";
import { VirtualBoard, batch, text } from "./queue-env";

const units = [1, 4];

/** Board with batches 1..n pushed and 1..acked acknowledged. */
function setup(unit: number, n: number, acked: number): VirtualBoard {
  const board = new VirtualBoard({ sizeBytes: 48 * 1024, pageBytes: 16 * 1024, programUnitBytes: unit });
  for (let s = 1; s <= n; s++) expect(board.queue.push(1, s, text(batch(1, s)))).toBe(true);
  for (let s = 1; s <= acked; s++) expect(board.queue.ack(1, s)).toBe(true);
  return board;
}

/** Everything the queue returns after a reboot: the keys, and every text checked against the batch it was. */
function expectIntact(board: VirtualBoard, expected: number[]): void {
  const items = board.queue.next(1000);
  expect(items.map((it) => it.s)).toEqual(expected);
  for (const it of items) expect(JSON.parse(it.t)).toEqual({ ...batch(1, it.s), h: 1 });
}

describe("flash queue under power cuts", () => {
  for (const unit of units) {
    it(`cut at every byte of a record write (flash programs ${unit}-byte units)`, () => {
      let torn = 0;
      const t6 = text(batch(1, 6));
      const written = 20 + t6.length; // the ack word is not part of the record write
      for (let n = 0; n <= written + 1; n++) {
        const board = setup(unit, 5, 2);
        board.flash.armPowerCut(n);
        const ok = board.queue.push(1, 6, t6);
        const cut = board.flash.poweredOff;
        board.flash.disarmPowerCut();
        expect(cut).toBe(n <= written); // n = written: every byte programmed, then the power failed
        expect(ok).toBe(!cut);
        const q = board.boot();
        torn += q.stats().torn;
        const whole = n >= written;
        expectIntact(board, whole ? [3, 4, 5, 6] : [3, 4, 5]);
        // the queue takes new batches after the torn one, and they survive the next reboot
        expect(q.push(1, 7, text(batch(1, 7)))).toBe(true);
        board.boot();
        expectIntact(board, whole ? [3, 4, 5, 6, 7] : [3, 4, 5, 7]);
      }
      // every partial write is seen as torn (a torn length word too: then the page takes no more records, which
      // the push after the reboot shows); with 4-byte units a cut in the first word programs nothing at all
      expect(torn).toBe(unit === 1 ? written - 1 : written - 4);
    });

    it(`cut at every byte of a write that opens a new page file (${unit}-byte units)`, () => {
      // a 2 KB page file holds 9 of these 212-byte records: the 10th opens the next page file
      const t10 = text(batch(1, 10));
      let cuts = 0;
      for (let n = 0; n < 200 + t10.length; n++) {
        const board = setup(unit, 9, 3);
        const pagesBefore = board.storage.list(/^mq/).length;
        board.flash.armPowerCut(n);
        const ok = board.queue.push(1, 10, t10);
        const cut = board.flash.poweredOff;
        board.flash.disarmPowerCut();
        if (!cut) {
          expect(board.storage.list(/^mq/).length).toBe(pagesBefore + 1);
          break;
        }
        cuts++;
        expect(ok).toBe(false);
        const q = board.boot();
        const whole = n >= 32 + 4 + 20 + t10.length;
        expectIntact(board, whole ? [4, 5, 6, 7, 8, 9, 10] : [4, 5, 6, 7, 8, 9]);
        expect(q.push(1, 11, text(batch(1, 11)))).toBe(true);
        board.boot();
        expectIntact(board, whole ? [4, 5, 6, 7, 8, 9, 10, 11] : [4, 5, 6, 7, 8, 9, 11]);
      }
      // Storage header (32), page tag (4), record (20 + text): a cut at each of them, and at the very end
      expect(cuts).toBe(32 + 4 + 20 + t10.length + 1);
    });

    it(`cut at every byte of an ack (${unit}-byte units)`, () => {
      for (let n = 0; n <= 4; n++) {
        const board = setup(unit, 5, 2);
        board.flash.armPowerCut(n);
        const ok = board.queue.ack(1, 4);
        const cut = board.flash.poweredOff;
        board.flash.disarmPowerCut();
        expect(ok).toBe(!cut);
        board.boot();
        const keys = board.queue.next(10).map((it) => it.s);
        // a torn ack word counts as acknowledged (the PUBACK had come); an ack that programmed nothing did not happen
        const written = unit === 1 ? n : n >= 4 ? 4 : 0;
        expect(keys).toEqual(written > 0 ? [3, 5] : [3, 4, 5]);
      }
    });
  }

  it("a cut surfaces as a refused push or ack, never as an exception out of the queue", () => {
    const board = setup(1, 3, 0);
    board.flash.armPowerCut(10);
    expect(board.queue.push(1, 4, text(batch(1, 4)))).toBe(false);
    expect(board.flash.poweredOff).toBe(true);
    expect(board.queue.ack(1, 1)).toBe(false); // the flash is off: nothing is marked, the batch stays queued
    expect(board.queue.next(5).map((it) => it.s)).toEqual([1, 2, 3]); // reading still works
    expect(board.queue.stats().rejected).toBe(1);
  });
});
