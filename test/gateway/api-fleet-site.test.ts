// GET /api/fleet, /api/sites/:site/daily and /series over real HTTP on a real SQLite file, each figure checked
// against a plain SQL query of the stored samples; the feeders' names setting and its errors.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Store } from "../../gateway/storage/store";
import { EventBus } from "../../gateway/events";
import { startApi, type RunningApi } from "../../gateway/api/server";
import { fillFleet } from "../../sim/fleet/store-fill";
import { insertAlarm } from "../../gateway/alarms/store";
import { dayIn, startOfDayIn } from "../../gateway/time/zone";
import { checkConfig } from "../../gateway/config/load";
import { nodeStatus, siteStatus } from "../../gateway/api/fleet";
import type { DailyEnergyReply, FleetReply, SiteSeriesReply } from "../../contracts/gateway-api";

const HOUR = 3_600_000;
const zones: { [site: string]: string } = { "site-001": "Asia/Kathmandu", "site-002": "America/Lima", "site-003": "UTC" };

describe("fleet and site endpoints", () => {
  let dir: string;
  let store: Store;
  let api: RunningApi;
  const bus = new EventBus();
  const now = Date.now();
  const get = async <T>(path: string): Promise<{ status: number; body: T }> => {
    const r = await fetch(`http://127.0.0.1:${api.port}${path}`);
    return { status: r.status, body: (await r.json()) as T };
  };
  /** A counter's rise in [from, to) from the samples: the highest minus the lowest reading. */
  const rise = (site: string, node: string, key: string, from: number, to: number) =>
    (store.db.prepare("SELECT MAX(s.value) - MIN(s.value) AS wh FROM samples s JOIN channels c ON c.site = s.site AND c.node = s.node AND c.channel_id = s.channel_id" +
      " WHERE s.site = ? AND s.node = ? AND c.key = ? AND c.agg = 'counter' AND s.ts >= ? AND s.ts < ?").get(site, node, key, from, to) as { wh: number | null }).wh;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "mg-fleet-"));
    store = Store.open(join(dir, "gw.db"), { synchronous: "NORMAL" });
    // three sites, site-002 with two nodes; 40 hours of 5-minute rows so that yesterday is whole in every zone
    fillFleet(store, { sites: 2, end_ms: now, hours: 40, report_s: 300 });
    fillFleet(store, { sites: 1, nodesPerSite: 2, end_ms: now, hours: 40, report_s: 300, prefix: "x" });
    store.db.prepare("UPDATE nodes SET site = 'site-003' WHERE site = 'x-001'").run();
    for (const t of ["channels", "batches", "samples"]) store.db.prepare(`UPDATE ${t} SET site = 'site-003' WHERE site = 'x-001'`).run();
    insertAlarm(store.db, { site: "site-001", node: "n1", rule: "soc_low", severity: "warning", raised_at: now - HOUR, message: "low", value: 20 });
    insertAlarm(store.db, { site: "site-003", node: "n2", rule: "battery_low", severity: "critical", raised_at: now - HOUR, message: "very low", value: 10 });
    store.setOnline("site-002", "n1", false, now - HOUR);
    api = await startApi({ db: store.db, bus, config: { port: 0, sites: { ...Object.fromEntries(Object.entries(zones).map(([s, z]) => [s, { timezone: z }])), "site-003": { timezone: "UTC", feeders: { feeder1: "homes-north", n2: { feeder1: "school" } } } } }, now: () => now, log: () => {} });
  }, 60_000);

  afterAll(async () => {
    await api?.stop();
    store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("GET /api/fleet: every node with its status, newest state of charge, and energy since its site's midnight", async () => {
    const r = await get<FleetReply>("/api/fleet");
    expect(r.status).toBe(200);
    expect(r.body.sites.map((s) => s.site)).toEqual(["site-001", "site-002", "site-003"]);
    expect(r.body.sites.map((s) => s.nodes.length)).toEqual([1, 1, 2]);
    for (const s of r.body.sites) {
      expect(s.timezone).toBe(zones[s.site]);
      expect(s.day_start).toBe(startOfDayIn(now, zones[s.site]));
      for (const n of s.nodes) {
        const soc = store.db.prepare("SELECT s.ts, s.value FROM samples s JOIN channels c USING (site, node, channel_id) WHERE s.site = ? AND s.node = ? AND c.key = 'battery_soc_pct' ORDER BY s.ts DESC LIMIT 1").get(s.site, n.node) as { ts: number; value: number };
        expect(n.soc!.value).toBe(soc.value);
        expect(n.soc!.ts).toBe(soc.ts);
        expect(n.soc!.stale).toBe(now - soc.ts > 3 * 300_000);
        expect(n.pv_today.measured).toBe(true);
        expect(n.pv_today.Wh).toBeCloseTo(rise(s.site, n.node, "pv_Wh", s.day_start, now + 1)!, 6);
        expect(n.load_today.Wh).toBeCloseTo(rise(s.site, n.node, "load_Wh", s.day_start, now + 1)!, 6);
      }
    }
    // Kathmandu's midnight (UTC+05:45) is not UTC's: the same counters give another energy today
    expect(r.body.sites[0].day_start % HOUR).not.toBe(0);
    const [a, b, c] = r.body.sites;
    expect(a.nodes[0].status).toBe("warning");
    expect(a.nodes[0].alarms).toEqual({ critical: 0, warning: 1, info: 0 });
    expect(b.nodes[0].status).toBe("offline");
    expect(b.status).toBe("offline");
    expect(c.nodes.map((n) => n.status)).toEqual(["ok", "critical"]);
    expect(c.status).toBe("critical");
  });

  it("status: a critical alarm outranks offline, offline outranks a warning; a site with nodes still online is not offline", () => {
    expect(nodeStatus(false, { critical: 1, warning: 0, info: 0 })).toBe("critical");
    expect(nodeStatus(false, { critical: 0, warning: 2, info: 0 })).toBe("offline");
    expect(nodeStatus(true, { critical: 0, warning: 0, info: 3 })).toBe("ok");
    expect(siteStatus([{ status: "offline" }, { status: "ok" }])).toBe("warning");
    expect(siteStatus([{ status: "offline" }, { status: "offline" }])).toBe("offline");
  });

  it("a node without the counters is 'not measured', a counter that went backwards gives no number", async () => {
    store.db.prepare("DELETE FROM channels WHERE site = 'site-001' AND key = 'load_Wh'").run();
    const pv = store.db.prepare("SELECT channel_id FROM channels WHERE site = 'site-002' AND key = 'pv_Wh'").get() as { channel_id: number };
    const last = store.db.prepare("SELECT ts FROM samples WHERE site = 'site-002' AND channel_id = ? ORDER BY ts DESC LIMIT 1").get(pv.channel_id) as { ts: number };
    store.db.prepare("UPDATE samples SET value = 1 WHERE site = 'site-002' AND channel_id = ? AND ts = ?").run(pv.channel_id, last.ts);
    const r = await get<FleetReply>("/api/fleet");
    expect(r.body.sites[0].nodes[0].load_today).toEqual({ Wh: null, measured: false });
    expect(r.body.sites[1].nodes[0].pv_today).toEqual({ Wh: null, measured: true });
  });

  it("GET /api/sites/:site/daily: each site day's rise, summed over the site's nodes, today last", async () => {
    const r = await get<DailyEnergyReply>("/api/sites/site-003/daily?days=4");
    expect(r.status).toBe(200);
    expect(r.body.days.map((d) => d.day)).toEqual([3, 2, 1, 0].map((k) => dayIn(now - k * 86_400_000, "UTC")));
    expect(r.body.days[3].to).toBe(startOfDayIn(now + 86_400_000, "UTC"));
    expect(r.body.measured).toEqual(["pv_Wh", "load_Wh", "battery_charge_Wh", "battery_discharge_Wh"]);
    for (const d of r.body.days.slice(1)) {
      for (const key of r.body.measured) {
        const want = (rise("site-003", "n1", key, d.from, d.to) ?? 0) + (rise("site-003", "n2", key, d.from, d.to) ?? 0);
        expect(d.Wh[key], `${d.day} ${key}`).toBeCloseTo(want, 6);
      }
    }
    // the oldest day ended before the data began (40 hours ago): no reading, not zero
    expect(r.body.days[0].Wh.pv_Wh).toBeNull();
    expect((await get("/api/sites/nowhere/daily")).status).toBe(404);
    expect((await get("/api/sites/site-003/daily?days=0")).status).toBe(400);
  });

  it("a day's energy is remembered until a batch of that day arrives late, then counted again", async () => {
    const yesterday = async () => (await get<DailyEnergyReply>("/api/sites/site-003/daily?days=2")).body.days[0];
    const d = await yesterday();
    const pv = store.db.prepare("SELECT channel_id FROM channels WHERE site = 'site-003' AND node = 'n1' AND key = 'pv_Wh'").get() as { channel_id: number };
    const last = store.db.prepare("SELECT ts FROM samples WHERE site = 'site-003' AND node = 'n1' AND channel_id = ? AND ts < ? ORDER BY ts DESC LIMIT 1").get(pv.channel_id, d.to) as { ts: number };
    // the day's last reading 500 Wh higher, as a batch the node kept in flash brings it: not yet announced, not yet read
    store.db.prepare("UPDATE samples SET value = value + 500 WHERE site = 'site-003' AND node = 'n1' AND channel_id = ? AND ts = ?").run(pv.channel_id, last.ts);
    expect((await yesterday()).Wh.pv_Wh).toBe(d.Wh.pv_Wh);
    store.db.prepare("INSERT INTO batches (site, node, boot, seq, received_at, t0, interval_s, rows, historical, merged, time_estimated) VALUES ('site-003', 'n1', 1, 99999, ?, ?, 300, 1, 1, 1, 0)").run(now, last.ts);
    bus.emit("batch.stored", { site: "site-003", node: "n1", boot: 1, seq: 99999, rows: 1 });
    expect((await yesterday()).Wh.pv_Wh).toBeCloseTo(d.Wh.pv_Wh! + 500, 6);
  });

  it("GET /api/sites/:site/series: aligned buckets, feeders by their names, the unmetered rest of the DC load", async () => {
    const r = await get<SiteSeriesReply>(`/api/sites/site-003/series?from=${now - 6 * HOUR}&to=${now}&points=36`);
    expect(r.status).toBe(200);
    const s = r.body;
    expect(s.bucket_ms).toBe(600_000);
    // the range widened to whole rollup buckets
    expect(s.from % 600_000).toBe(0);
    expect(s.t.length).toBe((s.to - s.from) / 600_000);
    expect(s.t.length).toBeGreaterThanOrEqual(36);
    for (const x of s.series) expect(x.mean.length).toBe(s.t.length);
    const ids = s.series.map((x) => x.id);
    expect(ids).toEqual(expect.arrayContaining(["pv_W", "load_W", "battery_W", "battery_soc_pct", "unmetered_W"]));
    // the site's name for feeder1, and node n2's own
    const label = (id: string) => s.series.find((x) => x.id === id)!.label;
    expect(label("feeder:n1:feeder1")).toBe("homes-north (n1)");
    expect(label("feeder:n2:feeder1")).toBe("school (n2)");
    expect(label("feeder:n1:feeder2")).toBe("Feeder 2 (n1)");
    expect(label("feeder:n1:ct1")).toBe("Mains feeder 1 (CT) (n1)");
    // a bucket of PV: the sum over both nodes of the mean of their samples in it
    const k = s.t.findIndex((_, i) => s.series[0].mean[i] !== null);
    const mean = (node: string, key: string) => (store.db.prepare("SELECT AVG(s.value) AS v FROM samples s JOIN channels c USING (site, node, channel_id) WHERE s.site = 'site-003' AND s.node = ? AND c.key = ? AND c.agg = 'mean' AND s.ts >= ? AND s.ts < ?").get(node, key, s.t[k], s.t[k] + s.bucket_ms) as { v: number }).v;
    expect(s.series.find((x) => x.id === "pv_W")!.mean[k]).toBeCloseTo(mean("n1", "pv_W") + mean("n2", "pv_W"), 6);
    const unmetered = (node: string) => mean(node, "load_W") - mean(node, "feeder1_W") - mean(node, "feeder2_W") - mean(node, "feeder3_W");
    expect(s.series.find((x) => x.id === "unmetered_W")!.mean[k]).toBeCloseTo(unmetered("n1") + unmetered("n2"), 0);
    expect(s.series.find((x) => x.id === "battery_W")!.note).toBeUndefined();
    // asked for finer buckets than the nodes report (every 5 minutes): one bucket per report, no gap between two
    const fine = await get<SiteSeriesReply>(`/api/sites/site-003/series?from=${now - 6 * HOUR}&to=${now}&points=400`);
    expect(fine.body.bucket_ms).toBe(300_000);
    const pvFine = fine.body.series.find((x) => x.id === "pv_W")!.mean;
    expect(pvFine.slice(1, -1).every((v) => v !== null)).toBe(true);
  });
});

