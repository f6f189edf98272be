// The proof of the controller's pipeline (docs/design.md guarantees 1, 2 and 4): the built firmware in the virtual
// Espruino against a real broker, for a day of virtual time with Wi-Fi dropping for 5 minutes every hour, the broker
// stopped for 6 hours, and 50 power cuts at random instants (some in the middle of flash writes). Every batch the
// firmware wrote to flash reaches the receiver, once after dedup, in order per boot.
// The cuts inside flash writes land in the firmware's own writes (records, acks, new page files, settings), not in
// the interpreter's Storage compaction, which no firmware can make power-safe: it erases each page before rewriting
// it from RAM, and the next start-up erases the whole Storage when a page no longer begins with a file header
// (test/sim/storage-powercut.test.ts; README "Flash wear and power cuts").
import { describe, expect, it } from "vitest";
import { findBoard } from "../../firmware/boards/index";
import { VirtualSite } from "../../sim/site/virtual-site";
import { syntheticSite } from "../../sim/site/synthetic-site";
import { Ledger } from "../../sim/site/ledger";
import { freePort } from "../helpers/mosquitto";
import { startRecordingBroker } from "../helpers/recording-broker";
import { xorshift32 } from "../../sim/random";

const prng = (seed: number) => xorshift32(seed);

type Fault = { atMs: number; what: "link-down" | "link-up" | "broker-stop" | "broker-start" | "power-cut" | "cut-in-write"; bytes?: number };

describe("a day of outages, power cuts and reboots", () => {
  it("every batch produced is stored exactly once, in order per boot", async () => {
    const H = 3600_000;
    const rand = prng(20261128);
    const faults: Fault[] = [];
    for (let h = 0; h < 24; h++) {
      faults.push({ atMs: h * H + 20 * 60_000, what: "link-down" }, { atMs: h * H + 25 * 60_000, what: "link-up" });
    }
    faults.push({ atMs: 8 * H, what: "broker-stop" }, { atMs: 14 * H, what: "broker-start" });
    for (let k = 0; k < 50; k++) {
      const atMs = Math.floor(rand() * 23 * H) + 30 * 60_000;
      faults.push(k % 3 === 0 ? { atMs, what: "cut-in-write", bytes: 1 + Math.floor(rand() * 300) } : { atMs, what: "power-cut" });
    }
    faults.sort((a, b) => a.atMs - b.atMs);

    const ledger = new Ledger();
    const port = await freePort();
    const broker = await startRecordingBroker(port, (node, batch) => ledger.delivered(node, batch));
    const site = new VirtualSite({
      board: findBoard("pico")!,
      site: "proof",
      node: "n1",
      broker: { host: "127.0.0.1", port },
      model: syntheticSite(),
      startUnix: Date.UTC(2026, 5, 1) / 1000,
      withCt: false,
      // a loaded CI machine may take longer than the default 50 ms to answer; a waiting board costs nothing here
      replyWaitMs: 1000,
      onProduced: (b, s) => ledger.produced("proof/n1", b, s),
      onRefused: () => ledger.refused("proof/n1"),
    });
    site.powerOn();
    let cutsInWrite = 0;
    for (const f of faults) {
      await site.esp.runUntil(f.atMs);
      if (f.what === "link-down") site.esp.net.setLinkUp(false);
      else if (f.what === "link-up") site.esp.net.setLinkUp(true);
      else if (f.what === "broker-stop") await broker.stop();
      else if (f.what === "broker-start") await broker.start();
      else if (f.what === "power-cut") site.esp.powerCut();
      else {
        site.esp.powerCutDuringFlashWrite(f.bytes!, { spareCompaction: true });
        cutsInWrite++;
      }
    }
    await site.esp.runUntil(24 * H);
    // then an hour on a good link for the backlog to drain
    await site.esp.runUntil(25 * H);
    await broker.close();

    const [row] = ledger.rows();
    console.log(ledger.format());
    console.log(`resets: ${site.esp.resets.length - 1} (${cutsInWrite} armed inside flash writes), flash erases max/page ${JSON.stringify(site.flash.wear())}`);
    expect(site.esp.resets.filter((r) => r === "power-cut").length).toBeGreaterThanOrEqual(50);
    expect(row.produced).toBeGreaterThan(1300);
    expect(row.lost).toBe(0);
    // the queue took every batch while the board had power: full during the broker's outage, it merged and moved
    // records instead of refusing new ones (it once refused ~95 minutes of batches with all its page files in use)
    expect(row.refused).toBe(0);
    expect(row.outOfOrder).toBe(0);
    expect(row.stored).toBeGreaterThan(0);
    // resent only what a cut or a drop left unacknowledged (every batch went twice when a stale answer let the
    // virtual clock run on to the retransmission): the data plan pays for every duplicate
    expect(row.duplicates).toBeLessThan(row.stored * 0.05);
  }, 600_000);
});
