import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { firmwareOutDir, projectRoot } from "../../contracts/paths";
import { findBoard } from "../../firmware/boards/index";
import { VirtualEspruino } from "../../sim/vm/espruino-vm";

const cli = resolve(projectRoot, "bin/minigrid.mjs");

/** Without a network at all where this machine allows it (a fresh network namespace), so a download would fail. */
function offline(args: string[]) {
  const canUnshare = process.getuid?.() === 0 && existsSync("/usr/bin/unshare") &&
    spawnSync("/usr/bin/unshare", ["-n", "true"]).status === 0;
  const cmd = canUnshare ? ["/usr/bin/unshare", "-n", process.execPath, cli, ...args] : [process.execPath, cli, ...args];
  return spawnSync(cmd[0], cmd.slice(1), { encoding: "utf8", cwd: projectRoot, timeout: 60_000 });
}

describe("minigrid flash --dry-run", () => {
  // the Pico's 48 KB Storage holds the firmware and its queue; the ESP32's 896 KB with room to spare
  // (bench figure firmware.storageShare.*)
  it.each(["pico", "esp32"])("writes exactly what would be sent to the %s board, offline, and it installs the firmware as .bootcde", async (board) => {
    const out = join(mkdtempSync(join(tmpdir(), "mg-flash-")), "upload.js");
    const r = offline(["flash", "--board", board, "--dry-run", "--out", out, "--no-build"]);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/not found|ENOTFOUND|EAI_AGAIN|download/i);
    const upload = readFileSync(out, "latin1");
    // the ESP32 has room for updates over the air: the program in image slot 0, the boot loader as .bootcde
    const updatable = board === "esp32";
    if (updatable) for (const f of ["mg.fw0", "mg.rx", "mg.cur", ".bootcde"]) expect(upload).toContain(`require("Storage").write("${f}",`);
    else expect(upload.startsWith('require("Storage").write(".bootcde",')).toBe(true);
    expect(upload.trimEnd().endsWith('load(".bootcde")')).toBe(true);

    // What the board would do with it: run the upload, which writes .bootcde and loads it.
    const esp = new VirtualEspruino({ board: findBoard(board)! });
    esp.load(upload);
    await esp.runFor(1000);
    const program = readFileSync(join(firmwareOutDir, `${board}.js`), "latin1");
    if (updatable) {
      expect(esp.storage().read("mg.fw0")).toBe(program);
      expect(esp.storage().read("mg.cur")).toBe("0");
      expect(esp.storage().read("mg.rx")).toBe(readFileSync(join(firmwareOutDir, "receiver.js"), "latin1"));
      expect(esp.storage().read(".bootcde")).toBe(readFileSync(join(firmwareOutDir, "boot.js"), "latin1"));
    } else expect(esp.storage().read(".bootcde")).toBe(program);
    expect(esp.resets).toEqual(["power-on", "load"]);
    expect(esp.output.join("\n")).toMatch(new RegExp(`minigrid [\\d.]+ ${board} `));
  });

  it("refuses an unknown board and a missing port, naming the fix", () => {
    const unknown = offline(["flash", "--board", "nope", "--dry-run"]);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain("unknown board 'nope'");
    const noPort = offline(["flash", "--board", "pico", "--no-build"]);
    expect(noPort.status).toBe(2);
    expect(noPort.stderr).toContain("--port is required");
  });

  it("every subcommand has --help", async () => {
    const { commands } = await import("../../cli/main");
    const names = commands.map((c) => c.name);
    expect(names).toEqual(expect.arrayContaining(["start", "build", "flash", "sim", "decode", "bench"]));
    // one process for the top-level help, the rest in-process (each CLI start costs seconds of TypeScript loading)
    const top = spawnSync(process.execPath, [cli, "--help"], { encoding: "utf8" });
    expect(top.status).toBe(0);
    for (const n of names) expect(top.stdout).toContain(`  ${n}`);
    const { main } = await import("../../cli/main");
    const log = console.log;
    for (const n of names) {
      let out = "";
      console.log = (s: string) => (out += s + "\n");
      try {
        expect(await main([n, "--help"]), n).toBe(0);
      } finally {
        console.log = log;
      }
      expect(out, n).toMatch(new RegExp(`^Usage: minigrid ${n}`));
    }
  }, 120_000);
});
