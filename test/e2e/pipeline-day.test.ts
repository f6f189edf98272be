// The proof of the controller's pipeline (docs/design.md guarantees 1, 2 and 4): the built firmware in the virtual
// Espruino against a real broker, for a day of virtual time with the fault script sim/faults/pipeline-day.yaml: TCP
// beyond the board dropping for 5 minutes every hour, the broker stopped for 6 hours, 50 power cuts at random
// instants (some in the middle of flash writes), and the site's network failing (access point gone, its password
// changed, DHCP slow or gone, the Ethernet cable pulled). It runs on each board whose network the virtual Espruino
// models: the Pico on Ethernet (WIZnet, W5500), the ESP32 and the Espruino WiFi on Wi-Fi. Every batch the firmware
// wrote to flash reaches the receiver, once after dedup, in order per boot.
// The cuts inside flash writes land in the firmware's own writes (records, acks, new page files, settings), not in
// the interpreter's Storage compaction, which no firmware can make power-safe: it erases each page before rewriting
// it from RAM, and the next start-up erases the whole Storage when a page no longer begins with a file header
// (test/sim/storage-powercut.test.ts; docs/firmware.md "Flash wear and power cuts").
import { describe, expect, it } from "vitest";
import { findBoard } from "../../firmware/boards/index";
import { VirtualSite } from "../../sim/site/virtual-site";
import { syntheticSite } from "../../sim/site/synthetic-site";
import { Ledger } from "../../sim/site/ledger";
import { loadFaultFile } from "../../sim/faults/script";
import { applyToSite } from "../../sim/fleet/runner";
import { freePort } from "../helpers/mosquitto";
import { startRecordingBroker } from "../helpers/recording-broker";

const H = 3600_000;
const script = new URL("../../sim/faults/pipeline-day.yaml", import.meta.url).pathname;

/** Boards and what their link must have gone through: the reasons the firmware gave for losing it. */
const runs: { board: string; lost: RegExp[] }[] = [
  { board: "pico", lost: [/^ethernet cable out$|^no broker over the link$/, /^no DHCP lease$/] },
  { board: "esp32", lost: [/^wifi lost beacon_timeout$/, /^wifi lost auth_expire$/, /^wifi bad password$/, /^join timeout$/] },
  { board: "espruino-wifi", lost: [/^wifi lost beacon_timeout$/, /^wifi bad password$/] },
];

describe("a day of outages, power cuts, reboots and network failures", () => {
  it.each(runs)("$board: every batch produced is stored exactly once, in order per boot", async ({ board, lost }) => {
    const faults = loadFaultFile(script, 24 * H);
    const ledger = new Ledger();
    const port = await freePort();
    const broker = await startRecordingBroker(port, (node, batch) => ledger.delivered(node, batch));
    const why = new Map<string, number>();
    const site = new VirtualSite({
      board: findBoard(board)!,
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
      onLog: (line) => {
        if (line.startsWith("net down ")) why.set(line.slice(9), (why.get(line.slice(9)) ?? 0) + 1);
      },
    });
    site.powerOn();
    let cutsInWrite = 0;
    for (const f of faults) {
      await site.esp.runUntil(f.atMs);
      if (f.action.what === "gateway-down") await broker.stop();
      else if (f.action.what === "gateway-up") await broker.start();
      else {
        if (f.action.what === "power-cut" && f.action.inWrite) cutsInWrite++;
        applyToSite(site, f.action);
      }
    }
    await site.esp.runUntil(24 * H);
    // then an hour on a good link for the backlog to drain
    await site.esp.runUntil(25 * H);
    await broker.close();

    const [row] = ledger.rows();
    console.log(`${board}\n${ledger.format()}`);
    console.log(`${board}: resets ${site.esp.resets.length - 1} (${cutsInWrite} armed inside flash writes); link lost: ${JSON.stringify(Object.fromEntries(why))}`);
    expect(site.esp.resets.filter((r) => r === "power-cut").length).toBeGreaterThanOrEqual(50);
    // no join failed for the firmware's own fault (a join that completed at once once met an MQTT client not yet made)
    expect([...why.keys()].filter((k) => /Error/.test(k))).toEqual([]);
    for (const reason of lost) expect([...why.keys()].some((k) => reason.test(k)), `${board} lost its link: ${reason}`).toBe(true);
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
