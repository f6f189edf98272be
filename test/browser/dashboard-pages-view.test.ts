// The fleet, site and node pages' logic without a browser: the fleet's sort and filter, the energy flow's model
// (charging or discharging named, an unknown part never summed into a number), the daily bars' description, and
// the commands panel's words.
import { describe, expect, it } from "vitest";
import { filterRows, fleetRows, fleetSummary, sortRows } from "../../gateway/dashboard/src/fleet-view";
import { flowDescription, flowModel, siteTotal } from "../../gateway/dashboard/src/energy-flow";
import { barsDescription } from "../../gateway/dashboard/src/bars";
import { commandText, refusalText, settingValue, stateText, type CommandRow } from "../../gateway/dashboard/src/commands-panel";
import { ApiFailure } from "../../gateway/dashboard/src/api";
import { setShownZone, type LatestChannel } from "../../gateway/dashboard/src/view";
import type { FleetNode, FleetReply } from "../../contracts/gateway-api";

const node = (name: string, over: Partial<FleetNode>): FleetNode => ({
  node: name, status: "ok", online: true, last_seen: 1000, soc: { value: 50, quality: "o", ts: 1000, stale: false },
  pv_today: { Wh: 1000, measured: true }, load_today: { Wh: 800, measured: true }, alarms: { critical: 0, warning: 0, info: 0 }, ...over,
});

const fleet: FleetReply = {
  now: 2000,
  sites: [
    { site: "kisumu-1", timezone: "Africa/Nairobi", day_start: 0, status: "warning", nodes: [node("ctl-1", { status: "warning", soc: { value: 22, quality: "o", ts: 1, stale: false }, alarms: { critical: 0, warning: 1, info: 0 } })] },
    { site: "lima-2", timezone: "America/Lima", day_start: 0, status: "critical", nodes: [node("a", { status: "critical", soc: { value: 80, quality: "f", ts: 1, stale: false } }), node("b", { soc: null, pv_today: { Wh: null, measured: true } })] },
    { site: "pokhara", timezone: "Asia/Kathmandu", day_start: 0, status: "offline", nodes: [node("ctl-1", { status: "offline", online: false, soc: { value: 64, quality: "o", ts: 1, stale: true } })] },
  ],
};

describe("fleet rows", () => {
  const rows = fleetRows(fleet);
  it("one row per node with its site", () => {
    expect(rows.map((r) => `${r.site}/${r.node}`)).toEqual(["kisumu-1/ctl-1", "lima-2/a", "lima-2/b", "pokhara/ctl-1"]);
    expect(rows[0].open_alarms).toBe(1);
  });
  it("sorts by status worst first, by state of charge with failed or missing readings last either way", () => {
    expect(sortRows(rows, "status", "asc").map((r) => r.status)).toEqual(["critical", "offline", "warning", "ok"]);
    expect(sortRows(rows, "soc", "asc").map((r) => r.soc?.value ?? null)).toEqual([22, 64, 80, null]);
    expect(sortRows(rows, "soc", "desc").map((r) => r.soc?.value ?? null)).toEqual([64, 22, 80, null]);
    expect(sortRows(rows, "pv", "desc").map((r) => r.pv_today.Wh)).toEqual([1000, 1000, 1000, null]);
  });
  it("filters by a part of the site's or node's name and by status", () => {
    expect(filterRows(rows, "LIMA", "").length).toBe(2);
    expect(filterRows(rows, "ctl", "offline").map((r) => r.site)).toEqual(["pokhara"]);
    expect(filterRows(rows, "", "ok").map((r) => r.node)).toEqual(["b"]);
    expect(fleetSummary(rows)).toBe("3 sites, 4 nodes: 1 critical, 1 offline, 1 warning, 1 ok");
  });
});

const ch = (key: string, value: number | null, over: Partial<LatestChannel> = {}): LatestChannel => ({ id: 1, key, agg: key === "battery_soc_pct" ? "last" : "mean", unit: key.endsWith("_pct") ? "%" : key.slice(key.lastIndexOf("_") + 1), value, quality: value === null ? "f" : "o", ts: 1000, stale: false, ...over });

