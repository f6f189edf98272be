// A node with no sensor configured: its channel table is empty, and splitting the empty text gave one empty word,
// which the birth listed as [0,"undefined","undefined",NaN], so the birth was not JSON at all. The birth is valid JSON
// now (with an empty table, which the gateway refuses by the contract's 1..128 channels, naming why), and the
// settings check refuses such settings before they reach a board.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { firmwareOutDir } from "../../contracts/paths";
import { findBoard } from "../../firmware/boards/index";
import { EmbeddedGateway } from "../../sim/fleet/embedded-gateway";
import { VirtualEspruino } from "../../sim/vm/espruino-vm";
import { checkNodeSettings } from "../../cli/settings/check";

let gw: EmbeddedGateway | undefined;
afterEach(async () => {
  await gw?.close();
  gw = undefined;
});

const settings = (port: number, sensors: object = {}) => ({
  site: "s1", node: "n1", net: { kind: "wifi", ssid: "site-ap", pass: "site-pass" },
  broker: { host: "127.0.0.1", port }, report_s: 10, sample_s: 5, ...sensors,
});

describe("a node with no sensor configured", () => {
  it("publishes a birth that is JSON, which the gateway refuses for its empty channel table, saying so", async () => {
    gw = await EmbeddedGateway.start({ apiPort: 0 });
    const reasons: string[] = [];
    gw.gateway!.bus.on("reject", (r) => void reasons.push(`${r.reason}: ${r.detail}`));
    const vm = new VirtualEspruino({ board: findBoard("esp32")!, replyWaitMs: 20 });
    const st = vm.storage();
    st.writeJSON("mg.settings", settings(gw.broker.port));
    st.write("mg.fw0", readFileSync(join(firmwareOutDir, "esp32.js"), "latin1"));
    st.write("mg.cur", "0");
    st.write("mg.rx", readFileSync(join(firmwareOutDir, "receiver.js"), "latin1"));
    st.write(".bootcde", readFileSync(join(firmwareOutDir, "boot.js"), "latin1"));
    vm.powerOnFromFlash();
    for (let i = 0; i < 60 && reasons.length === 0; i++) await vm.runFor(1000);
    expect(reasons[0], vm.output.slice(-20).join("\n")).toMatch(/birth\.ch must list 1\.\.128 channels/);
    expect(reasons.join("\n")).not.toMatch(/not JSON/);
  });

  it("is refused by the settings check, which names the sensors to set", () => {
    const esp32 = findBoard("esp32")!;
    const none = checkNodeSettings(settings(1883), esp32);
    expect(none.ok).toBe(false);
    expect(!none.ok && none.errors.join("\n")).toMatch(/^vedirect, modbus, ina226, ct: no sensor is set .*configure at least one sensor/m);
    expect(checkNodeSettings(settings(1883, { ct: [{ pin: "D34", ical: 60.6, V: 230 }] }), esp32)).toMatchObject({ ok: true });
  });
});
