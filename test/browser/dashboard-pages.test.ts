// The fleet, site and node pages in chromium against a running gateway: site s1 is the pico firmware in the virtual
// Espruino (ctl-1) and an mqtt.js node that answers commands (ctl-2); three more sites hold a day of the synthetic
// site's data written through the gateway's Store. Values on the pages are checked against SQLite; screenshots of
// each page on a desktop and a 390 px phone go to test-artifacts/.
import { mkdirSync } from "node:fs";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import type { MqttClient } from "mqtt";
import { launchChromium } from "./chromium";
import { simulatedSite, startGateway, type Harness } from "./site-harness";
import { nodeClient, waitFor } from "../gateway/fixture";
import { formatNumber } from "../../gateway/dashboard/src/view";
import { dayIn, startOfDayIn, timeIn } from "../../gateway/time/zone";
import { fillFleet } from "../../sim/fleet/store-fill";
import { insertAlarm } from "../../gateway/alarms/store";
import { startApi, type RunningApi } from "../../gateway/api/server";
import { EventBus } from "../../gateway/events";
import { needs } from "../helpers/prerequisites";

const TOKEN = "dashboard-pages-token-0123";
const ART = new URL("../../test-artifacts/", import.meta.url).pathname;
const MIN = 60_000;
const ZONE = "Asia/Kathmandu";
const FEEDERS = { feeder1: "homes-north", feeder2: "clinic", feeder3: "school" };

