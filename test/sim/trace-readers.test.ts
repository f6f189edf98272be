import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { readVeDirectDump } from "../../sim/traces/vedirect-dump";
import { readPvSeries } from "../../sim/traces/pv-series";
import { readEpeverCsv } from "../../sim/traces/epever-csv";
import { formatCanonical, parseCanonical, valueAt } from "../../sim/traces/canonical";
import { detectFormat, readTraceFile } from "../../sim/traces/read-trace";

const fx = (p: string) => new URL(`../fixtures/real/${p}`, import.meta.url);

describe("trace readers on real files", () => {
  it("VE.Direct MPPT capture: every valid block (the first after a stray byte too), HEX frames skipped", () => {
    const tr = readVeDirectDump(readFileSync(fx("vedirect/bluesolar_1.23.dump")).toString("latin1"), { start_unix: 1_700_000_000 });
    expect(tr.t.length).toBe(248);
    expect(tr.rejected.count).toBe(0);
    expect(tr.t[1] - tr.t[0]).toBe(1);
    const v = tr.cols.battery_V!;
    for (let i = 0; i < v.length; i++) expect(v[i]).toBeGreaterThan(11);
    expect(tr.cols.pv_V![0]).toBeCloseTo(33.58, 2); // the block after the stray first byte
    expect(tr.cols.pv_V![6]).toBeCloseTo(32.98, 2);
  });

  it("BMV capture: a row per live block (history blocks carry no V), negative current kept", () => {
    const tr = readVeDirectDump(readFileSync(fx("vedirect/bvm702.dump")).toString("latin1"));
    expect(tr.t.length).toBeGreaterThanOrEqual(450);
    expect(tr.t.length).toBeLessThanOrEqual(453);
    expect(Math.min(...tr.cols.battery_A!)).toBeLessThan(0);
    expect(tr.cols.soc_pct![0]).toBeGreaterThan(0);
  });

  it("a corrupted byte costs that block only", () => {
    const bytes = readFileSync(fx("vedirect/bluesolar_1.23.dump")).toString("latin1");
    const at = bytes.indexOf("VPV", 5000) + 5;
    const bad = bytes.slice(0, at) + String.fromCharCode((bytes.charCodeAt(at) ^ 0x04) & 0xff) + bytes.slice(at + 1);
    const tr = readVeDirectDump(bad);
    expect(tr.t.length).toBe(247);
    expect(tr.rejected.count).toBe(1);
  });

  it("pvanalytics irradiance, AC power and NREL DC power series, with their offsets", () => {
    const ghi = readTraceFile(fx("traces/midc_bms_ghi_20220120.csv").pathname);
    expect(ghi.t.length).toBe(1440);
    expect(ghi.t[0]).toBe(Date.UTC(2022, 0, 20, 7) / 1000);
    expect(Math.max(...ghi.cols.irradiance_Wm2!)).toBeCloseTo(566.4, 1);
    expect(Math.min(...ghi.cols.irradiance_Wm2!)).toBe(0);
    const serf = readPvSeries(readFileSync(fx("traces/serf_east_1min_ac_power.csv"), "utf8"));
    expect(serf.t.length).toBe(2607);
    expect(serf.cols.pv_W).toBeDefined();
    const nrel = readTraceFile(fx("traces/nrel_RSF_II.csv").pathname);
    expect(nrel.t.length).toBe(480);
    expect(nrel.t[1] - nrel.t[0]).toBe(900);
    expect(nrel.notes[0]).toContain("inv2_dc_power");
    const irr = readTraceFile(fx("traces/nrel_RSF_II.csv").pathname, { column: "poa_irradiance__1055" });
    expect(irr.cols.irradiance_Wm2).toBeDefined();
  });

  it("canonical CSV round trip, interpolation, and a clear error for an unknown column", () => {
    const ghi = readTraceFile(fx("traces/midc_bms_ghi_20220120.csv").pathname);
    const back = parseCanonical(formatCanonical(ghi));
    expect(back.t.length).toBe(ghi.t.length);
    expect(detectFormat(formatCanonical(ghi))).toBe("canonical");
    const mid = (ghi.t[700] + ghi.t[701]) / 2;
    expect(valueAt(back, "irradiance_Wm2", mid)).toBeCloseTo((ghi.cols.irradiance_Wm2![700] + ghi.cols.irradiance_Wm2![701]) / 2, 2);
    expect(() => parseCanonical("unix_s,pv_kW\n1,2\n")).toThrow(/unknown column 'pv_kW'/);
    const bad = parseCanonical("unix_s,pv_W\n10,1\nx,2\n5,3\n20,\n");
    expect(bad.t.length).toBe(2);
    expect(bad.rejected.count).toBe(2);
    expect(Number.isNaN(bad.cols.pv_W![1])).toBe(true);
  });
});

describe("EPEver log (no licensed real export was found: a sample in the Solar Station Monitor layout)", () => {
  const csv = [
    "Time,PV array voltage(V),PV array current(A),PV array power(W),Battery voltage(V),Battery charging current(A),Battery SOC(%),Load current(A),Load power(W),Device temperature(C)",
    "2024-05-01 06:00:00,1.97,0.00,0.00,12.96,0.00,78,0.50,6.48,24.1",
    "2024-05-01 06:01:00,18.40,0.20,3.68,12.97,0.20,78,0.50,6.49,24.1",
    "2024-05-01 06:02:00,bad,0.20,3.68,12.97,0.20,78,0.50,6.49,24.1",
    "2024-05-01 06:03:00,19.10,0.60,11.46,13.00,0.45,78,0.50,6.50,24.2",
  ].join("\n");
  it("maps PV, battery and load columns, refuses a bad row, lists unused columns", () => {
    const tr = readEpeverCsv(csv, { utcOffset_h: 3 });
    expect(detectFormat(csv)).toBe("epever");
    expect(tr.t.length).toBe(3);
    expect(tr.t[0]).toBe(Date.UTC(2024, 4, 1, 3) / 1000);
    expect(tr.cols.pv_W![2]).toBeCloseTo(11.46);
    expect(tr.cols.battery_V![0]).toBeCloseTo(12.96);
    expect(tr.cols.soc_pct![0]).toBe(78);
    expect(tr.cols.load_W![1]).toBeCloseTo(6.49);
    expect(tr.rejected.count).toBe(1);
    expect(tr.notes.join()).toContain("device temperature");
  });
});
