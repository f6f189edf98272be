// The site's network in the virtual Espruino (sim/vm/site-network.ts, wifi-module.ts, wiznet-module.ts), through the
// real built board files: the ESP32's file on Espruino's `Wifi` module, the Pico's on `WIZnet` and the W5500's
// PHY link bit over SPI, against a broker on a real port. What each model does is what Espruino's reference for
// the module documents; what the firmware does with it is firmware/net/link.ts.
import { afterEach, describe, expect, it } from "vitest";
import { findBoard } from "../../firmware/boards/index";
import { VirtualSite, VirtualSiteOptions } from "../../sim/site/virtual-site";
import { syntheticSite } from "../../sim/site/synthetic-site";
import { Ledger } from "../../sim/site/ledger";
import { freePort } from "../helpers/mosquitto";
import { RecordingBroker, startRecordingBroker } from "../helpers/recording-broker";
import { SiteNetwork, SiteNetworkState } from "../../sim/vm/site-network";
import { w5500Bus } from "../../sim/vm/wiznet-module";
import { VirtualClock } from "../../sim/vm/virtual-clock";
import type { NetBridge } from "../../sim/vm/net-bridge";
import { boards } from "../../firmware/boards/index";
import { checkNodeSettings } from "../../cli/settings/check";
import { checkSiteDescription } from "../../sim/site/site-description";

const S = 1000;
let broker: RecordingBroker | undefined;
afterEach(async () => {
  await broker?.close();
  broker = undefined;
});

interface Run {
  site: VirtualSite;
  /** Console lines with the board's uptime (s) they were printed at. */
  lines: { t: number; line: string }[];
  births: string[];
  ledger: Ledger;
  /** Uptime of the first line that starts with `prefix` (after `from` s), or undefined. */
  at(prefix: string, from?: number): number | undefined;
  wifiStatus(): string;
}

async function run(board: string, network: Partial<SiteNetworkState> = {}, over: Partial<VirtualSiteOptions> = {}): Promise<Run> {
  const port = await freePort();
  const ledger = new Ledger();
  const births: string[] = [];
  broker = await startRecordingBroker(port, (node, batch) => ledger.delivered(node, batch), (topic, payload) => {
    if (topic.endsWith("/birth")) births.push(payload);
  });
  const lines: Run["lines"] = [];
  const site: VirtualSite = new VirtualSite({
    board: findBoard(board)!,
    site: "net",
    node: "n1",
    broker: { host: "127.0.0.1", port },
    model: syntheticSite(),
    startUnix: Date.UTC(2026, 5, 1, 12) / 1000,
    withCt: false,
    report_s: 10,
    network,
    replyWaitMs: 1000,
    onLog: (line) => lines.push({ t: site.esp.uptimeSeconds(), line }),
    onProduced: (b, s) => ledger.produced("net/n1", b, s),
    ...over,
  });
  site.powerOn();
  return {
    site, lines, births, ledger,
    at: (prefix, from = 0) => lines.find((l) => l.t >= from && l.line.startsWith(prefix))?.t,
    wifiStatus: () => (site.esp as unknown as { modules: { Wifi: { getDetails(): { status: string } } } }).modules.Wifi.getDetails().status,
  };
}