describe("sites.<site>.feeders setting", () => {
  it("takes names per site and per node; every problem names its key and the fix", () => {
    const ok = checkConfig({ sites: { s1: { feeders: { feeder1: "homes-north", ct2: "shops", "ctl-2": { feeder3: "school" } } } } });
    expect(ok.ok).toBe(true);
    const bad = checkConfig({ sites: { s1: { feeders: { feeder9: "x", feeder1: "", "ctl-2": { pump: "well" } } } } });
    expect(bad.ok).toBe(false);
    const errors = (bad as { errors: string[] }).errors;
    expect(errors).toContain("sites.s1.feeders.feeder9: is not a feeder; name feeder1..feeder8 (INA226) or ct1..ct4 (CT clamps), or a node's id with its own feeders, e.g. feeder9: {feeder1: school}");
    expect(errors.find((e) => e.startsWith("sites.s1.feeders.feeder1:"))).toMatch(/must be a name \(got ""\); give a name of 1..40 characters/);
    expect(errors.find((e) => e.startsWith("sites.s1.feeders.ctl-2.pump:"))).toMatch(/is not a feeder/);
    const list = checkConfig({ sites: { s1: { feeders: ["homes"] } } });
    expect((list as { errors: string[] }).errors.join("\n")).toMatch(/^sites\.s1\.feeders: must be a mapping/m);
  });
});
