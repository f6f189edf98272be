// The flash queue's everyday behaviour: write before send, oldest first, acknowledgement, reboot recovery,
// live and backlog, on the virtual Storage and on a plain in-memory Storage.
import { describe, expect, it, vi } from "vitest";
import { openQueue, markHistorical } from "../../firmware/app/queue/flash-queue";
import { MemoryStore, VirtualBoard, batch, options, text } from "./queue-env";

describe("flash queue", () => {
  it("returns batches oldest first, keeps them until acknowledged, forgets them after", () => {
    const q = new VirtualBoard().queue;
    for (let s = 1; s <= 5; s++) expect(q.push(3, s, text(batch(3, s)))).toBe(true);
    expect(q.next(10).map((it) => it.s)).toEqual([1, 2, 3, 4, 5]);
    expect(q.next(2).map((it) => it.s)).toEqual([1, 2]);
    expect(JSON.parse(q.next(1)[0].t)).toEqual({ ...batch(3, 1), h: 1 });
    expect(q.ack(3, 2)).toBe(true);
    expect(q.ack(3, 2)).toBe(false);
    expect(q.ack(4, 1)).toBe(false);
    expect(q.next(10).map((it) => it.s)).toEqual([1, 3, 4, 5]);
    expect(q.stats().records).toBe(4);
  });

  it("counts the unacknowledged batches of a boot in a seq range without reading them", () => {
    const board = new VirtualBoard();
    const q = board.queue;
    for (let s = 1; s <= 10; s++) q.push(2, s, text(batch(2, s)));
    q.push(3, 4, text(batch(3, 4)));
    q.ack(2, 5);
    const read = vi.spyOn(board.storage, "read");
    expect(q.count(2, 3, 7)).toBe(4); // 3, 4, 6, 7
    expect(q.count(2, 11, 20)).toBe(0);
    expect(q.count(3, 1, 100)).toBe(1);
    expect(read).not.toHaveBeenCalled();
    expect(q.next(20)).toHaveLength(10);
    expect(read).toHaveBeenCalled(); // the spy does see the queue's reads
  });

  it("orders by boot then seq, whatever the push order", () => {
    const q = new VirtualBoard().queue;
    q.push(2, 7, text(batch(2, 7)));
    q.push(1, 9, text(batch(1, 9)));
    q.push(2, 3, text(batch(2, 3)));
    expect(q.next(5).map((it) => [it.b, it.s])).toEqual([[1, 9], [2, 3], [2, 7]]);
  });

  it("survives a reboot: unacknowledged batches come back in order, acknowledged ones do not", () => {
    const board = new VirtualBoard();
    for (let s = 1; s <= 40; s++) board.queue.push(1, s, text(batch(1, s)));
    for (let s = 1; s <= 40; s += 3) board.queue.ack(1, s);
    const before = board.queue.next(100);
    const q = board.boot();
    const after = q.next(100);
    expect(after.map((it) => it.s)).toEqual(before.map((it) => it.s));
    expect(after.map((it) => it.t)).toEqual(before.map((it) => it.t));
    expect(q.stats().records).toBe(26);
    expect(q.stats().torn).toBe(0);
    // pushes after the reboot append after what was there
    q.push(2, 1, text(batch(2, 1)));
    expect(board.boot().next(100).length).toBe(27);
  });

  it("splits live and backlog: the batch pushed last this boot is live, the rest goes out marked historical", () => {
    const board = new VirtualBoard();
    board.queue.push(1, 1, text(batch(1, 1)));
    board.queue.push(1, 2, text(batch(1, 2)));
    const live = board.queue.live()!;
    expect([live.s, live.h, live.t]).toEqual([2, 0, text(batch(1, 2))]);
    const items = board.queue.next(5);
    expect(items.map((it) => it.h)).toEqual([1, 0]);
    expect(JSON.parse(items[0].t).h).toBe(1);
    board.queue.ack(1, 2);
    expect(board.queue.live()).toBeUndefined();
    board.queue.push(1, 3, text(batch(1, 3)));
    const q = board.boot();
    expect(q.live()).toBeUndefined(); // after a reboot everything queued is backlog
    expect(q.next(5).map((it) => it.h)).toEqual([1, 1]);
  });

  it("marks a batch historical once", () => {
    expect(markHistorical('{"b":1,"s":2}')).toBe('{"h":1,"b":1,"s":2}');
    expect(markHistorical('{"h":1,"b":1}')).toBe('{"h":1,"b":1}');
  });

  it("erases a page file once all its batches are acknowledged, and reuses no name", () => {
    const board = new VirtualBoard();
    const q = board.queue;
    for (let s = 1; s <= 30; s++) q.push(1, s, text(batch(1, s)));
    const pages = board.storage.list(/^mq/);
    expect(pages.length).toBeGreaterThan(2);
    for (let s = 1; s <= 30; s++) q.ack(1, s);
    // only the page still being appended to remains
    expect(board.storage.list(/^mq/)).toEqual([pages[pages.length - 1]]);
    expect(q.stats()).toMatchObject({ records: 0, bytes: 0, pages: 1 });
    q.push(1, 31, text(batch(1, 31)));
    expect(board.boot().next(5).map((it) => it.s)).toEqual([31]);
  });

  it("refuses a batch larger than a page, counted, and keeps going", () => {
    const q = new VirtualBoard(undefined, { pageBytes: 512 }).queue;
    expect(q.push(1, 1, text(batch(1, 1, 6)))).toBe(false);
    expect(q.stats().rejected).toBe(1);
    expect(q.push(1, 2, text(batch(1, 2)))).toBe(true);
    expect(q.next(5).map((it) => it.s)).toEqual([2]);
  });

  it("runs on a plain in-memory Storage", () => {
    const store = new MemoryStore();
    const q = openQueue(store, options());
    for (let s = 1; s <= 12; s++) q.push(5, s, text(batch(5, s)));
    q.ack(5, 1, 1);
    const q2 = openQueue(store, options());
    expect(q2.next(20).map((it) => it.s)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  });

  it("sizes itself from Storage's space, leaving the reserve", () => {
    const q = new VirtualBoard().queue; // Pico: 48 KB
    const st = q.stats();
    // (49152 - 4096 reserve) / (2048 + 32) = 21 page files, two kept as room for merging, 60% of the 19 used
    expect(st.maxPages).toBe(11);
    expect(st.pageBytes).toBe(2048);
  });
});