describe("energy flow", () => {
  it("names the battery charging, discharging or idle from its power", () => {
    expect(flowModel([[ch("pv_W", 800), ch("battery_W", 350), ch("load_W", 300)]]).mode).toBe("charging");
    expect(flowModel([[ch("battery_W", -120)]]).mode).toBe("discharging");
    expect(flowModel([[ch("battery_W", 3)]]).mode).toBe("idle");
    expect(flowModel([[ch("battery_W", null)]]).mode).toBe("unknown");
  });
  it("without battery_W readings takes volts x amps, and says so", () => {
    const m = flowModel([[ch("battery_W", null), ch("battery_V", 12.5), ch("battery_A", -4)]]);
    expect(m.battery!.value).toBe(-50);
    expect(m.batteryFromVA).toBe(true);
    expect(m.mode).toBe("discharging");
  });
  it("sums a site's nodes; one failed or stale part makes the total failed or stale, never a smaller number", () => {
    expect(siteTotal([[ch("pv_W", 300)], [ch("pv_W", 200)]], "pv_W")!.value).toBe(500);
    const failed = siteTotal([[ch("pv_W", 300)], [ch("pv_W", null)]], "pv_W")!;
    expect(failed.value).toBeNull();
    expect(failed.quality).toBe("f");
    expect(siteTotal([[ch("pv_W", 300)], [ch("pv_W", 200, { stale: true })]], "pv_W")!.stale).toBe(true);
    expect(siteTotal([[ch("load_W", 1)]], "pv_W")).toBeUndefined();
    // a level is averaged, not summed
    expect(flowModel([[ch("battery_soc_pct", 80)], [ch("battery_soc_pct", 60)], [ch("pv_W", 1)]]).soc!.value).toBe(70);
  });
  it("describes every path for a screen reader, with the quality of each reading", () => {
    setShownZone("UTC");
    const m = flowModel([[ch("pv_W", 812.4), ch("battery_W", -95, { stale: true }), ch("load_W", null), ch("battery_soc_pct", 64)]]);
    expect(flowDescription(m)).toBe("Energy flow now: PV 812 W into the DC bus; battery discharging at 95 W (stale); DC loads — (failed); state of charge 64 %");
  });
});

describe("daily bars", () => {
  it("says each series' range over the days and today's value; a day without readings is not a zero", () => {
    const days = [
      { day: "2026-12-05", from: 0, to: 1, Wh: { pv_Wh: null, load_Wh: 900 } },
      { day: "2026-12-06", from: 1, to: 2, Wh: { pv_Wh: 4200, load_Wh: 1100 } },
      { day: "2026-12-07", from: 2, to: 3, Wh: { pv_Wh: 2100, load_Wh: null } },
    ];
    expect(barsDescription(days, ["pv_Wh", "load_Wh"], "UTC")).toBe(
      "Energy per day from 2026-12-05 to today (3 days of UTC): PV yield 2.10 to 4.20 kWh a day, today 2.10 kWh; Load 0.90 to 1.10 kWh a day, today no reading",
    );
  });
});

describe("commands panel", () => {
  it("reads a setting's value as JSON where it parses, else as text", () => {
    expect(settingValue("30")).toBe(30);
    expect(settingValue("[22, 23]")).toEqual([22, 23]);
    expect(settingValue(" true")).toBe(true);
    expect(settingValue("site-ap")).toBe("site-ap");
  });
  it("says what each command did, the node's reason when it refused", () => {
    const c: CommandRow = { id: "a1", name: "cfg", args: { report_s: 30 }, created_at: 0, expires_at: 300_000, acked_at: 1000, ok: false, result: "report_s: too short", state: "failed" };
    expect(commandText(c)).toBe("setting report_s=30");
    expect(commandText({ name: "resend", args: { from: 3, to: 7 } })).toBe("resend batches 3..7");
    expect(stateText(c)).toBe("refused by the node: report_s: too short");
    expect(stateText({ ...c, state: "expired", ok: null, acked_at: null, result: null })).toBe("expired: the node did not answer in time");
  });
  it("words a refusal by the gateway so the operator knows what to do", () => {
    expect(refusalText(new ApiFailure(403, "forbidden", "this token may only read"))).toBe("Refused: this token may only read. Commands need a token that may send them.");
    expect(refusalText(new ApiFailure(503, "no-broker", "commands need the gateway's broker"))).toBe("The gateway cannot send commands: commands need the gateway's broker.");
    expect(refusalText(new ApiFailure(400, "bad-parameter", "a: refused"))).toBe("Refused by the gateway: a: refused");
  });
});
