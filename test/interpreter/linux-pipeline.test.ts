// The `linux` board on the real interpreter: settings from minigrid.json in its working directory, VE.Direct bytes
// replayed from a real capture, real batches published to a real broker over require("net").
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { expect, it } from "vitest";
import { Aedes } from "aedes";
import { createServer } from "node:net";
import { firmwareOutDir, projectRoot } from "../../cli/build/compile-firmware";
import { checkBatch, checkBirth } from "../../firmware/protocol/validate";
import { espruinoBin } from "./espruino-bin";
import { needs } from "../helpers/prerequisites";

needs("espruino").describe("the linux firmware on the real interpreter publishes to a broker", () => {
  it("births, goes online and publishes batches decoded from the replayed capture", async () => {
    const got: { topic: string; payload: string }[] = [];
    const aedes = await Aedes.createBroker();
    aedes.on("publish", (p, client) => {
      if (client) got.push({ topic: p.topic, payload: p.payload.toString() });
    });
    const server = createServer(aedes.handle);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as { port: number }).port;
    const dir = mkdtempSync(join(tmpdir(), "mg-linux-"));
    writeFileSync(join(dir, "minigrid.json"), JSON.stringify({
      site: "ci", node: "linux1", broker: { host: "127.0.0.1", port }, report_s: 2, sample_s: 1,
      vedirect: [{ kind: "bmv", capture: resolve(projectRoot, "test/fixtures/real/vedirect/bvm702.dump") }],
    }));
    const child = spawn(espruinoBin!, [join(firmwareOutDir, "linux.js")], { cwd: dir });
    let out = "";
    child.stdout.on("data", (d) => (out += d.toString("latin1")));
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && got.filter((g) => g.topic.endsWith("/t")).length < 3) await new Promise((r) => setTimeout(r, 200));
    child.kill("SIGKILL");
    server.close();
    await new Promise<void>((r) => aedes.close(() => r()));

    const birth = got.find((g) => g.topic === "mg/v1/ci/linux1/birth");
    expect(birth, out.slice(-2000)).toBeDefined();
    const b = checkBirth(JSON.parse(birth!.payload));
    expect(b.ok).toBe(true);
    expect(got.some((g) => g.topic === "mg/v1/ci/linux1/state" && g.payload === "online")).toBe(true);
    const batches = got.filter((g) => g.topic === "mg/v1/ci/linux1/t").map((g) => JSON.parse(g.payload));
    expect(batches.length).toBeGreaterThanOrEqual(3);
    const channels = b.ok ? b.value.ch : [];
    for (const batch of batches) expect(checkBatch(batch, channels.length)).toMatchObject({ ok: true });
    // battery voltage from the BMV-700 capture (about 12.1-12.2 V), scaled to mV
    const vIndex = channels.findIndex((c) => c[0] === 1);
    const v = batches.map((x) => x.r[0][vIndex]).filter((x: number | null) => x !== null);
    expect(v.length).toBeGreaterThan(0);
    for (const mv of v) expect(mv).toBeGreaterThan(11500);
  }, 60_000);
});