describe("Wi-Fi (ESP32 file, Espruino's Wifi module)", () => {
  it("joins the access point, then MQTT connects and the birth carries the signal", async () => {
    const r = await run("esp32", { rssi: -67 });
    await r.site.esp.runFor(30 * S);
    expect(r.at("net up")).toBeGreaterThanOrEqual(1); // association and DHCP take their time
    expect(r.wifiStatus()).toBe("connected");
    expect(r.births.length).toBeGreaterThan(0);
    expect(JSON.parse(r.births[0]).rssi).toBe(-67);
  }, 60_000);

  it("a wrong password is called back as an error and the join is tried again later; no TCP meanwhile", async () => {
    const r = await run("esp32", {}, { net: { kind: "wifi", ssid: "site-ap", pass: "not-the-password" } });
    await r.site.esp.runFor(60 * S);
    expect(r.lines.filter((l) => l.line === "net down wifi bad password").length).toBeGreaterThanOrEqual(2);
    expect(r.wifiStatus()).toBe("wrong_password");
    expect(r.site.esp.net.stats.connects).toBe(0);
    expect(r.births).toEqual([]);
  }, 60_000);

  it("no access point: the module never calls back, the join times out, and it joins once the access point is up", async () => {
    const r = await run("esp32", { ap: false });
    await r.site.esp.runFor(70 * S);
    expect(r.at("net down join timeout")).toBeGreaterThanOrEqual(60);
    expect(r.wifiStatus()).toBe("no_ap_found");
    expect(r.site.esp.net.stats.connects).toBe(0);
    r.site.network.set({ ap: true });
    await r.site.esp.runFor(300 * S);
    expect(r.at("net up")).toBeGreaterThan(60);
    expect(r.births.length).toBeGreaterThan(0);
  }, 60_000);

  it("the access point lost mid-publish: the open socket closes, a connect fails, and after the re-join nothing is lost", async () => {
    const r = await run("esp32", {}, { report_s: 1 });
    await r.site.esp.runFor(40 * S);
    expect(r.at("net up")).toBeDefined();
    const produced = r.ledger.rows()[0]?.produced ?? 0;
    expect(produced).toBeGreaterThan(10);
    r.site.network.set({ ap: false });
    const lostAt = r.site.esp.uptimeSeconds();
    await r.site.esp.runFor(1 * S);
    expect(r.at("net down wifi lost beacon_timeout", lostAt)).toBeDefined();
    expect(r.at("mqtt down", lostAt)).toBeDefined();
    // a connect while the link is down fails (the firmware's link keeper does not even try: asked here directly)
    const events: string[] = [];
    const sock = r.site.esp.net.firmwareModule().connect({ host: "127.0.0.1", port: broker!.port }, () => events.push("connect"));
    sock.on("error", (e) => events.push("error " + (e as Error).message));
    sock.on("close", () => events.push("close"));
    await r.site.esp.runFor(1 * S);
    expect(events).toEqual(["error Network link down", "close"]);
    await r.site.esp.runFor(120 * S);
    expect(r.wifiStatus()).not.toBe("connected");
    r.site.network.set({ ap: true });
    await r.site.esp.runFor(600 * S);
    expect(r.at("net up", lostAt)).toBeDefined();
    const [row] = r.ledger.rows();
    expect(row.produced).toBeGreaterThan(produced);
    expect(row.lost).toBe(0);
  }, 120_000);

  it("slow DHCP: the join waits for the lease; slower than the join timeout, it is given up and tried again", async () => {
    const slow = await run("esp32", { dhcp_s: 20 });
    await slow.site.esp.runFor(40 * S);
    expect(slow.at("net up")).toBeGreaterThanOrEqual(21);
    await broker!.close();
    const never = await run("esp32", { dhcp_s: 90 });
    await never.site.esp.runFor(100 * S);
    expect(never.at("net down join timeout")).toBeGreaterThanOrEqual(60);
    expect(never.at("net up")).toBeUndefined();
    expect(never.wifiStatus()).toBe("connecting");
  }, 60_000);
});

