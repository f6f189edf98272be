// The `linux` board on the real interpreter: settings from minigrid.json in its working directory, VE.Direct bytes
// replayed from a real capture, real batches published to a real broker over require("net"); and a capture whose
// block passes its checksum with a state of charge that cannot be true.
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { expect, it } from "vitest";
import { Aedes } from "aedes";
import { createServer } from "node:net";
import { firmwareOutDir, projectRoot } from "../../contracts/paths";
import { checkBatch, checkBirth } from "../../firmware/protocol/validate";
import { espruinoBin } from "./espruino-bin";
import { needs } from "../helpers/prerequisites";
import { encodeVeDirectValues, VE_FIELD_ORDER } from "../../sim/devices/vedirect-encode";

/** The linux firmware on the interpreter against a broker, its BMV's bytes replayed from `capture`, until it has
 *  published three batches: what it published, and its console. */
async function runWithCapture(capture: string) {
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
    vedirect: [{ kind: "bmv", capture }],
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
  const channels = b.ok ? b.value.ch : [];
  const batches = got.filter((g) => g.topic === "mg/v1/ci/linux1/t").map((g) => JSON.parse(g.payload));
  expect(batches.length).toBeGreaterThanOrEqual(3);
  for (const batch of batches) expect(checkBatch(batch, channels.length)).toMatchObject({ ok: true });
  const events = got.filter((g) => g.topic === "mg/v1/ci/linux1/evt").map((g) => JSON.parse(g.payload));
  return { got, channels, batches, events, out };
}

needs("espruino").describe("the linux firmware on the real interpreter publishes to a broker", () => {
  it("births, goes online and publishes batches decoded from the replayed capture", async () => {
    const { got, channels, batches, events } = await runWithCapture(resolve(projectRoot, "test/fixtures/real/vedirect/bvm702.dump"));
    expect(got.some((g) => g.topic === "mg/v1/ci/linux1/state" && g.payload === "online")).toBe(true);
    // battery voltage from the BMV-700 capture (about 12.1-12.2 V), scaled to mV
    const vIndex = channels.findIndex((c) => c[0] === 1);
    const v = batches.map((x) => x.r[0][vIndex]).filter((x: number | null) => x !== null);
    expect(v.length).toBeGreaterThan(0);
    for (const mv of v) expect(mv).toBeGreaterThan(11500);
    // every reading of the real monitor is plausible: none refused
    expect(batches.every((x) => !x.q[0].includes("f"))).toBe(true);
    expect(events.filter((e) => e.e === "reading.implausible")).toEqual([]);
  }, 60_000);

  it("a block with a valid checksum and a state of charge of 14,932 %: SOC missing and failed, counted", async () => {
    // the BMV's live block, checksum and all, with SOC 149320 per mille; 12.6 V, -2 A otherwise plausible
    const block = encodeVeDirectValues(VE_FIELD_ORDER.bmvLive, {
      productId: 0x204, battery_mV: 12600, battery_mA: -2000, power_W: -25, consumed_mAh: -20000, soc_permille: 149320, timeToGo_min: -1,
    }, {});
    const file = join(mkdtempSync(join(tmpdir(), "mg-capture-")), "soc-14932.dump");
    writeFileSync(file, Buffer.from(block.repeat(8), "latin1"));
    const { channels, batches, events } = await runWithCapture(file);
    const soc = channels.findIndex((c) => c[1] === "battery_soc_pct");
    const volts = channels.findIndex((c) => c[0] === 1);
    // after the first row (the replay may not have started within it): SOC null with "f", the voltage kept
    for (const x of batches.slice(1)) {
      expect(x.r[0][soc]).toBeNull();
      expect(x.q[0][soc]).toBe("f");
      expect(x.r[0][volts]).toBe(12600);
      expect(x.q[0][volts]).toBe("o");
    }
    const counts = events.filter((e) => e.e === "reading.implausible").map((e) => e.d.n);
    expect(counts.length).toBeGreaterThan(0);
    expect(counts[0]).toBeGreaterThanOrEqual(1);
  }, 60_000);
});
