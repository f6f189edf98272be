/// <reference lib="dom" />
// The site's energy flow right now: PV into the DC bus (the charge controller), the battery charging or
// discharging, the DC loads, the inverter and its AC feeders, each path with its power and the quality of its
// reading (a failed reading is a dash with a badge, a stale one keeps its number greyed, as everywhere on the page).
// The model is pure (Node tests check it); flowSvg draws it.
import { findChannel, showValue, type LatestChannel } from "./view";
import { svgEl } from "./svg";

const worst = "fseo"; // quality letters, worst first

/** The site's total of a power channel over its nodes: failed if any node's reading failed (an unknown part makes the total unknown). */
export function siteTotal(nodes: LatestChannel[][], key: string, agg = "mean"): LatestChannel | undefined {
  const chs = nodes.map((n) => findChannel(n, key, agg)).filter((c): c is LatestChannel => !!c);
  if (chs.length === 0) return undefined;
  let value: number | null = 0;
  let quality = "o";
  let ts: number | null = null;
  let stale = false;
  for (const c of chs) {
    if (c.value === null || c.quality === null || c.quality === "f") value = null;
    else if (value !== null) value += c.value;
    const q = c.quality ?? "f";
    if (worst.indexOf(q) < worst.indexOf(quality)) quality = q;
    if (c.ts !== null) ts = ts === null ? c.ts : Math.min(ts, c.ts);
    stale = stale || c.stale;
  }
  return { id: -1, key, agg, unit: chs[0].unit, value, quality, ts, stale };
}

/** The site's mean of a level (state of charge) over its nodes, with the worst quality of them. */
export function siteMean(nodes: LatestChannel[][], key: string, agg = "last"): LatestChannel | undefined {
  const n = nodes.filter((x) => x.some((c) => c.key === key && c.agg === agg)).length;
  const t = siteTotal(nodes, key, agg);
  return t && t.value !== null ? { ...t, value: t.value / n } : t;
}

export type BatteryMode = "charging" | "discharging" | "idle" | "unknown";

export interface FlowModel {
  pv?: LatestChannel;
  /** + charging, - discharging (battery_W, else battery_V x battery_A of the same node). */
  battery?: LatestChannel;
  batteryFromVA: boolean;
  mode: BatteryMode;
  soc?: LatestChannel;
  load?: LatestChannel;
  inverter?: LatestChannel;
  /** The AC feeders behind the inverter (CT clamps), summed. */
  acFeeders?: LatestChannel;
}

/** Below this, in either direction, the battery is idle (W). */
export const idle_W = 5;

export function flowModel(nodes: LatestChannel[][]): FlowModel {
  let battery = siteTotal(nodes, "battery_W");
  let batteryFromVA = false;
  if (!battery || battery.value === null) {
    // battery_W not measured (a controller without a battery monitor): volts x amps of the nodes that have both
    const va = nodes.map((n) => [findChannel(n, "battery_V", "mean"), findChannel(n, "battery_A", "mean")]).filter((p) => p[0] && p[1]) as LatestChannel[][];
    if (va.length) {
      const parts = va.map(([v, a]) => ({ ...a, key: "battery_W", unit: "W", value: v.value === null || a.value === null || v.quality === "f" || a.quality === "f" ? null : v.value * a.value, quality: worst.indexOf(v.quality ?? "f") < worst.indexOf(a.quality ?? "f") ? v.quality : a.quality, stale: v.stale || a.stale }));
      battery = siteTotal(parts.map((p) => [p]), "battery_W");
      batteryFromVA = !!battery;
    }
  }
  const mode: BatteryMode = !battery || battery.value === null ? "unknown" : battery.value > idle_W ? "charging" : battery.value < -idle_W ? "discharging" : "idle";
  const cts = nodes.map((n) => n.filter((c) => /^ct\d+_W$/.test(c.key) && c.agg === "mean"));
  let acFeeders: LatestChannel | undefined;
  if (cts.some((c) => c.length)) {
    const keys = Array.from(new Set(cts.flat().map((c) => c.key)));
    const parts = keys.map((k) => siteTotal(nodes, k)!).filter(Boolean);
    acFeeders = siteTotal([parts.map((p) => ({ ...p, key: "ac_feeders_W" }))], "ac_feeders_W");
  }
  return { pv: siteTotal(nodes, "pv_W"), battery, batteryFromVA, mode, soc: siteMean(nodes, "battery_soc_pct"), load: siteTotal(nodes, "load_W"), inverter: siteTotal(nodes, "ac_out_W"), acFeeders };
}

