// The host's check of a node's settings (cli/settings/): one test per rule, each error naming its key and the fix.
import { describe, expect, it } from "vitest";
import { checkNodeConfig, checkNodeSettings } from "../../cli/settings/check";
import { findBoard } from "../../firmware/boards/index";
import type { Board } from "../../firmware/boards/types";

const board = (id: string): Board => findBoard(id)!;

function good(): { [k: string]: any } {
  return {
    site: "kisumu-1", node: "controller",
    net: { kind: "eth" },
    broker: { host: "192.168.4.1", port: 1883, user: "kisumu-1-controller", pass: "s3cret-broker" },
    report_s: 60, sample_s: 5, rows: 1,
    vedirect: [{ kind: "bmv" }],
    modbus: { map: "epever", slave: 1, period_s: 10 },
    feeders: [{ addr: 64, shunt_ohm: 0.002, max_A: 40 }],
    ct: [{ pin: "A5", ical: 60.6, V: 230 }],
    off: [],
  };
}

/** The errors of `good()` changed by `change` (a key set to undefined is removed), on `bd`. */
function errorsOf(change: (s: { [k: string]: any }) => void, bd = "pico"): string[] {
  const s = good();
  change(s);
  const r = checkNodeSettings(JSON.parse(JSON.stringify(s)), board(bd));
  return r.ok ? [] : r.errors;
}

