// The node page's firmware update panel (gateway/dashboard/src/update-panel.ts) in chromium against a running
// gateway: the operator picks a built image and sends it; the gateway's refusal is shown with its reason, and a
// forced update shows its progress (the node here is an mqtt.js client that does not answer: staging stays at 0).
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import type { MqttClient } from "mqtt";
import { launchChromium } from "./chromium";
import { startGateway, type Harness } from "./site-harness";
import { nodeClient, waitFor } from "../gateway/fixture";
import { needs } from "../helpers/prerequisites";
import { firmwareOutDir } from "../../contracts/paths";

const TOKEN = "update-panel-token-0123";

needs("chromium").describe("firmware update panel in chromium", () => {
  let h: Harness;
  let browser: Browser;
  let ctl: MqttClient;

  beforeAll(async () => {
    h = await startGateway(TOKEN, undefined, ["ctl-1"]);
    ctl = await nodeClient(h.gw.brokerUrl, "ctl-1");
    await ctl.publishAsync("mg/v1/s1/ctl-1/birth", JSON.stringify({ v: 1, fw: "0.1.0", bd: "esp32", boot: 1, rr: "power", cfh: 0, cfg: {}, clk: 1, up: 5, ch: [[1, "battery_V", "mean", 3]] }), { qos: 1, retain: true });
    await waitFor(() => !!h.gw.store!.db.prepare("SELECT 1 FROM nodes WHERE node = 'ctl-1'").get(), 5000, "ctl-1's birth");
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    ctl?.end(true);
    await h?.stop();
  });

  it("refuses an image that is not newer, then a forced one goes and its progress shows", async () => {
    const page = await (await browser.newContext()).newPage();
    await page.goto(h.base + "/?site=s1&node=ctl-1");
    await page.getByRole("textbox", { name: "Token" }).fill(TOKEN);
    await page.getByRole("button", { name: "Use token" }).click();
    await page.getByRole("heading", { name: "Firmware update" }).waitFor();
    await expect.poll(() => page.locator("#up-status").textContent(), { timeout: 10_000 }).toBe("No update since the gateway started.");
    await page.getByLabel("Firmware image").setInputFiles(join(firmwareOutDir, "esp32.js"));
    await page.getByRole("button", { name: "Update firmware" }).click();
    await expect.poll(() => page.locator("#up-status").textContent(), { timeout: 10_000 }).toMatch(/^Refused: image: version 0\.1\.0 is the same as the 0\.1\.0/);
    await page.getByLabel("even if not newer").check();
    await page.getByRole("button", { name: "Update firmware" }).click();
    await expect.poll(() => page.locator("#up-status").textContent(), { timeout: 10_000 }).toMatch(/^Updating 0\.1\.0 to 0\.1\.0: 0 of \d+ bytes staged$/);
  }, 60_000);
});
