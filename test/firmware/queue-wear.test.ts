// Flash wear and capacity of the queue on an Espruino Pico's Storage (48 KB in three 16 KB flash pages).
// Every queued byte is written once; acknowledged page files become Storage trash that compaction reclaims, so
// the erases grow with the bytes queued, spread over the whole area, and never per push.
import { describe, expect, it } from "vitest";
import { VirtualBoard, batch, text } from "./queue-env";

const pico = { sizeBytes: 48 * 1024, pageBytes: 16 * 1024, programUnitBytes: 4 };

describe("flash queue wear and capacity (Espruino Pico)", () => {
  it("10,000 batches pushed and acknowledged: erases bounded and even, no write conflicts", () => {
    const board = new VirtualBoard(pico);
    // a settings file, as on a node, written first
    board.storage.write("mg.settings", JSON.stringify({ site: "s", node: "n", broker: "mqtt://10.0.0.2" }));
    const N = 10_000;
    const len = text(batch(1, 1)).length;
    for (let s = 1; s <= N; s++) {
      expect(board.queue.push(1, s, text(batch(1, s)))).toBe(true);
      // the gateway is reachable: each batch is acknowledged; one in 50 waits for the next one
      if (s % 50 !== 0) expect(board.queue.ack(1, s)).toBe(true);
      if (s % 50 === 1 && s > 1) expect(board.queue.ack(1, s - 1)).toBe(true);
      if (s % 2_500 === 0) board.boot();
    }
    const wear = board.flash.wear();
    const st = board.queue.stats();
    const bytesPerBatch = 24 + Math.ceil(len / 4) * 4;
    // the whole 48 KB is rewritten about once per (48 KB of queued bytes): erases per flash page
    const ideal = (N * bytesPerBatch) / (48 * 1024);
    console.log(
      `wear: ${N} batches of ${len} bytes (${bytesPerBatch} on flash): max ${wear.maxErases} / min ${wear.minErases} erases per 16 KB page ` +
        `(${wear.totalErases} in all, ideal ${ideal.toFixed(0)} per page); ${(wear.bytesProgrammed / N).toFixed(0)} bytes programmed per batch; ` +
        `at one batch a minute: ${((wear.maxErases / N) * 1440 * 365).toFixed(0)} erases per page per year`,
    );
    expect(wear.conflictBytes).toBe(0); // nothing ever asked flash to set a bit back to 1
    expect(wear.maxErases).toBeLessThan(ideal * 2.5);
    expect(wear.maxErases - wear.minErases).toBeLessThanOrEqual(Math.max(3, wear.maxErases / 4));
    expect(board.storage.read("mg.settings")).toContain("mqtt://10.0.0.2");
    expect(st.records).toBeLessThanOrEqual(1);
    expect(st.merged + st.dropped + st.rejected).toBe(0);
  });

  it("capacity: one-minute batches of 20 channels that fit before merging starts, and after merging", () => {
    const board = new VirtualBoard(pico);
    board.storage.write("mg.settings", JSON.stringify({ site: "s", node: "n", broker: "mqtt://10.0.0.2" }));
    let s = 0;
    while (board.queue.stats().mergeRounds === 0) expect(board.queue.push(1, ++s, text(batch(1, s)))).toBe(true);
    const before = s - 1;
    const st = board.queue.stats();
    // an outage of two weeks: still continuous, at a coarser resolution
    for (let k = 0; k < 14 * 1440 - before; k++) expect(board.queue.push(1, ++s, text(batch(1, s)))).toBe(true);
    const after = board.queue.stats();
    const items = board.queue.next(10_000);
    const m = items.map((it) => JSON.parse(it.t).m || 1);
    console.log(
      `capacity (Pico, ${st.maxPages} page files of ${st.pageBytes} B): ${before} one-minute batches (${(before / 60).toFixed(1)} h) before merging; ` +
        `after 14 days offline: ${after.records} batches, ${after.bytes} B, coarsest ${Math.max(...m)} min, newest ${m[m.length - 1]} min, ` +
        `${after.mergeRounds} merge rounds, ${after.pagesCreated} page files created, ${board.flash.wear().maxErases} erases on the busiest flash page`,
    );
    expect(before).toBeGreaterThan(50);
    // two weeks full: flash wear stays far from the 10,000 cycles an STM32F4 sector is rated for
    expect(board.flash.wear().maxErases).toBeLessThan(1000);
    expect(after.dropped).toBe(0);
    expect(items[0].s).toBe(1);
    expect(items[items.length - 1].e).toBe(s);
    expect(board.boot().next(10_000).length).toBe(items.length);
  });
});