describe("checkNodeSettings", () => {
  it("accepts the example of docs/firmware.md on a pico and gives it back without _help", () => {
    const r = checkNodeSettings({ ...good(), _help: { site: "the site" } }, board("pico"));
    expect(r).toEqual({ ok: true, value: good() });
  });

  it("site and node: ids the MQTT topics allow", () => {
    for (const bad of ["", "a/b", "a+", "a#", "a\u0000", "Upper", "x".repeat(33)]) {
      expect(errorsOf((s) => (s.site = bad))).toEqual([expect.stringMatching(/^site: must be 1\.\.32 lower-case letters, digits, '-' or '_'/)]);
    }
    expect(errorsOf((s) => (s.node = "n/1"))[0]).toMatch(/^node: must be/);
    expect(errorsOf((s) => delete s.site)).toEqual([expect.stringMatching(/^site: is required; set it to 1\.\.32 lower-case/)]);
    expect(errorsOf((s) => (s.node = "x".repeat(32)))).toEqual([]);
  });

  it("broker: host required, port 1..65535, user and pass strings; a password is never echoed", () => {
    expect(errorsOf((s) => (s.broker = { port: 1883 }))).toEqual([expect.stringMatching(/^broker\.host: is required; set it to the gateway's address/)]);
    expect(errorsOf((s) => (s.broker.host = "a b"))[0]).toMatch(/^broker\.host: must be the gateway's address or host name/);
    expect(errorsOf((s) => (s.broker.port = 70000))[0]).toMatch(/^broker\.port: must be a port 1\.\.65535, e\.g\. 1883 \(got 70000\)/);
    expect(errorsOf((s) => (s.broker.port = 18.5))[0]).toMatch(/^broker\.port:/);
    const e = errorsOf((s) => (s.broker.pass = 12345678));
    expect(e).toEqual(["broker.pass: must be a password of at most 128 characters (got a hidden value)"]);
    expect(errorsOf((s) => (s.broker.qos = 1))[0]).toMatch(/^broker\.qos: unknown setting; remove it or check its spelling \(known here: host, port, user, pass, tls, ca\)/);
  });

  it("report_s, sample_s, rows: whole numbers 1..86400, sample_s at most report_s", () => {
    expect(errorsOf((s) => (s.report_s = -5))).toEqual(["report_s: must be a whole number of seconds 1..86400, e.g. 60 (got -5)"]);
    expect(errorsOf((s) => (s.report_s = 86401))[0]).toMatch(/^report_s: must be/);
    expect(errorsOf((s) => (s.sample_s = 0))[0]).toMatch(/^sample_s: must be a whole number of seconds/);
    expect(errorsOf((s) => (s.rows = 1.5))[0]).toMatch(/^rows: must be a whole number 1\.\.86400/);
    expect(errorsOf((s) => (s.sample_s = 120))).toEqual([expect.stringMatching(/^sample_s: 120 s is longer than report_s \(60 s\).*set sample_s to at most report_s/)]);
  });

  it("vedirect: bmv or mppt, one device on the board's one port, captures only on Linux", () => {
    expect(errorsOf((s) => (s.vedirect = [{ kind: "bms" }]))[0]).toMatch(/^vedirect\[0\]\.kind: must be "bmv" or "mppt" \(got "bms"\)/);
    expect(errorsOf((s) => (s.vedirect = [{ kind: "bmv" }, { kind: "mppt" }]))).toEqual([expect.stringMatching(/^vedirect: the pico has one VE.Direct port \(Serial2\); list one device/)]);
    expect(errorsOf((s) => (s.vedirect = [{ kind: "bmv", capture: "bmv.txt" }]))[0]).toMatch(/^vedirect\[0\]\.capture: only the Linux build replays captures/);
    const linux = (s: { [k: string]: any }) => {
      delete s.net;
      s.modbus = undefined;
      s.feeders = [];
      s.ct = [];
    };
    expect(errorsOf((s) => (linux(s), (s.vedirect = [{ kind: "bmv", capture: "a.txt" }, { kind: "mppt", capture: "b.txt" }])), "linux")).toEqual([]);
    expect(errorsOf((s) => linux(s), "linux")).toEqual([expect.stringMatching(/^vedirect: the linux has no VE.Direct port; remove the devices or give each a capture file/)]);
  });

  it("modbus: map epever|growatt, slave 1..247, period_s; only where the board has RS-485", () => {
    expect(errorsOf((s) => (s.modbus.map = "sma"))[0]).toMatch(/^modbus\.map: must be "epever" or "growatt"/);
    expect(errorsOf((s) => (s.modbus.slave = 0))[0]).toMatch(/^modbus\.slave: must be a Modbus address 1\.\.247 \(got 0\)/);
    expect(errorsOf((s) => (s.modbus.slave = 248))[0]).toMatch(/^modbus\.slave:/);
    expect(errorsOf((s) => (s.modbus.period_s = 0))[0]).toMatch(/^modbus\.period_s: must be a whole number of seconds 1\.\.3600/);
    expect(errorsOf((s) => delete s.modbus.slave)[0]).toMatch(/^modbus\.slave: is required/);
    expect(errorsOf((s) => ((s.vedirect = [{ kind: "bmv", capture: "a" }]), delete s.net, (s.feeders = []), (s.ct = [])), "linux")).toEqual([
      "modbus: the linux has no RS-485 port; remove modbus",
    ]);
  });

  it("feeders: the board's INA226 addresses (else 0x40..0x4F), shunt_ohm and max_A above 0, each address once", () => {
    expect(errorsOf((s) => (s.feeders[0].addr = 0x42))).toEqual(["feeders[0].addr: 66 (0x42) is not an INA226 address of the pico; use one of 64 (0x40), 65 (0x41), 68 (0x44)"]);
    expect(errorsOf((s) => (s.feeders[0].addr = 0x50))[0]).toMatch(/^feeders\[0\]\.addr: must be an I2C address 64\.\.79 \(0x40\.\.0x4F\) \(got 80\)/);
    expect(errorsOf((s) => (s.feeders[0].shunt_ohm = 0))[0]).toMatch(/^feeders\[0\]\.shunt_ohm: must be the shunt's ohms, more than 0/);
    expect(errorsOf((s) => (s.feeders[0].max_A = -1))[0]).toMatch(/^feeders\[0\]\.max_A: must be amperes, more than 0/);
    expect(errorsOf((s) => s.feeders.push({ addr: 64, shunt_ohm: 0.001, max_A: 10 }))).toEqual(["feeders[1].addr: address 0x40 is used by feeders[0] too; give each its own"]);
    expect(errorsOf((s) => (s.feeders = Array.from({ length: 9 }, () => s.feeders[0])))[0]).toMatch(/^feeders: must be a list of at most 8 INA226 feeders/);
  });

  it("ct: a CT pin of the board, ical and V above 0, phase 0..1, Hz 50 or 60, each pin once", () => {
    expect(errorsOf((s) => (s.ct[0].pin = "B1"))).toEqual(["ct[0].pin: B1 is not a CT input of the pico; use one of A5, A6"]);
    expect(errorsOf((s) => (s.ct[0].pin = "D34"), "esp32")).toEqual(expect.not.arrayContaining([expect.stringMatching(/^ct/)]));
    expect(errorsOf((s) => (s.ct[0].ical = 0))[0]).toMatch(/^ct\[0\]\.ical: must be amperes per volt, more than 0/);
    expect(errorsOf((s) => (s.ct[0].V = 0))[0]).toMatch(/^ct\[0\]\.V: must be mains volts/);
    expect(errorsOf((s) => (s.ct[0].phase = 1.5))[0]).toMatch(/^ct\[0\]\.phase: must be a number 0\.\.1 \(got 1.5\)/);
    expect(errorsOf((s) => (s.ct[0].Hz = 60))).toEqual([]);
    expect(errorsOf((s) => (s.ct[0].Hz = 50))).toEqual([]);
    expect(errorsOf((s) => (s.ct[0].Hz = 55))).toEqual(["ct[0].Hz: must be 50 or 60 (the site's mains frequency) (got 55)"]);
    expect(errorsOf((s) => (s.ct[0].Hz = "60"))).toEqual(['ct[0].Hz: must be 50 or 60 (the site\'s mains frequency) (got "60")']);
    expect(errorsOf((s) => Object.assign(s.ct[0], { vpin: "A6", vcal: 250, phase: 0.5 }))).toEqual([]);
    expect(errorsOf((s) => (s.ct[0].vpin = "A5"))[0]).toMatch(/^ct\[0\]\.vpin: the voltage reference cannot share the CT's pin A5/);
    expect(errorsOf((s) => s.ct.push({ pin: "A5", ical: 30, V: 230 }))).toEqual(["ct[1].pin: pin A5 is used by ct[0] too; give each its own"]);
  });

  it("off: distinct channel ids that exist", () => {
    expect(errorsOf((s) => (s.off = [22, 81, 97, 123]))).toEqual([]);
    expect(errorsOf((s) => (s.off = [999]))).toEqual(['off[0]: 999 is no channel id; use the ids of docs/design.md "Channels"']);
    expect(errorsOf((s) => (s.off = [22, 22]))[0]).toMatch(/^off: must be a list of distinct channel ids/);
    expect(errorsOf((s) => (s.off = "22"))[0]).toMatch(/^off: must be/);
  });

  it("broker.tls: only where the board's interpreter has TLS, and ca only with it", () => {
    const pem = "-----BEGIN CERTIFICATE-----\n" + "A".repeat(64) + "\n-----END CERTIFICATE-----\n";
    const esp32 = (s: { [k: string]: any }) => {
      s.net = { kind: "wifi", ssid: "site", pass: "12345678" };
      s.ct[0].pin = "D34";
    };
    expect(errorsOf((s) => (esp32(s), Object.assign(s.broker, { tls: true, ca: pem, port: 8883 })), "esp32")).toEqual([]);
    expect(errorsOf((s) => Object.assign(s.broker, { tls: true }))).toEqual([
      "broker.tls: the pico's interpreter has no TLS; remove it and use the gateway's plain MQTT port (1883) on the site network",
    ]);
    expect(errorsOf((s) => (esp32(s), (s.broker.ca = pem)), "esp32")).toEqual(['broker.ca: is used only with broker.tls; add "tls": true, or remove ca']);
    expect(errorsOf((s) => (esp32(s), Object.assign(s.broker, { tls: true, ca: "not a certificate, though long enough to pass the length rule......" })), "esp32")[0])
      .toMatch(/^broker\.ca: must be a PEM certificate beginning with -----BEGIN CERTIFICATE-----/);
  });

  it("net: the kind the board's network takes", () => {
    expect(errorsOf((s) => (s.net = { kind: "wifi", ssid: "x", pass: "12345678" }))).toEqual(['net.kind: the pico has no Wi-Fi; set it to "eth"']);
    const wifi = (s: { [k: string]: any }) => {
      s.net = { kind: "eth" };
      s.ct[0].pin = "D34";
    };
    expect(errorsOf(wifi, "esp32")).toEqual(['net.kind: the esp32 has no Ethernet; set it to "wifi"']);
    expect(errorsOf((s) => ((s.net = { kind: "wifi", ssid: "site", pass: "12345678" }), (s.ct[0].pin = "D34")), "esp32")).toEqual([]);
    expect(errorsOf((s) => (s.net = { kind: "wifi", ssid: "site", pass: "" }), "espruino-wifi")).toEqual([]);
    expect(errorsOf((s) => (s.net = { kind: "wifi", ssid: "site" }), "pico-esp8266")).toEqual([]);
    expect(errorsOf((s) => delete s.net)).toEqual(['net: is required on the pico; add {"kind": "eth"}']);
    expect(errorsOf((s) => (s.net = { kind: "wifi" }), "espruino-wifi")).toEqual(["net.ssid: is required for Wi-Fi; set it to the Wi-Fi network's name"]);
    expect(errorsOf((s) => (s.net = { kind: "eth", ssid: "x" }))).toEqual(["net.ssid: is for Wi-Fi, and the pico uses Ethernet; remove it"]);
    expect(errorsOf((s) => ((s.vedirect = []), (s.modbus = undefined), (s.feeders = []), (s.ct = [])), "linux")).toEqual(["net: the linux build uses the host's network; remove net"]);
    expect(errorsOf((s) => (s.net = { kind: "lora" }))[0]).toMatch(/^net\.kind: must be "wifi" or "eth"/);
  });

  it("net: ssid 1..32 bytes, pass 8..63 printable ASCII or empty", () => {
    const on = (net: object) => errorsOf((s) => (s.net = { kind: "wifi", ...net }), "espruino-wifi");
    expect(on({ ssid: "é".repeat(16), pass: "" })).toEqual([]);
    expect(on({ ssid: "é".repeat(17), pass: "" })).toEqual(["net.ssid: must be the Wi-Fi network's name, 1..32 bytes (got 34 bytes); correct the name"]);
    expect(on({ ssid: "", pass: "" })[0]).toMatch(/^net\.ssid: must be the Wi-Fi network's name, 1\.\.32 bytes \(got 0 bytes\)/);
    expect(on({ ssid: "s", pass: "short" })).toEqual(["net.pass: must be 8..63 printable ASCII characters (WPA2), or empty for an open network (got a hidden value)"]);
    expect(on({ ssid: "s", pass: "x".repeat(64) })[0]).toMatch(/^net\.pass:/);
    expect(on({ ssid: "s", pass: "x".repeat(63) })).toEqual([]);
  });

  it("net: static addresses are dotted quads; ip needs gw and mask, in one network", () => {
    const on = (net: object) => errorsOf((s) => (s.net = { kind: "eth", ...net }));
    expect(on({ ip: "192.168.1.20", gw: "192.168.1.1", mask: "255.255.255.0", dns: "8.8.8.8" })).toEqual([]);
    expect(on({ ip: "192.168.1.256", gw: "192.168.1.1", mask: "255.255.255.0" })).toEqual([
      "net.ip: must be a dotted quad such as 192.168.1.20 (got \"192.168.1.256\")",
    ]);
    expect(on({ ip: "192.168.1.20" })).toEqual([
      "net.gw: is required with a static net.ip; add it, or remove net.ip for DHCP",
      "net.mask: is required with a static net.ip; add it, or remove net.ip for DHCP",
    ]);
    expect(on({ gw: "192.168.1.1" })).toEqual(["net.gw: is used only with a static net.ip; add net.ip, or remove net.gw for DHCP"]);
    expect(on({ ip: "192.168.1.20", gw: "192.168.1.1", mask: "255.0.255.0" })).toEqual(["net.mask: 255.0.255.0 is not a netmask; use e.g. 255.255.255.0"]);
    expect(on({ ip: "192.168.1.20", gw: "192.168.2.1", mask: "255.255.255.0" })[0]).toMatch(/^net\.gw: 192\.168\.2\.1 is not in the network of net\.ip 192\.168\.1\.20\/255\.255\.255\.0/);
    expect(on({ dns: "dns.example" })[0]).toMatch(/^net\.dns: must be a dotted quad/);
  });

  it("refuses unknown keys by name, and selfTest off Linux; reports every problem at once", () => {
    expect(errorsOf((s) => (s.report = 60))[0]).toMatch(/^report: unknown setting; remove it or check its spelling \(known here: site, node, net, broker, report_s/);
    expect(errorsOf((s) => (s.selfTest = true))).toEqual(["selfTest: only the Linux build runs the self-test; remove it"]);
    expect(errorsOf((s) => ((s.report_s = 0), (s.rows = 0), (s.ct[0].pin = "Z9")))).toHaveLength(3);
    expect(checkNodeSettings([], board("pico"))).toEqual({ ok: false, errors: ["(top level): must be a JSON object of settings (got [])"] });
  });
});

describe("checkNodeConfig", () => {
  it("accepts every non-identity setting, checked against the node's board", () => {
    const rest = good();
    delete rest.site;
    delete rest.node;
    expect(checkNodeConfig(rest, board("pico"))).toEqual({ ok: true, value: rest });
    expect(checkNodeConfig({ modbus: null }, board("pico"))).toEqual({ ok: true, value: { modbus: null } });
    expect(checkNodeConfig({ ct: [{ pin: "A5", ical: 60.6, V: 230 }] }, board("esp32"))).toEqual({ ok: false, errors: ["ct[0].pin: A5 is not a CT input of the esp32; use one of D34, D35"] });
    expect(checkNodeConfig({ net: { kind: "wifi", ssid: "x" } }, board("pico"))).toEqual({ ok: false, errors: ['net.kind: the pico has no Wi-Fi; set it to "eth"'] });
  });

  it("refuses report_s=-5, identity keys and unknown keys with the reason", () => {
    expect(checkNodeConfig({ report_s: -5 }, board("pico"))).toEqual({ ok: false, errors: ["report_s: must be a whole number of seconds 1..86400, e.g. 60 (got -5)"] });
    expect(checkNodeConfig({ site: "other", node: "x" }, board("pico"))).toEqual({
      ok: false,
      errors: [
        "site: is the node's identity, which a cfg cannot change; write it to the node with minigrid provision",
        "node: is the node's identity, which a cfg cannot change; write it to the node with minigrid provision",
      ],
    });
    expect((checkNodeConfig({ interval_s: 30 }, board("pico")) as { errors: string[] }).errors[0]).toMatch(/^interval_s: unknown setting/);
    expect(checkNodeConfig("x", undefined)).toEqual({ ok: false, errors: ["(top level): must be a JSON object of settings"] });
  });

  it("a broker or net in a cfg replaces the whole section, so it must be complete", () => {
    expect(checkNodeConfig({ broker: { port: 1884 } }, board("pico"))).toEqual({ ok: false, errors: [expect.stringMatching(/^broker\.host: is required/)] });
  });

  it("judges the rules between fields on what the node applied merged with the change", () => {
    expect(checkNodeConfig({ report_s: 2 }, board("pico"), { report_s: 60, sample_s: 5 })).toEqual({ ok: false, errors: [expect.stringMatching(/^sample_s: 5 s is longer than report_s \(2 s\)/)] });
    expect(checkNodeConfig({ report_s: 2, sample_s: 1 }, board("pico"), { report_s: 60, sample_s: 5 }).ok).toBe(true);
  });

  it("without a known board, checks types and ranges only", () => {
    expect(checkNodeConfig({ ct: [{ pin: "Q7", ical: 60.6, V: 230 }] }, undefined).ok).toBe(true);
    expect(checkNodeConfig({ rows: 0 }, undefined).ok).toBe(false);
  });
});
