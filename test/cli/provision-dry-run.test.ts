// Provisioning without a board: minigrid flash --settings, minigrid provision and minigrid settings init, checked on
// what they write (byte for byte where the board reads it) and on what they print (never a password).
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { firmwareOutDir, projectRoot } from "../../contracts/paths";
import { checkNodeSettings } from "../../cli/settings/check";
import { nodeSettingsSchema } from "../../cli/settings/schema";
import { startingSettings } from "../../cli/settings/template";
import { boards, findBoard } from "../../firmware/boards/index";
import { VirtualEspruino } from "../../sim/vm/espruino-vm";

const cli = resolve(projectRoot, "bin/minigrid.mjs");
const wifiPass = "wifi-Secret-4242";
const brokerPass = "broker-Secret-7777";

function minigrid(args: string[]) {
  return spawnSync(process.execPath, [cli, ...args], { encoding: "utf8", cwd: projectRoot, timeout: 90_000 });
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "mg-provision-"));
}

/** A settings file for `board` with both passwords, and `_help` that must never reach the board. */
function settingsFor(board: "pico" | "esp32", extra: object = {}): { [k: string]: any } {
  return {
    _help: { site: "the site's id" },
    site: "kisumu-1",
    node: "controller",
    net: board === "pico" ? { kind: "eth", ip: "192.168.4.20", gw: "192.168.4.1", mask: "255.255.255.0" } : { kind: "wifi", ssid: "Café Kisumu", pass: wifiPass },
    // port 1: the firmware's connection is refused at once, on any machine
    broker: { host: "127.0.0.1", port: 1, user: "kisumu-1-controller", pass: brokerPass },
    report_s: 60, sample_s: 5, rows: 1,
    vedirect: [{ kind: "bmv" }],
    modbus: { map: "epever", slave: 1, period_s: 10 },
    feeders: [{ addr: 64, shunt_ohm: 0.002, max_A: 40 }],
    ct: [{ pin: board === "pico" ? "A5" : "D34", ical: 60.6, V: 230 }],
    off: [],
    ...extra,
  };
}

/**
 * The text the board's Storage must hold as mg.settings: the settings without _help, compact JSON, UTF-8, with the
 * settings version the CLI stamped (an even Unix time of the last minute), read back from `stored`.
 */
