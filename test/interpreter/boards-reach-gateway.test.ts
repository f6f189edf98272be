// Every board's own file on the real interpreter: the board's pins, UARTs, I2C bus and network module stood in by
// code in the interpreter's JavaScript (board-standins.ts), booted from Storage as `minigrid flash` leaves a board.
// It joins its network, reaches a real gateway (embedded broker, SQLite) over real TCP, and the gateway stores its
// birth and batches. Each then loses its network once (access point gone, Ethernet cable out) and comes back.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, expect, it } from "vitest";
import { firmwareOutDir, projectRoot } from "../../contracts/paths";
import { findBoard } from "../../firmware/boards/index";
import { Gateway } from "../../gateway/gateway";
import { needs } from "../helpers/prerequisites";
import { tempDir, testConfig } from "../gateway/fixture";
import { makeCert } from "../uplink/site";
import { allDriverSettings, boardStandins, storageWriter } from "./board-standins";
import { espruinoBin, runEspruino } from "./espruino-bin";

const capture = resolve(projectRoot, "test/fixtures/real/vedirect/bvm702.dump");
let gw: Gateway | undefined;

afterEach(async () => {
  await gw?.stop();
  gw = undefined;
});

const count = (sql: string, ...args: unknown[]) => (gw!.store!.db.prepare(sql).get(...args) as { n: number }).n;

async function until(check: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return check();
}

/** Storage for a board, as a flashed board with its settings has it: stand-ins in .boot0, the program in .bootcde. */
function flashFolder(boardId: string, settings: Record<string, unknown>, script = ""): string {
  const board = findBoard(boardId)!;
  const dir = mkdtempSync(join(tmpdir(), `mg-board-${boardId}-`));
  const program = readFileSync(join(firmwareOutDir, `${boardId}.js`), "latin1");
  writeFileSync(join(dir, "writer.js"),
    storageWriter(".boot0", boardStandins(board, capture) + script) + storageWriter(".bootcde", program) +
    `require("Storage").writeJSON("mg.settings",${JSON.stringify(settings)});\n`, "latin1");
  const w = runEspruino("writer.js", dir);
  if (w.status !== 0) throw new Error(`writing Storage failed: ${w.stdout}`);
  return dir;
}

for (const boardId of ["espruino-wifi", "pico", "pico-esp8266", "esp32"]) {
  needs("espruino").describe(`the ${boardId} file on the real interpreter`, () => {
    it("joins its network, reaches the gateway and has its birth and batches stored", async () => {
      const board = findBoard(boardId)!;
      gw = new Gateway(testConfig(tempDir(), {}, ["n1"]));
      await gw.start();
      const port = Number(new URL(gw.brokerUrl).port);
      const wifi = board.networks.some((n) => n.endsWith("wifi"));
      // once it has published, the access point goes away (or the Ethernet cable is pulled) for 12 s: longer than the
      // W5500's PHY is polled (firmware/net/w5500.ts, every 10 s), since nothing else tells a pulled cable here (TCP
      // is the host's own)
      const script = "setTimeout(function () { MG_NET.drop(); setTimeout(function () { MG_NET.ap = MG_NET.cable = true; }, 12000); }, 6000);";
      const dir = flashFolder(boardId, allDriverSettings(board, port, "n1"), script);
      const child = spawn(espruinoBin!, ["-e", ""], { cwd: dir });
      let out = "";
      child.stdout.on("data", (d) => (out += d.toString("latin1")));
      const stored = () => count("SELECT count(*) AS n FROM batches WHERE site='s1' AND node='n1'");
      const first = await until(() => stored() >= 3, 20_000);
      const afterFirst = stored();
      const again = await until(() => /net up[\s\S]*net down[\s\S]*net up/.test(out) && stored() >= afterFirst + 3, 40_000);
      child.kill("SIGKILL");

      expect(first, out.slice(-3000)).toBe(true);
      expect(out).toContain("net up");
      expect(out).not.toContain("OUT OF MEMORY");
      const node = gw.store!.db.prepare("SELECT board, birth_json, link_rssi FROM nodes WHERE site='s1' AND node='n1'").get() as { board: string; birth_json: string; link_rssi: number | null };
      expect(node.board).toBe(boardId);
      const birth = JSON.parse(node.birth_json);
      expect(birth.ch.length).toBeGreaterThan(10); // every driver's channels
      if (wifi) {
        expect(birth.rssi).toBe(-61);
        expect(node.link_rssi).toBe(-61);
      }
      // lost, noticed, joined again, and batches flow again
      expect(again, out.slice(-3000)).toBe(true);
    }, 90_000);
  });
}

// MQTT over TLS on the board whose interpreter has it: the ESP32's file, its settings asking for TLS with the
// broker's certificate, reaches a gateway that listens with TLS only (its embedded broker on a self-signed
// certificate), and the gateway stores its birth and batches. The board with no TLS is refused by its settings check
// (test/cli/settings-check.test.ts).
needs("espruino", "openssl").describe("the esp32 file over TLS on the real interpreter", () => {
  it("reaches a gateway that listens with TLS, and has its batches stored", async () => {
    const dir = tempDir();
    expect(makeCert(dir)).toBe(true);
    gw = new Gateway(testConfig(dir, { broker: { tls: { cert: join(dir, "cert.pem"), key: join(dir, "key.pem") } } }, ["n1"]));
    await gw.start();
    expect(gw.brokerUrl).toMatch(/^mqtts:/);
    const port = Number(new URL(gw.brokerUrl).port);
    const settings = allDriverSettings(findBoard("esp32")!, port, "n1");
    const broker = settings.broker as Record<string, unknown>;
    broker.tls = true;
    broker.ca = readFileSync(join(dir, "cert.pem"), "latin1");
    const child = spawn(espruinoBin!, ["-e", ""], { cwd: flashFolder("esp32", settings) });
    let out = "";
    child.stdout.on("data", (d) => (out += d.toString("latin1")));
    const stored = await until(() => count("SELECT count(*) AS n FROM batches WHERE site='s1' AND node='n1'") >= 3, 40_000);
    child.kill("SIGKILL");
    expect(stored, out.slice(-3000)).toBe(true);
    expect(out).not.toContain("mqtt down");
  }, 90_000);
});