needs("chromium").describe("fleet, site and node pages in chromium", () => {
  let h: Harness;
  let browser: Browser;
  let ctl2: MqttClient;
  let site: ReturnType<typeof simulatedSite> | undefined;
  const commands: { c: string; a?: unknown }[] = [];
  const db = () => h.gw.store!.db;

  beforeAll(async () => {
    mkdirSync(ART, { recursive: true });
    h = await startGateway(TOKEN, { enabled: true, defaults: {}, sites: {} }, undefined, { s1: { timezone: ZONE, feeders: FEEDERS }, "site-002": { timezone: "America/Lima" } });
    site = simulatedSite(h.gw, "ctl-1", Math.floor(Date.now() / 1000) - 300);
    site.powerOn();
    const stored = () => (db().prepare("SELECT COUNT(*) AS n FROM samples WHERE node = 'ctl-1'").get() as { n: number }).n;
    const batches = () => (db().prepare("SELECT COUNT(*) AS n FROM batches WHERE node = 'ctl-1'").get() as { n: number }).n;
    // minutes of the firmware until three of its batches are stored (on a busy machine joining the network takes longer)
    await site.esp.runFor(3 * MIN);
    for (let k = 0; k < 20 && batches() < 3; k++) await site.esp.runFor(MIN);
    // what the firmware queued reaches the gateway over the virtual network after the run: wait until it is all stored
    for (let before = -1, k = 0; k < 60 && !(stored() > 0 && stored() === before); k++) {
      before = stored();
      await new Promise((r) => setTimeout(r, 1500));
    }
    expect(stored()).toBeGreaterThan(0);
    // ctl-2 answers commands as the firmware does: reboot and resend ok, a cfg of an unknown key refused
    ctl2 = await nodeClient(h.gw.brokerUrl, "ctl-2");
    const ch2 = [[1, "battery_V", "mean", 3], [6, "battery_soc_pct", "last", 1]];
    await ctl2.publishAsync("mg/v1/s1/ctl-2/birth", JSON.stringify({ v: 1, fw: "1.2.3", bd: "esp32", boot: 1, rr: "power", cfh: 0, cfg: { report_s: 60 }, clk: 1, up: 5, ch: ch2 }), { qos: 1, retain: true });
    await ctl2.publishAsync("mg/v1/s1/ctl-2/t", JSON.stringify({ b: 1, s: 1, t: Math.floor(Date.now() / 1000) - 60, ts: 1, i: 60, r: [[12700, 640]], q: ["oo"] }), { qos: 1 });
    await ctl2.subscribeAsync("mg/v1/s1/ctl-2/cmd", { qos: 1 });
    ctl2.on("message", (topic, payload) => {
      if (!topic.endsWith("/cmd")) return;
      const p = JSON.parse(payload.toString());
      commands.push({ c: p.c, a: p.a });
      const ok = p.c !== "cfg" || Object.keys(p.a).every((k) => k === "report_s");
      void ctl2.publishAsync("mg/v1/s1/ctl-2/ack", JSON.stringify({ id: p.id, ok, r: ok ? (p.c === "resend" ? { queued: 2 } : undefined) : "sample_s: not on this node" }), { qos: 1 });
    });
    // three more sites: a day of five-minute rows each; site-002 with an open critical alarm
    fillFleet(h.gw.store!, { sites: 3, end_ms: Date.now(), hours: 30, report_s: 300 });
    insertAlarm(db(), { site: "site-002", node: "n1", rule: "battery_low", severity: "critical", raised_at: Date.now() - 10 * MIN, message: "battery under 11.5 V", value: 11.3 });
    await waitFor(() => (db().prepare("SELECT COUNT(*) AS n FROM samples WHERE node = 'ctl-2'").get() as { n: number }).n > 0, 5000, "ctl-2's batch");
    browser = await launchChromium();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    ctl2?.end(true);
    site?.esp.net.powerOff();
    await h?.stop();
  });

  /** A page of its own, signed in, at `path`; page errors and failed requests are collected. */
  async function opened(path: string, viewport = { width: 1280, height: 900 }, phone = false): Promise<{ p: Page; errors: string[]; close: () => Promise<void> }> {
    const ctx = await browser.newContext({ viewport, timezoneId: "America/Los_Angeles", ...(phone ? { deviceScaleFactor: 2, isMobile: true, hasTouch: true } : {}) });
    await ctx.addInitScript((t) => sessionStorage.setItem("minigrid.token", t), TOKEN);
    const p = await ctx.newPage();
    const errors: string[] = [];
    p.on("pageerror", (e) => errors.push("page error: " + e.message));
    // (the event stream is cut when the page goes to another page: not a failure)
    p.on("requestfailed", (r) => void (r.url().includes("/api/events") || errors.push("failed: " + r.url())));
    await p.goto(h.base + path);
    return { p, errors, close: () => ctx.close() };
  }

  const newest = (s: string, node: string, key: string, agg = "mean") =>
    db().prepare("SELECT s.value, s.quality, s.ts FROM samples s JOIN channels c USING (site, node, channel_id) WHERE s.site = ? AND s.node = ? AND c.key = ? AND c.agg = ? ORDER BY s.ts DESC LIMIT 1").get(s, node, key, agg) as { value: number | null; quality: string; ts: number } | undefined;
  const rise = (s: string, node: string, key: string, from: number) =>
    (db().prepare("SELECT MAX(s.value) - MIN(s.value) AS wh FROM samples s JOIN channels c USING (site, node, channel_id) WHERE s.site = ? AND s.node = ? AND c.key = ? AND c.agg = 'counter' AND s.ts >= ?").get(s, node, key, from) as { wh: number | null }).wh;

  it("the fleet page: every node with its status, state of charge and energy today; sorts, filters, and a row opens its site", async () => {
    const { p, errors, close } = await opened("/");
    await p.locator("#fleet tbody tr[data-node]").first().waitFor();
    const nodes = db().prepare("SELECT site, node FROM nodes ORDER BY site, node").all() as { site: string; node: string }[];
    expect(await p.locator("#fleet tbody tr[data-node]").count()).toBe(nodes.length);
    // ctl-1's values as stored, energy today from the site's midnight in Kathmandu
    const row = p.locator('#fleet tr[data-site="s1"][data-node="ctl-1"]');
    const soc = newest("s1", "ctl-1", "battery_soc_pct", "last")!;
    expect(await row.locator('[data-key="battery_soc_pct"] .num').textContent()).toBe(formatNumber(soc.value!, "%"));
    const pv = rise("s1", "ctl-1", "pv_Wh", startOfDayIn(Date.now(), ZONE))!;
    const pvSamples = () => JSON.stringify(db().prepare("SELECT s.ts, s.value, s.quality FROM samples s JOIN channels c USING (site, node, channel_id) WHERE s.site = 's1' AND s.node = 'ctl-1' AND c.key = 'pv_Wh' ORDER BY s.ts").all());
    expect(await row.locator('[data-key="pv_Wh"] .num').textContent(), pvSamples()).toBe((pv / 1000).toFixed(2));
    expect(await row.locator('[data-key="pv_Wh"] .unit').textContent()).toBe("kWh");
    const lima = rise("site-002", "n1", "load_Wh", startOfDayIn(Date.now(), "America/Lima"))!;
    expect(await p.locator('#fleet tr[data-site="site-002"] [data-key="load_Wh"] .num').textContent()).toBe((lima / 1000).toFixed(2));
    // ctl-2 measures no PV: said so, not a zero
    expect(await p.locator('#fleet tr[data-node="ctl-2"] [data-key="pv_Wh"]').textContent()).toBe("not measured");
    // status colours: site-002's critical alarm; last seen in the site's zone
    expect(await p.locator('#fleet tr[data-site="site-002"]').getAttribute("data-status")).toBe("critical");
    expect(await p.locator('#fleet tr[data-site="site-002"] .status').textContent()).toBe("critical");
    const seen = db().prepare("SELECT last_seen FROM nodes WHERE site = 's1' AND node = 'ctl-1'").get() as { last_seen: number };
    expect(await row.locator("td").nth(5).textContent()).toContain(timeIn(seen.last_seen, ZONE));
    // sorted by status first: the critical node on top
    expect(await p.locator("#fleet tbody tr").first().getAttribute("data-status")).toBe("critical");
    expect(await p.locator("#fl-summary").textContent()).toMatch(/^4 sites, 5 nodes: 1 critical, /);
    await p.screenshot({ path: ART + "dashboard-fleet-desktop.png", fullPage: true });

    // sort by state of charge, lowest first, then highest first
    await p.getByRole("button", { name: "State of charge" }).click();
    expect(await p.locator('#fleet th[data-sort="soc"]').getAttribute("aria-sort")).toBe("ascending");
    const socs = async () => (await p.locator('#fleet tbody [data-key="battery_soc_pct"] .num').allTextContents()).map(Number);
    const up = await socs();
    expect(up).toEqual([...up].sort((a, b) => a - b));
    await p.getByRole("button", { name: "State of charge" }).click();
    expect(await p.locator('#fleet th[data-sort="soc"]').getAttribute("aria-sort")).toBe("descending");
    const down = await socs();
    expect(down).toEqual([...up].sort((a, b) => b - a));
    // the address keeps the view
    expect(new URL(p.url()).searchParams.get("sort")).toBe("soc");
    // filter by name, then by status
    await p.getByLabel("Filter sites and nodes by name").fill("ctl");
    expect(await p.locator("#fleet tbody tr[data-node]").count()).toBe(2);
    await p.getByLabel("Filter sites and nodes by name").fill("");
    await p.getByLabel("Show nodes of status").selectOption("critical");
    expect(await p.locator("#fleet tbody tr[data-node]").evaluateAll((rs) => rs.map((r) => r.getAttribute("data-site")))).toEqual(["site-002"]);
    await p.getByLabel("Show nodes of status").selectOption("");
    // a row opens its site
    await p.locator('#fleet tr[data-node="ctl-2"] td').first().click();
    await p.waitForURL((u) => u.search === "?site=s1");
    await p.locator("#flow svg").waitFor();
    expect(errors).toEqual([]);
    await close();
  });

  it("the site page: energy flow now, 30 days of energy with today and yesterday, power and charge on one chart, feeders by name", async () => {
    const { p, errors, close } = await opened("/?site=s1");
    await p.locator("#flow svg").waitFor();
    await p.locator("#daily svg").waitFor();
    // PV into the DC bus: ctl-1's newest pv_W (ctl-2 has none)
    const pv = newest("s1", "ctl-1", "pv_W")!;
    const pvPath = p.locator('#flow [data-path="pv"]');
    expect(await pvPath.locator("text").textContent()).toBe(`${formatNumber(pv.value!, "W")} W`);
    expect(await pvPath.getAttribute("data-state")).toBe("ok");
    // the battery's direction named from the battery monitor's power
    const bw = newest("s1", "ctl-1", "battery_W")!.value!;
    const battery = (await p.locator('#flow [data-path="battery"] text').textContent())!;
    expect(battery).toMatch(bw > 5 ? /^charging / : bw < -5 ? /^discharging / : /^idle /);
    expect(battery).toContain(`${formatNumber(Math.abs(bw), "W")} W`);
    const label = (await p.locator("#flow svg").getAttribute("aria-label"))!;
    expect(label).toMatch(/^Energy flow now: PV \d+ W into the DC bus; battery (charging|discharging|idle)/);
    // no inverter on a pico with an EPEver, and this one has no CT clamps: the inverter's path is not measured
    expect((db().prepare("SELECT COUNT(*) AS n FROM channels WHERE site = 's1' AND (key LIKE 'ct%' OR key LIKE 'ac_out%')").get() as { n: number }).n).toBe(0);
    expect(await p.locator('#flow [data-path="inverter"] text').textContent()).toBe("not measured");
    expect(await p.locator('#flow [data-path="inverter"]').getAttribute("data-state")).toBe("none");
    // today's PV bar and the table: the rise of ctl-1's counter since Kathmandu's midnight
    const today = dayIn(Date.now(), ZONE);
    const wh = rise("s1", "ctl-1", "pv_Wh", startOfDayIn(Date.now(), ZONE))!;
    expect(Number(await p.locator(`#daily rect[data-day="${today}"][data-key="pv_Wh"]`).getAttribute("data-wh"))).toBe(Math.round(wh));
    expect(await p.locator('#daily-table tr[data-row="pv_Wh"] td').first().textContent()).toBe(`${(wh / 1000).toFixed(2)} kWh`);
    expect(await p.locator("#daily-table thead th").nth(1).textContent()).toBe(`Today (${today})`);
    // yesterday: no readings (the node started minutes ago), shown as such
    expect(await p.locator('#daily-table tr[data-row="pv_Wh"] td').nth(1).textContent()).toBe("— (no reading)");
    expect(await p.locator(`#daily rect[data-day="${dayIn(Date.now() - 86_400_000, ZONE)}"][data-key="pv_Wh"]`).getAttribute("data-state")).toBe("none");
    expect(await p.locator("#daily svg").getAttribute("aria-label")).toMatch(/^Energy per day from \d{4}-\d{2}-\d{2} to today \(30 days of Asia\/Kathmandu\): PV yield .* today /);
    // one chart: PV and load in W, state of charge in % on the second axis
    await expect.poll(() => p.locator("#power-chart").getAttribute("aria-label")).toMatch(/^Chart of PV and DC load \(W\) and State of charge \(%\) from /);
    expect(await p.locator("#power-chart .u-axis").count()).toBe(3);
    expect(await p.locator("#battery-chart").getAttribute("aria-label")).toMatch(/^Chart of Battery \(W\)/);
    // the feeders by their names from the gateway setting, and the unmetered rest
    const feeders = (await p.locator("#feeder-chart").getAttribute("aria-label"))!;
    for (const name of Object.values(FEEDERS)) expect(feeders).toContain(name);
    expect(feeders).toContain("Unmetered (DC load minus the DC feeders)");
    expect(await p.locator("#feeder-chart .u-legend").textContent()).toContain("homes-north");
    // the breadcrumb and the nodes, each a link to its page
    expect(await p.getByRole("navigation", { name: "Pages" }).getByRole("link", { name: "Site s1" }).getAttribute("aria-current")).toBe("page");
    expect(await p.locator('#site-nodes tr[data-node="ctl-2"] a').getAttribute("href")).toBe("?site=s1&node=ctl-2");
    await p.screenshot({ path: ART + "dashboard-site-desktop.png", fullPage: true });
    expect(errors).toEqual([]);
    await close();
    // a site with a day and a half of data (CT clamps on its AC feeders), as an operator sees one
    const day = await opened("/?site=site-001");
    await day.p.locator("#daily svg").waitFor();
    await expect.poll(() => day.p.locator("#feeder-chart").getAttribute("aria-label")).toContain("Mains feeder 1 (CT) (AC, behind the inverter)");
    expect(await day.p.locator('#flow [data-path="inverter"] text').textContent()).toMatch(/ W \(CT\)$/);
    await day.p.screenshot({ path: ART + "dashboard-site-desktop-day.png", fullPage: true });
    expect(day.errors).toEqual([]);
    await day.close();
  });

  it("a site the gateway does not have is named, and the first one shown instead", async () => {
    const { p, close } = await opened("/?site=nowhere");
    await expect.poll(() => p.getByRole("alert").textContent()).toBe('This gateway has no site "nowhere"; showing site s1 instead.');
    await p.locator("#flow svg").waitFor();
    await close();
  });

  it("the node page's commands: reboot asked twice, a setting, a resend, each with the node's answer; a refused setting says why", async () => {
    const { p, errors, close } = await opened("/?site=s1&node=ctl-2");
    await p.getByRole("heading", { name: "Commands to node ctl-2" }).waitFor();
    await p.getByRole("button", { name: "Reboot…" }).click();
    expect(commands).toEqual([]); // not yet: asked first
    await p.getByRole("button", { name: "Reboot now" }).click();
    const first = p.locator("#commands tbody tr[data-command]").first();
    await expect.poll(() => first.getAttribute("data-state"), { timeout: 5000 }).toBe("ok");
    expect(await first.textContent()).toContain("reboot");
    expect(commands[0].c).toBe("reboot");
    const stored = db().prepare("SELECT name, ok FROM commands WHERE node = 'ctl-2' ORDER BY created_at DESC LIMIT 1").get() as { name: string; ok: number };
    expect(stored).toEqual({ name: "reboot", ok: 1 });
    // a setting the gateway's schema refuses: nothing sent, the reason names the key
    await p.getByLabel("Setting", { exact: true }).fill("report_s");
    await p.getByLabel("Value", { exact: true }).fill("-5");
    await p.getByRole("button", { name: "Send setting" }).click();
    await expect.poll(() => p.locator("#cm-msg").textContent()).toMatch(/^Refused by the gateway: a: refused, nothing published: report_s/);
    expect(await p.locator("#cm-msg").getAttribute("data-state")).toBe("refused");
    expect(commands.length).toBe(1);
    // a good one goes to the node and its answer is shown
    await p.getByLabel("Value", { exact: true }).fill("30");
    await p.getByRole("button", { name: "Send setting" }).click();
    await expect.poll(() => first.textContent(), { timeout: 5000 }).toContain("setting report_s=30");
    await expect.poll(() => first.getAttribute("data-state"), { timeout: 5000 }).toBe("ok");
    expect(commands[1]).toEqual({ c: "cfg", a: { report_s: 30 } });
    // a setting the node itself refuses: failed, with the node's reason
    await p.getByLabel("Setting", { exact: true }).fill("sample_s");
    await p.getByLabel("Value", { exact: true }).fill("5");
    await p.getByRole("button", { name: "Send setting" }).click();
    await expect.poll(() => first.getAttribute("data-state"), { timeout: 5000 }).toBe("failed");
    expect(await first.textContent()).toContain("refused by the node: sample_s: not on this node");
    // resend batches 1..2
    await p.getByLabel("Resend batches from").fill("1");
    await p.getByLabel("to", { exact: true }).fill("2");
    await p.getByRole("button", { name: "Resend" }).click();
    await expect.poll(() => first.textContent(), { timeout: 5000 }).toContain("resend batches 1..2");
    await expect.poll(() => first.getAttribute("data-state"), { timeout: 5000 }).toBe("ok");
    expect(await first.textContent()).toContain('done: {"queued":2}');
    await p.locator("#commands-panel").screenshot({ path: ART + "dashboard-node-commands.png" });
    await p.screenshot({ path: ART + "dashboard-node-desktop.png", fullPage: true });
    expect(errors).toEqual([]);
    await close();
  });

  it("an API that cannot send commands disables the buttons and says why", async () => {
    // the same database served by an API without a broker: its command endpoints answer 503
    const bare: RunningApi = await startApi({ db: db(), bus: new EventBus(), config: { port: 0, token: TOKEN }, log: () => {} });
    try {
      const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      await ctx.addInitScript((t) => sessionStorage.setItem("minigrid.token", t), TOKEN);
      const p = await ctx.newPage();
      await p.goto(`http://127.0.0.1:${bare.port}/?site=s1&node=ctl-2`);
      await expect.poll(() => p.locator("#cm-off").textContent()).toMatch(/^The gateway cannot send commands: commands need the gateway's broker/);
      expect(await p.getByRole("button", { name: "Reboot…" }).isDisabled()).toBe(true);
      expect(await p.getByRole("button", { name: "Send setting" }).isDisabled()).toBe(true);
      await ctx.close();
    } finally {
      await bare.stop();
    }
  });

  it("every control, chart and diagram has a name; each page has its landmarks and headings", async () => {
    for (const [path, headings] of [
      ["/", ["Fleet"]],
      ["/?site=s1", ["Energy flow now", "Nodes of this site", "Energy per day, last 30 days", "PV, load and state of charge", "Battery power", "Load per feeder"]],
      ["/?site=s1&node=ctl-1", ["Site overview", "Alarms", "Configuration", "History", "Commands to node ctl-1"]],
    ] as const) {
      const { p, close } = await opened(path);
      await p.locator(path === "/" ? "#fleet tbody tr[data-node]" : path === "/?site=s1" ? "#daily svg" : "#commands tbody tr").first().waitFor();
      if (path.includes("node=")) await expect.poll(() => p.locator("#cm-node").textContent()).toBe("ctl-1");
      const unnamed = await p.evaluate(() =>
        Array.from(document.querySelectorAll("button, select, input, a[href], [role=img]"))
          .filter((e) => !(e as HTMLElement).closest("[hidden]"))
          .filter((e) => !(e.getAttribute("aria-label") || (e as HTMLInputElement).labels?.length || (e.textContent ?? "").trim() || e.getAttribute("aria-labelledby")))
          .map((e) => e.outerHTML.slice(0, 80)),
      );
      expect(unnamed, path).toEqual([]);
      const tree = await p.locator("body").ariaSnapshot();
      for (const hd of headings) expect(tree, path).toContain(`heading "${hd}`);
      expect(tree, path).toContain('navigation "Pages"');
      expect(tree, path).toContain("main");
      await close();
    }
  });

  it("each page fits a 390 px phone", async () => {
    for (const [path, name, ready] of [
      ["/", "fleet", "#fleet tbody tr[data-node]"],
      ["/?site=s1", "site", "#daily svg"],
      ["/?site=s1&node=ctl-2", "node", "#commands tbody tr"],
    ] as const) {
      const { p, errors, close } = await opened(path, { width: 390, height: 844 }, true);
      await p.locator(ready).first().waitFor();
      await p.waitForTimeout(300);
      const w = await p.evaluate(() => ({ page: document.documentElement.scrollWidth, fleet: (() => { const t = document.getElementById("fleet")!; return { table: t.scrollWidth, box: t.parentElement!.clientWidth }; })() }));
      expect(w.page, name).toBeLessThanOrEqual(390);
      if (name === "fleet") expect(w.fleet.table).toBeLessThanOrEqual(w.fleet.box);
      await p.screenshot({ path: ART + `dashboard-${name}-phone.png`, fullPage: true });
      expect(errors, name).toEqual([]);
      await close();
    }
  });
});