describe("Ethernet (Pico file, Espruino's WIZnet module and the W5500's PHY link bit)", () => {
  it("asks DHCP, joins, and MQTT connects", async () => {
    const r = await run("pico");
    await r.site.esp.runFor(30 * S);
    expect(r.at("net up")).toBeLessThan(2);
    expect(r.at("net down")).toBeUndefined(); // setIP() joins at once: the first join still finds MQTT made
    expect(r.births.length).toBeGreaterThan(0);
    expect(JSON.parse(r.births[0]).rssi).toBeUndefined();
  }, 60_000);

  it("slow DHCP holds the board in setIP for the server's time; no DHCP server: no lease, tried again", async () => {
    const slow = await run("pico", { dhcp_s: 8 });
    await slow.site.esp.runFor(30 * S);
    expect(slow.at("net up")).toBeGreaterThanOrEqual(8);
    await broker!.close();
    const none = await run("pico", { lease: false });
    await none.site.esp.runFor(60 * S);
    expect(none.lines.filter((l) => l.line === "net down no DHCP lease").length).toBeGreaterThanOrEqual(2);
    expect(none.site.esp.net.stats.connects).toBe(0);
    none.site.network.set({ lease: true });
    await none.site.esp.runFor(300 * S);
    expect(none.at("net up")).toBeDefined();
  }, 60_000);

  it("cable out: the socket closes, the link is lost, DHCP gets no answer; cable back: joined again", async () => {
    const r = await run("pico", {}, { report_s: 1 });
    await r.site.esp.runFor(40 * S);
    const births = r.births.length;
    expect(births).toBeGreaterThan(0);
    r.site.network.set({ cable: false });
    const outAt = r.site.esp.uptimeSeconds();
    await r.site.esp.runFor(1 * S);
    expect(r.at("mqtt down", outAt)).toBeDefined();
    await r.site.esp.runFor(30 * S);
    // lost within the PHY's polling period (firmware/net/w5500.ts: 10 s), or sooner when MQTT's failures tell it first
    const down = r.lines.find((l) => l.t >= outAt && l.line.startsWith("net down"))!;
    expect(down.t - outAt).toBeLessThanOrEqual(10);
    expect(r.at("net down no DHCP lease", outAt)).toBeDefined();
    r.site.network.set({ cable: true });
    await r.site.esp.runFor(600 * S);
    expect(r.at("net up", outAt)).toBeDefined();
    expect(r.births.length).toBeGreaterThan(births);
    const [row] = r.ledger.rows();
    expect(row.lost).toBe(0);
  }, 120_000);

  it("the W5500's SPI bus: a read of PHYCFGR gives the link bit (LNK) of the cable; other frames read zeros", () => {
    const site = new SiteNetwork();
    const bus = w5500Bus({ clock: new VirtualClock(), call: () => {}, net: {} as NetBridge, site, bytes: (a) => Uint8Array.from(a) });
    // W5500 datasheet §2.2: offset 0x002E, control byte 0x00 (common register block, read, variable length)
    expect([...bus.send([0x00, 0x2e, 0x00, 0x00])]).toEqual([0, 0, 0, 0xff]);
    site.set({ cable: false });
    expect(bus.send([0x00, 0x2e, 0x00, 0x00])[3] & 1).toBe(0);
    expect([...bus.send([0x00, 0x2e, 0x04, 0x01])]).toEqual([0, 0, 0, 0]); // a write: nothing read back
    expect([...bus.send([0x00, 0x39, 0x00, 0x00])]).toEqual([0, 0, 0, 0]); // VERSIONR is not modelled
  });
});

describe("a simulated site's node settings", () => {
  it("carry the net section that fits each board, and pass the settings check", () => {
    // the boards a site can run on: the Linux build has no sensors of its own to model
    for (const board of boards.filter((b) => b.vedirect && b.modbus && b.i2c)) {
      const site = new VirtualSite({ board, site: "s1", node: "n1", broker: { host: "127.0.0.1", port: 1883, user: "n1", pass: "pw-n1" }, model: syntheticSite(), startUnix: 0, network: { ssid: "village-ap", pass: "village-pass" } });
      const s = site.settings() as { net?: unknown };
      const check = checkNodeSettings(s, board);
      expect(check.ok ? [] : check.errors, board.id).toEqual([]);
      const expected = board.id === "pico" ? { kind: "eth" } : { kind: "wifi", ssid: "village-ap", pass: "village-pass" };
      expect(s.net, board.id).toEqual(expected);
    }
  });

  it("a site description's network is checked key by key", () => {
    const d = { array_kWp: 1, battery: { kWh: 2, chemistry: "lifepo4" as const } };
    expect(checkSiteDescription({ ...d, network: { ssid: "village-ap", dhcp_s: 5 } })).toEqual([]);
    expect(checkSiteDescription({ ...d, network: { sid: "x", pass: "short" } as object })).toEqual([
      "network.sid: not a key of network; use ssid, pass, rssi, dhcp_s (did you mean ssid?)",
      "network.pass: a WPA2 passphrase, 8..63 characters, or empty for an open network",
    ]);
  });
});