/** A path's power in words: "350 W", "— (failed)", "120 W (stale)", "not measured". */
export function flowText(c: LatestChannel | undefined, magnitude = false): string {
  if (!c) return "not measured";
  const v = showValue(magnitude && c.value !== null ? { ...c, value: Math.abs(c.value) } : c);
  return v.state === "ok" ? `${v.text} ${v.unit}` : v.text === "—" ? `— (${v.badge})` : `${v.text} ${v.unit} (${v.badge})`;
}

/** What a screen reader hears for the diagram. */
export function flowDescription(m: FlowModel): string {
  const battery = m.mode === "unknown" ? `battery power ${flowText(m.battery)}` : m.mode === "idle" ? `battery idle (${flowText(m.battery, true)})` : `battery ${m.mode} at ${flowText(m.battery, true)}`;
  const parts = [`PV ${flowText(m.pv)} into the DC bus`, battery, `DC loads ${flowText(m.load)}`];
  if (m.inverter) parts.push(`inverter output ${flowText(m.inverter)}`);
  if (m.acFeeders) parts.push(`AC feeders ${flowText(m.acFeeders)}`);
  if (m.soc) parts.push(`state of charge ${flowText(m.soc)}`);
  return "Energy flow now: " + parts.join("; ");
}


function stateOf(c: LatestChannel | undefined): string {
  return c ? showValue(c).state : "none";
}

/** The diagram: boxes for PV, the DC bus, battery, DC loads, inverter and AC loads; a line with its power per path. */
export function flowSvg(m: FlowModel): SVGSVGElement {
  const svg = svgEl("svg", { viewBox: "0 0 640 250", class: "flow", role: "img", "aria-label": flowDescription(m) }) as SVGSVGElement;
  const defs = svgEl("defs", {});
  const marker = svgEl("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" });
  marker.append(svgEl("path", { d: "M0,0 L10,5 L0,10 z", fill: "currentColor" }));
  defs.append(marker);
  svg.append(defs);
  const box = (id: string, x: number, y: number, label: string, sub?: string) => {
    const g = svgEl("g", { class: "flow-box", "data-box": id });
    g.append(svgEl("rect", { x, y, width: 130, height: 50, rx: 8 }), svgEl("text", { x: x + 65, y: y + (sub ? 21 : 30), "text-anchor": "middle" }, label));
    if (sub) g.append(svgEl("text", { x: x + 65, y: y + 40, "text-anchor": "middle", class: "flow-sub" }, sub));
    svg.append(g);
  };
  // a path from (x1,y1) to (x2,y2); dir "fwd" draws the arrow at the end, "back" at the start, "none" no arrow
  const path = (id: string, x1: number, y1: number, x2: number, y2: number, c: LatestChannel | undefined, dir: "fwd" | "back" | "none", text: string, tx: number, ty: number) => {
    const g = svgEl("g", { class: "flow-path", "data-path": id, "data-state": stateOf(c), "data-dir": dir });
    const line = svgEl("line", { x1, y1, x2, y2 });
    if (dir === "fwd") line.setAttribute("marker-end", "url(#arrow)");
    if (dir === "back") line.setAttribute("marker-start", "url(#arrow)");
    g.append(line, svgEl("text", { x: tx, y: ty, "text-anchor": "middle", class: "flow-value" }, text));
    svg.append(g);
  };
  const on = (c: LatestChannel | undefined) => (c && c.value !== null && c.quality !== "f" && Math.abs(c.value) > idle_W ? "fwd" : "none");
  box("pv", 10, 10, "PV");
  box("bus", 255, 100, "DC bus", "charge controller");
  box("battery", 10, 190, "Battery", m.soc ? `${flowText(m.soc)} charged` : undefined);
  box("load", 500, 10, "DC loads");
  box("inverter", 500, 100, "Inverter");
  box("ac", 500, 190, "AC loads");
  path("pv", 140, 45, 255, 115, m.pv, on(m.pv), flowText(m.pv), 190, 62);
  const bdir = m.mode === "charging" ? "back" : m.mode === "discharging" ? "fwd" : "none";
  path("battery", 140, 205, 255, 135, m.battery, bdir, (m.mode === "unknown" ? "" : m.mode + " ") + flowText(m.battery, true) + (m.batteryFromVA ? " (V x A)" : ""), 215, 196);
  path("load", 385, 115, 500, 45, m.load, on(m.load), flowText(m.load), 450, 62);
  path("inverter", 385, 125, 500, 125, m.inverter ?? m.acFeeders, on(m.inverter ?? m.acFeeders), m.inverter ? flowText(m.inverter) : m.acFeeders ? flowText(m.acFeeders) + " (CT)" : "not measured", 442, 118);
  path("ac", 565, 150, 565, 190, m.acFeeders ?? m.inverter, on(m.acFeeders ?? m.inverter), "", 600, 175);
  return svg;
}