function storedText(s: { [k: string]: any }, upload: string): string {
  let stored = "";
  for (const m of upload.matchAll(/require\("Storage"\)\.write\("mg\.settings",atob\("([^"]*)"\)/g)) stored += Buffer.from(m[1], "base64").toString("latin1");
  const sv = JSON.parse(Buffer.from(stored, "latin1").toString("utf8")).sv;
  expect(sv % 2).toBe(0);
  expect(Math.abs(sv - Date.now() / 1000)).toBeLessThan(60);
  const rest: { [k: string]: any } = { ...s, sv };
  delete rest._help;
  return JSON.stringify(rest);
}

/** The espruino CLI's upload of a Storage file: base64 chunks of 384 bytes, the first with the file's size. */
function storageWrite(name: string, text: string): string {
  const bytes = Buffer.from(text, "utf8");
  const lines: string[] = [];
  for (let i = 0; i < bytes.length; i += 384) {
    const part = bytes.subarray(i, i + 384).toString("base64");
    lines.push(`require("Storage").write(${JSON.stringify(name)},atob(${JSON.stringify(part)}),${i}${i === 0 ? "," + bytes.length : ""})`);
  }
  return lines.join("\n");
}

function expectNoSecret(output: string): void {
  for (const secret of [wifiPass, brokerPass]) {
    expect(output).not.toContain(secret);
    expect(output).not.toContain(Buffer.from(secret).toString("base64").slice(0, 12));
  }
  expect(output).not.toMatch(/atob\("[A-Za-z0-9+/=]{8,}/);
}

describe("minigrid flash --settings --dry-run", () => {
  it("sends the settings and the program in one upload; the board stores the settings byte for byte and boots with them", async () => {
    const dir = tempDir();
    const file = join(dir, "node.json");
    const settings = settingsFor("pico");
    writeFileSync(file, JSON.stringify(settings, null, 2));
    const out = join(dir, "upload.js");
    const r = minigrid(["flash", "--board", "pico", "--settings", file, "--dry-run", "--out", out, "--no-build"]);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expectNoSecret(r.stdout + r.stderr);
    expect(r.stdout).toContain("kisumu-1/controller, Ethernet, ip 192.168.4.20 gw 192.168.4.1 mask 255.255.255.0, broker 127.0.0.1:1 user kisumu-1-controller password ********");

    const upload = readFileSync(out, "latin1");
    const text = storedText(settings, upload);
    expect(upload.startsWith(storageWrite("mg.settings", text) + '\nrequire("Storage").write(".bootcde",')).toBe(true);
    expect(upload.trimEnd().endsWith('load(".bootcde")')).toBe(true);
    expect(statSync(out).mode & 0o077).toBe(0);

    const esp = new VirtualEspruino({ board: findBoard("pico")! });
    esp.load(upload);
    await esp.runFor(1000);
    expect(esp.storage().read("mg.settings")).toBe(text);
    expect(esp.storage().read(".bootcde")).toBe(readFileSync(join(firmwareOutDir, "pico.js"), "latin1"));
    expect(esp.output.join("\n")).toMatch(/minigrid [\d.]+ pico boot/);
  });

  it("checks the settings against the board first: nothing is built, sent or written, and no password is shown", () => {
    const dir = tempDir();
    const file = join(dir, "node.json");
    writeFileSync(file, JSON.stringify(settingsFor("esp32", { report_s: -5 })));
    const out = join(dir, "upload.js");
    const r = minigrid(["flash", "--board", "pico", "--settings", file, "--dry-run", "--out", out]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("does not fit the pico (nothing was sent)");
    expect(r.stderr).toContain("report_s: must be a whole number of seconds 1..86400, e.g. 60 (got -5)");
    expect(r.stderr).toContain('net.kind: the pico has no Wi-Fi; set it to "eth"');
    expect(r.stderr).toContain("ct[0].pin: D34 is not a CT input of the pico; use one of A5, A6");
    expect(r.stdout).not.toContain("espruino");
    expect(existsSync(out)).toBe(false);
    expectNoSecret(r.stdout + r.stderr);
  });
});

describe("minigrid provision --dry-run", () => {
  it("writes only the settings, then loads the program on the board again; byte for byte, UTF-8 included", async () => {
    const dir = tempDir();
    const file = join(dir, "node.json");
    const settings = settingsFor("esp32");
    writeFileSync(file, JSON.stringify(settings));
    const out = join(dir, "provision.js");
    const r = minigrid(["provision", "--board", "esp32", "--settings", file, "--dry-run", "--out", out]);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expectNoSecret(r.stdout + r.stderr);
    expect(r.stdout).toContain('Wi-Fi "Café Kisumu" password ********');
    const text = storedText(settings, readFileSync(out, "latin1"));
    expect(readFileSync(out, "latin1")).toBe(storageWrite("mg.settings", text) + '\nload(".bootcde")\n');

    // on a board already flashed: the program stays, the settings change, the program starts again
    const esp = new VirtualEspruino({ board: findBoard("esp32")! });
    const firmware = readFileSync(join(firmwareOutDir, "esp32.js"), "latin1");
    esp.storage().write(".bootcde", firmware);
    esp.load(readFileSync(out, "latin1"));
    await esp.runFor(1000);
    expect(esp.storage().read("mg.settings")).toBe(Buffer.from(text, "utf8").toString("latin1"));
    expect(esp.storage().read(".bootcde")).toBe(firmware);
    expect(esp.resets).toEqual(["power-on", "load"]);
    expect(esp.output.join("\n")).toMatch(/minigrid [\d.]+ esp32 boot/);
  });

  it("without --board, takes the first board the settings fit, and refuses settings that fit none", () => {
    const dir = tempDir();
    const file = join(dir, "node.json");
    writeFileSync(file, JSON.stringify(settingsFor("esp32")));
    const r = minigrid(["provision", "--settings", file, "--dry-run", "--out", join(dir, "p.js")]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("settings for the esp32:");
    writeFileSync(file, JSON.stringify(settingsFor("esp32", { ct: [{ pin: "Z1", ical: 1, V: 230 }] })));
    const none = minigrid(["provision", "--settings", file, "--dry-run", "--out", join(dir, "q.js")]);
    expect(none.status).toBe(2);
    expect(none.stderr).toContain("fits none of the boards");
    expect(none.stderr).toContain("for the espruino-wifi, the nearest:\n  ct[0].pin: Z1 is not a CT input of the espruino-wifi; use one of A5, A6");
    expect(existsSync(join(dir, "q.js"))).toBe(false);
    expectNoSecret(none.stdout + none.stderr);
  });

  it("says where a file is not JSON without quoting it", () => {
    const dir = tempDir();
    const file = join(dir, "node.json");
    writeFileSync(file, `{\n  "broker": { "pass": "${brokerPass}", }\n}`);
    const r = minigrid(["provision", "--board", "pico", "--settings", file, "--dry-run"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("is not JSON at line 2");
    expectNoSecret(r.stdout + r.stderr);
  });
});

describe("minigrid settings init", () => {
  /** Every key path of the schema a board's file can hold ("net.ssid", "ct[].pin"). */
  function paths(props: { [k: string]: any }, prefix = ""): string[] {
    const out: string[] = [];
    for (const k of Object.keys(props)) {
      if (k === "_help") continue;
      out.push(prefix + k);
      const s = props[k];
      if (s.properties) out.push(...paths(s.properties, prefix + k + "."));
      if (s.items?.properties) out.push(...paths(s.items.properties, prefix + k + "[]."));
    }
    return out;
  }

  it.each(boards.map((b) => b.id))("%s: explains every field, with the board's pins, and fits the board once the blanks are filled", (id) => {
    const board = findBoard(id)!;
    const s = startingSettings(board);
    const help = s._help as { [path: string]: string };
    const expected = paths(nodeSettingsSchema.properties).filter((p) => p !== "selfTest" && !(board.networks[0] === "host-tcp" && p.startsWith("net")) && !(id === "pico" && /^net\.(ssid|pass)$/.test(p)));
    expect(Object.keys(help).filter((k) => k !== "_").sort()).toEqual(expected.sort());
    for (const pin of board.ctPins) expect(help.ct).toContain(pin);
    if (board.i2c) expect(help.feeders).toContain(board.i2c.scl);

    const blank = checkNodeSettings(s, board);
    expect(blank.ok).toBe(false);
    Object.assign(s, { site: "kisumu-1", node: "controller" });
    s.broker.host = "192.168.4.1";
    if (s.net?.kind === "wifi") s.net.ssid = "site";
    // a board with no sensor port (the Linux build) has nothing to report: its node would be refused at every birth
    const ports = board.vedirect || board.modbus || board.i2c || board.ctPins.length > 0;
    if (ports) expect(checkNodeSettings(s, board)).toMatchObject({ ok: true });
    else expect(checkNodeSettings(s, board)).toMatchObject({ ok: false, errors: [expect.stringMatching(/^vedirect, modbus, ina226, ct: no sensor is set/)] });
  });

  it("writes the file, readable by its owner only, and never over an existing one", () => {
    const dir = tempDir();
    const out = join(dir, "node.json");
    const r = minigrid(["settings", "init", "--board", "pico", "--out", out]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("fill in site, node, broker.host, broker.user, broker.pass");
    expect(JSON.parse(readFileSync(out, "utf8"))).toEqual(JSON.parse(JSON.stringify(startingSettings(findBoard("pico")!))));
    expect(statSync(out).mode & 0o077).toBe(0);
    const again = minigrid(["settings", "init", "--board", "pico", "--out", out]);
    expect(again.status).toBe(2);
    expect(again.stderr).toContain("exists; give another --out, or --force to replace it");
  });
});
