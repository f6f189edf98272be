// The `linux` firmware in a Pico's memory: a build of the interpreter with a fixed pool of 5,100 variables boots the
// firmware from Storage (.bootcde, as `minigrid flash` leaves it on a board; the larger build writes it, since a
// 50 KB program loaded as a file does not fit in 5,100 variables) and publishes real batches to a real broker.
// Needs ESPRUINO_BIN and ESPRUINO_BIN_5100 (default: ESPRUINO_BIN + "-5100" when that file exists).
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { expect, it } from "vitest";
import { Aedes } from "aedes";
import { createServer } from "node:net";
import { firmwareOutDir, projectRoot } from "../../contracts/paths";
import { checkBatch, checkBirth } from "../../firmware/protocol/validate";
import { espruinoBin, espruinoBin5100 as smallBin } from "./espruino-bin";
import { needs } from "../helpers/prerequisites";
import { storageWriter } from "./board-standins";


needs("espruino", "espruino-5100").describe("the linux firmware in 5,100 variables, booted from Storage", () => {
  it("survives refused connections, then births, goes online and publishes batches, without running out of memory", async () => {
    const got: { topic: string; payload: string }[] = [];
    const aedes = await Aedes.createBroker();
    aedes.on("publish", (p, client) => {
      if (client) got.push({ topic: p.topic, payload: p.payload.toString() });
    });
    const server = createServer(aedes.handle);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as { port: number }).port;
    // closed at first: the node's first connections are refused (net.connect throws on Linux)
    await new Promise<void>((r) => server.close(() => r()));
    const dir = mkdtempSync(join(tmpdir(), "mg-linux-5100-"));
    writeFileSync(join(dir, "minigrid.json"), JSON.stringify({
      site: "ci", node: "pico1", broker: { host: "127.0.0.1", port }, report_s: 2, sample_s: 1,
      vedirect: [{ kind: "bmv", capture: resolve(projectRoot, "test/fixtures/real/vedirect/bvm702.dump") }],
    }));
    writeFileSync(join(dir, "writer.js"), storageWriter(".bootcde", readFileSync(join(firmwareOutDir, "linux.js"), "latin1")), "latin1");
    const w = spawnSync(espruinoBin!, ["writer.js"], { cwd: dir, timeout: 30_000, encoding: "latin1" });
    expect(w.status).toBe(0);

    // -e "" : the interpreter boots, which runs .bootcde from espruino.flash
    const child = spawn(smallBin!, ["-e", ""], { cwd: dir });
    let out = "";
    child.stdout.on("data", (d) => (out += d.toString("latin1")));
    await new Promise((r) => setTimeout(r, 2500));
    const refusedFirst = got.length === 0;
    await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && got.filter((g) => g.topic.endsWith("/t")).length < 3) await new Promise((r) => setTimeout(r, 200));
    const mem = spawnSync(smallBin!, ["-e", "print('TOTAL '+process.memory().total)"], { cwd: mkdtempSync(join(tmpdir(), "mg-5100-")), encoding: "latin1", timeout: 10_000 });
    child.kill("SIGKILL");
    server.close();
    await new Promise<void>((r) => aedes.close(() => r()));

    expect(/TOTAL (\d+)/.exec(mem.stdout ?? "")?.[1]).toBe("5100");
    expect(refusedFirst).toBe(true);
    expect(out).not.toContain("OUT OF MEMORY");
    const birth = got.find((g) => g.topic === "mg/v1/ci/pico1/birth");
    expect(birth, out.slice(-2000)).toBeDefined();
    const b = checkBirth(JSON.parse(birth!.payload));
    expect(b.ok).toBe(true);
    expect(got.some((g) => g.topic === "mg/v1/ci/pico1/state" && g.payload === "online")).toBe(true);
    const batches = got.filter((g) => g.topic === "mg/v1/ci/pico1/t").map((g) => JSON.parse(g.payload));
    expect(batches.length).toBeGreaterThanOrEqual(3);
    for (const batch of batches) expect(checkBatch(batch, b.ok ? b.value.ch.length : 0)).toMatchObject({ ok: true });
  }, 60_000);
});
