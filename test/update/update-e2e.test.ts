// An update over the air end to end: the ESP32's own firmware in the virtual Espruino, laid out as minigrid flash
// leaves it (boot loader, image slot 0, update receiver), a real gateway (embedded broker, SQLite, commands, the
// HTTP API), and the update started through POST .../update with the same firmware built as a newer version. The
// node stages it while its batches keep flowing, restarts into it, proves it and reports the new version; a second
// update whose image never reaches the broker is rolled back, and its birth says why.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { firmwareOutDir } from "../../contracts/paths";
import { findBoard } from "../../firmware/boards/index";
import { EmbeddedGateway } from "../../sim/fleet/embedded-gateway";
import { VirtualEspruino } from "../../sim/vm/espruino-vm";
import { updatesOf } from "../../gateway/updates/service";

let gw: EmbeddedGateway | undefined;
afterEach(async () => {
  await gw?.close();
  gw = undefined;
});

const esp32 = () => readFileSync(join(firmwareOutDir, "esp32.js"), "latin1");
/** The same firmware as another version: its header and the version it reports in its birth. */
const asVersion = (v: string, text = esp32()) => text.replace(/0\.1\.0/g, v);

async function api(method: string, path: string, body?: unknown): Promise<any> {
  const r = await fetch(gw!.apiUrl + path.slice(1), { method, headers: { "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: r.status, ...(await r.json()) };
}

async function bootNode(): Promise<VirtualEspruino> {
  const vm = new VirtualEspruino({ board: findBoard("esp32")!, replyWaitMs: 20 });
  const st = vm.storage();
  st.writeJSON("mg.settings", {
    site: "s1", node: "n1", net: { kind: "wifi", ssid: "site-ap", pass: "site-pass" },
    broker: { host: "127.0.0.1", port: gw!.broker.port }, report_s: 10, sample_s: 5, ct: [{ pin: "D34", ical: 60.6, V: 230 }],
  });
  st.write("mg.fw0", esp32());
  st.write("mg.cur", "0");
  st.write("mg.rx", readFileSync(join(firmwareOutDir, "receiver.js"), "latin1"));
  st.write(".bootcde", readFileSync(join(firmwareOutDir, "boot.js"), "latin1"));
  vm.powerOnFromFlash();
  return vm;
}

/** Run the node until `done` (checked every virtual second) or `virtual_s` pass. */
async function runUntil(vm: VirtualEspruino, done: () => Promise<boolean>, virtual_s: number): Promise<void> {
  for (let i = 0; i < virtual_s; i++) {
    await vm.runFor(1000);
    if (await done()) return;
  }
}

describe("an update over the air, node and gateway", () => {
  it("updates the ESP32's firmware through the API while its batches keep flowing", async () => {
    gw = await EmbeddedGateway.start({ apiPort: 0 });
    // virtual time runs far faster than the host's here: the pause between chunks is the host's (1 s by default,
    // some minutes of the node's time), and the commands live the longest the contract allows
    const g = gw.gateway!;
    updatesOf(g.store!.db, g.bus, gw.commands!.service!, { paceMs: 5, ttl_s: 7 * 86400 });
    let stored = 0;
    gw.gateway!.bus.on("batch.stored", () => void stored++);
    const vm = await bootNode();
    const born = async () => (await api("GET", "/api/sites/s1/nodes")).nodes?.[0]?.fw === "0.1.0";
    await runUntil(vm, born, 60);
    expect(await born()).toBe(true);

    const started = await api("POST", "/api/sites/s1/nodes/n1/update", { image: asVersion("0.2.0") });
    expect(started.status, JSON.stringify(started)).toBe(202);
    const storedBefore = stored;
    const t0 = vm.clock.nowMs;
    let state = "";
    await runUntil(vm, async () => ["updated", "rolled-back", "failed"].includes((state = (await api("GET", "/api/sites/s1/nodes/n1/update")).update.state)), 600);
    const u = (await api("GET", "/api/sites/s1/nodes/n1/update")).update;
    console.log(`esp32 update of ${u.bytes} bytes in ${u.chunks} chunks: ${Math.round((vm.clock.nowMs - t0) / 1000)} s of virtual time, ${stored - storedBefore} batches stored meanwhile`);
    expect(u, JSON.stringify(u) + vm.output.slice(-30).join("\n")).toMatchObject({ state: "updated", from: "0.1.0", version: "0.2.0" });
    expect(state).toBe("updated");
    expect(vm.storage().read("mg.cur")).toBe("1");
    expect(vm.output.some((l) => /minigrid 0\.2\.0 esp32 boot \d+ \(fw\)/.test(l))).toBe(true);
    // telemetry went on during the update
    expect(stored - storedBefore).toBeGreaterThan(0);

    // an image that never reaches its broker (here: one that stops at its first line) is rolled back after its
    // trial boots, and the previous image's birth says why
    const broken = "/*minigrid esp32 0.3.0*/\n" + 'throw new Error("broken");' + "/*" + "x".repeat(5000) + "*/";
    expect((await api("POST", "/api/sites/s1/nodes/n1/update", { image: broken })).status).toBe(202);
    await runUntil(vm, async () => ["updated", "rolled-back", "failed"].includes((await api("GET", "/api/sites/s1/nodes/n1/update")).update.state), 900);
    const v = (await api("GET", "/api/sites/s1/nodes/n1/update")).update;
    expect(v).toMatchObject({ state: "rolled-back", why: "restarts", version: "0.3.0" });
    expect(vm.output.some((l) => /minigrid 0\.2\.0 esp32/.test(l))).toBe(true);
  }, 300_000);
});
