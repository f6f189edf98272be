// What the dashboard shows for a value, without a browser: quality and staleness never turn into a plain 0.
import { describe, expect, it } from "vitest";
import { ago, counterDelta, feedersOf, findChannel, formatNumber, setShownZone, showTime, showValue, type LatestChannel } from "../../gateway/dashboard/src/view";
import { tickLabels } from "../../gateway/dashboard/src/chart";
import { linkQuery, parseLink } from "../../gateway/dashboard/src/link";

const ch = (over: Partial<LatestChannel>): LatestChannel => ({ id: 22, key: "pv_W", agg: "mean", unit: "W", value: 1167.6, quality: "o", ts: 1000, stale: false, ...over });

describe("showValue", () => {
  it("shows a good value with its unit and no badge", () => {
    expect(showValue(ch({}))).toEqual({ text: "1168", unit: "W", state: "ok", badge: "" });
  });
  it("shows a failed reading as a dash with a 'failed' badge, even when a 0 was stored", () => {
    expect(showValue(ch({ value: null, quality: "f" }))).toMatchObject({ text: "—", state: "failed", badge: "failed" });
    expect(showValue(ch({ value: 0, quality: "f" }))).toMatchObject({ text: "—", state: "failed" });
  });
  it("keeps a stale value's number but marks it stale (the API's flag or the node's quality s)", () => {
    expect(showValue(ch({ stale: true }))).toMatchObject({ text: "1168", state: "stale", badge: "stale" });
    expect(showValue(ch({ quality: "s" }))).toMatchObject({ state: "stale" });
  });
  it("marks estimated values and channels with no data", () => {
    expect(showValue(ch({ quality: "e" }))).toMatchObject({ state: "estimated", badge: "estimated" });
    expect(showValue(ch({ value: null, quality: null, ts: null, stale: true }))).toMatchObject({ text: "—", badge: "no data" });
    expect(showValue(undefined)).toMatchObject({ text: "—", state: "none" });
  });
});

describe("state codes", () => {
  it("shows charge_state by name (VE.Direct CS codes), an unknown code as its number", () => {
    expect(showValue(ch({ key: "charge_state", agg: "last", unit: null, value: 5 }))).toMatchObject({ text: "Float", state: "ok" });
    expect(showValue(ch({ key: "charge_state", agg: "last", unit: null, value: 3, stale: true }))).toMatchObject({ text: "Bulk", state: "stale" });
    expect(showValue(ch({ key: "charge_state", agg: "last", unit: null, value: 8 }))).toMatchObject({ text: "8" });
    expect(showValue(ch({ key: "inverter_state", agg: "last", unit: null, value: 5 }))).toMatchObject({ text: "5" });
  });
});

describe("formatting", () => {
  it("uses decimals by unit, integers for codes", () => {
    expect(formatNumber(13.384, "V")).toBe("13.38");
    expect(formatNumber(75.4, "%")).toBe("75");
    expect(formatNumber(2, null)).toBe("2");
    expect(formatNumber(0.125, null)).toBe("0.13");
  });
  it("energy of a counter is its rise over the buckets, null without readings", () => {
    expect(counterDelta([{ t: 0, n: 2, min: 100, mean: 105, max: 110 }, { t: 1, n: 0, min: null, mean: null, max: null }, { t: 2, n: 3, min: 111, mean: 120, max: 130.5 }])).toBe(30.5);
    expect(counterDelta([{ t: 0, n: 0, min: null, mean: null, max: null }])).toBeNull();
    expect(counterDelta([])).toBeNull();
  });
  it("finds the main aggregation of a key and lists the feeders", () => {
    const chs = [ch({ id: 23, agg: "max" }), ch({ id: 22 }), ch({ id: 52, key: "feeder1_W" }), ch({ id: 91, key: "ct1_W" }), ch({ id: 56, key: "feeder2_W" })];
    expect(findChannel(chs, "pv_W")!.id).toBe(22);
    expect(findChannel(chs, "pv_W", "max")!.id).toBe(23);
    expect(findChannel(chs, "load_W")).toBeUndefined();
    expect(feedersOf(chs)).toEqual([{ kind: "feeder", n: 1 }, { kind: "feeder", n: 2 }, { kind: "ct", n: 1 }]);
  });
  it("says how long ago, and where the local day starts", () => {
    expect(ago(0, 42_000)).toBe("42 s ago");
    expect(ago(0, 3 * 3_600_000)).toBe("3 h ago");
    expect(ago(60_000, 0)).toBe("in the future");
    expect(ago(null, 0)).toBe("never");
  });
  it("shows times 24-hour, ISO-style, in the site's zone whatever the browser's", () => {
    const t = Date.parse("2026-06-01T18:45:00Z");
    setShownZone("Africa/Nairobi");
    expect(showTime(t)).toBe("2026-06-01 21:45");
    setShownZone("America/Bogota");
    expect(showTime(t)).toBe("2026-06-01 13:45");
    setShownZone("UTC");
    expect(showTime(t)).toBe("2026-06-01 18:45");
    // the chart's ticks: hours within two days, days beyond
    const h = 3_600_000;
    expect(tickLabels([t - h, t, t + h], "Africa/Nairobi")).toEqual(["20:45", "21:45", "22:45"]);
    const midnight = Date.parse("2026-06-01T21:00:00Z");
    expect(tickLabels([midnight, midnight + 86_400_000, midnight + 3 * 86_400_000 + 12 * h], "Africa/Nairobi")).toEqual(["06-02", "06-03", "06-05 12:00"]);
  });
});

describe("the dashboard's address", () => {
  it("names the site, node and history view, and reads them back", () => {
    const v = { site: "kisumu-1", node: "inverter", ch: "pv_W:mean", range_ms: 21_600_000, zoom: { from: 1000, to: 5000 } };
    const q = linkQuery(v);
    expect(q).toBe("?site=kisumu-1&node=inverter&ch=pv_W:mean&range=6h&from=1000&to=5000");
    expect(parseLink(q)).toEqual({ ...v, unknown: [] });
    expect(linkQuery({ site: "s1", node: "", ch: "", range_ms: 86_400_000, zoom: null })).toBe("?site=s1");
    expect(parseLink("")).toEqual({ unknown: [] });
  });
  it("names a range or zoom it cannot show instead of guessing", () => {
    const p = parseLink("?site=s1&range=2h&from=9&to=3");
    expect(p.site).toBe("s1");
    expect(p.range_ms).toBeUndefined();
    expect(p.zoom).toBeUndefined();
    expect(p.unknown).toHaveLength(2);
    expect(p.unknown[0]).toContain('"2h"');
  });
});
