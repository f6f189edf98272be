// A gateway store filled with a fleet's day without running the firmware: each node's birth carries the channel
// table the pico firmware reports with a battery monitor, an EPEver controller, three INA226 feeders and two CT
// clamps (firmware/app/channel-table.ts), and its batches the synthetic site's readings (sim/site/synthetic-site.ts,
// each site's sun shifted), written with the gateway's own Store.saveBirth and storeBatch, one-minute rows (or
// `report_s`) in batches of an hour, as a node sends its backlog. For benchmarks (bench/dashboard-fleet.bench.ts)
// and the fleet page's tests.
import type { Store } from "../../gateway/storage/store";
import { channelTable } from "../../firmware/app/channel-table";
import { withDefaults } from "../../firmware/app/node-settings";
import { channelDefs, type ChannelDef } from "../../firmware/protocol/channels";
import { syntheticSite, type SiteState } from "../site/synthetic-site";

/** The channels of a pico with a battery monitor, an EPEver controller, three INA226 feeders and two CT clamps. */
export function picoSiteChannels(): ChannelDef[] {
  const s = withDefaults({
    vedirect: [{ kind: "bmv" }],
    modbus: { map: "epever", slave: 1, period_s: 10 },
    feeders: [0x40, 0x41, 0x44].map((addr) => ({ addr, shunt_ohm: 0.002, max_A: 40 })),
    ct: ["A0", "A1"].map((pin) => ({ pin, ical: 60.6, V: 230 })),
  });
  return channelDefs(channelTable(s));
}

/** A reading of `key` from the site's state (null for a key the model does not know). */
function reading(key: string, s: SiteState, wh: { [key: string]: number }): number | null {
  const f = /^feeder(\d)_(V|A|W)$/.exec(key);
  if (f) {
    const fd = s.feeders[Number(f[1]) - 1];
    return f[2] === "V" ? fd.bus_V : f[2] === "A" ? fd.current_A : fd.bus_V * fd.current_A;
  }
  const c = /^ct(\d)_(A|W)$/.exec(key);
  if (c) return c[2] === "A" ? s.ct_A[Number(c[1]) - 1] : s.ct_A[Number(c[1]) - 1] * 230;
  if (key.endsWith("_Wh")) return wh[key] ?? null;
  switch (key) {
    case "battery_V": return s.battery_V;
    case "battery_A": return s.battery_A;
    case "battery_W": return s.battery_V * s.battery_A;
    case "battery_soc_pct": return s.soc_pct;
    case "battery_consumed_Ah": return (100 - s.soc_pct) * 2;
    case "battery_ttg_min": return -1;
    case "battery_temp_C": return 25;
    case "pv_V": return s.pv_V;
    case "pv_A": return s.pv_W / s.pv_V;
    case "pv_W": return s.pv_W;
    case "charge_A": return Math.max(0, s.battery_A);
    case "charge_state": return s.pv_W > 0 ? 3 : 0;
    case "charger_fault": return 0;
    case "load_V": return s.battery_V;
    case "load_A": return s.load_W / s.battery_V;
    case "load_W": return s.load_W;
  }
  return null;
}

/** The power each counter integrates (firmware/protocol/channels.ts counterPower, charge and discharge split). */
function counterPower(key: string, s: SiteState): number {
  const p = reading(key.slice(0, -3).replace("_discharge", "").replace("_charge", "") + "_W", s, {}) ?? 0;
  return key.indexOf("_discharge_") > 0 ? Math.max(0, -p) : key.indexOf("_charge_") > 0 ? Math.max(0, p) : p;
}

export interface FillOptions {
  sites: number;
  /** Nodes per site (n1, n2, ...). */
  nodesPerSite?: number;
  /** The end of the filled time (ms); the data reach back `hours` from it. */
  end_ms: number;
  hours?: number;
  report_s?: number;
  /** Site names: `${prefix}-${k}`. */
  prefix?: string;
}

/** Fill the store; returns the number of samples written. */
export function fillFleet(store: Store, o: FillOptions): number {
  const chans = picoSiteChannels();
  const ids = chans.map((c) => c.id);
  const scales = chans.map((c) => c.scale);
  const report_s = o.report_s ?? 60;
  const rowsPerBatch = Math.max(1, Math.round(3600 / report_s));
  const n = Math.round(((o.hours ?? 24) * 3600) / report_s);
  const start = Math.floor((o.end_ms - n * report_s * 1000) / 60_000) * 60_000;
  const model = syntheticSite();
  let samples = 0;
  for (let k = 0; k < o.sites; k++) {
    const site = `${o.prefix ?? "site"}-${String(k + 1).padStart(3, "0")}`;
    const shift_s = (k * 137) % 86400; // each site's sun at another hour, as sites in other zones would see it
    for (let m = 1; m <= (o.nodesPerSite ?? 1); m++) {
      const node = "n" + m;
      store.transaction(() => store.saveBirth(site, node, { v: 1, fw: "1.4.0", bd: "pico", boot: 1, rr: "power", cfh: 0, cfg: {}, clk: 1, up: 10, ch: chans.map((c) => [c.id, c.key, c.agg, c.scale]) }, start));
      const wh: { [key: string]: number } = {};
      for (const c of chans) if (c.agg === "counter") wh[c.key] = 1000 * (k + 1);
      let seq = 0;
      // one transaction per node's day (the batches inside it as ingest stores them)
      store.transaction(() => {
      for (let r0 = 0; r0 < n; r0 += rowsPerBatch) {
        const rows: (number | null)[][] = [];
        const quality: string[] = [];
        for (let r = r0; r < Math.min(n, r0 + rowsPerBatch); r++) {
          const t = start + r * report_s * 1000;
          const s = model(t / 1000 + shift_s);
          for (const key in wh) wh[key] += (counterPower(key, s) * report_s) / 3600;
          rows.push(chans.map((c) => {
            const v = reading(c.key, s, wh);
            return v === null ? null : Math.round(v * Math.pow(10, c.scale));
          }));
          quality.push(chans.map(() => "o").join(""));
        }
        const t0 = start + r0 * report_s * 1000;
        samples += rows.length * ids.length;
        store.storeBatch({ site, node, boot: 1, seq: seq++, receivedAt: t0 + rows.length * report_s * 1000, t0, intervalS: report_s, historical: true, merged: 1, timeEstimated: false }, ids, scales, rows, quality);
        store.touch(site, node, t0 + rows.length * report_s * 1000, report_s);
      }
      });
    }
  }
  return samples;
}
