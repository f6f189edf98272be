/// <reference lib="dom" />
// Energy per site day as grouped bars (PV yield, load, battery in, battery out), drawn as SVG: a bar per measured
// counter and day, none (a grey tick) for a day without readings, never a zero that was not measured.
import type { DailyEnergyDay } from "../../../contracts/gateway-api";
import { svgEl } from "./svg";

export const dailySeries: { key: string; label: string; colour: string }[] = [
  { key: "pv_Wh", label: "PV yield", colour: "#d99a00" },
  { key: "load_Wh", label: "Load", colour: "#1f5fbf" },
  { key: "battery_charge_Wh", label: "Battery in", colour: "#1d7a3a" },
  { key: "battery_discharge_Wh", label: "Battery out", colour: "#b3261e" },
];

const kWh = (wh: number) => (wh / 1000).toFixed(2);

/** What a screen reader hears: the range of each series over the days, and today's value. */
export function barsDescription(days: DailyEnergyDay[], measured: string[], zone: string): string {
  const parts = dailySeries.filter((s) => measured.indexOf(s.key) >= 0).map((s) => {
    const v = days.map((d) => d.Wh[s.key]).filter((x): x is number => x !== null && x !== undefined);
    const today = days.length ? days[days.length - 1].Wh[s.key] : null;
    const range = v.length ? `${kWh(Math.min(...v))} to ${kWh(Math.max(...v))} kWh a day` : "no readings";
    return `${s.label} ${range}, today ${today === null || today === undefined ? "no reading" : kWh(today) + " kWh"}`;
  });
  const first = days.length ? days[0].day : "";
  return `Energy per day from ${first} to today (${days.length} days of ${zone}): ${parts.join("; ") || "nothing measured"}`;
}


/** The bars at `width` px (the host's width: drawn at the scale shown, so that text keeps its size). */
export function barsSvg(days: DailyEnergyDay[], measured: string[], zone: string, width = 720): SVGSVGElement {
  const W = Math.max(320, Math.round(width));
  const H = W < 500 ? 180 : 230;
  const left = 44;
  const bottom = 22;
  const top = 8;
  const plotW = W - left - 6;
  const plotH = H - top - bottom;
  const series = dailySeries.filter((s) => measured.indexOf(s.key) >= 0);
  const svg = svgEl("svg", { viewBox: `0 0 ${W} ${H}`, class: "bars", role: "img", "aria-label": barsDescription(days, measured, zone) }) as SVGSVGElement;
  let max = 0;
  for (const d of days) for (const s of series) max = Math.max(max, d.Wh[s.key] ?? 0);
  max = max > 0 ? Math.ceil(max / 500) * 500 : 1000;
  const y = (wh: number) => top + plotH - (wh / max) * plotH;
  for (const f of [0, 0.5, 1]) {
    svg.append(svgEl("line", { x1: left, x2: W - 6, y1: y(max * f), y2: y(max * f), class: "grid" }));
    svg.append(svgEl("text", { x: left - 4, y: y(max * f) + 4, "text-anchor": "end", class: "axis" }, kWh(max * f)));
  }
  svg.append(svgEl("text", { x: 2, y: H - 6, class: "axis" }, "kWh"));
  const group = plotW / Math.max(1, days.length);
  const bw = (group * 0.8) / Math.max(1, series.length);
  days.forEach((d, i) => {
    const x0 = left + i * group + group * 0.1;
    series.forEach((s, j) => {
      const v = d.Wh[s.key];
      const x = x0 + j * bw;
      if (v === null || v === undefined) {
        const r = svgEl("rect", { x, y: top + plotH - 2, width: Math.max(1, bw - 1), height: 2, fill: "#9aa3ad", "data-day": d.day, "data-key": s.key, "data-state": "none" });
        r.append(svgEl("title", {}, `${d.day} ${s.label}: no reading`));
        svg.append(r);
        return;
      }
      const r = svgEl("rect", { x, y: y(v), width: Math.max(1, bw - 1), height: Math.max(0, top + plotH - y(v)), fill: s.colour, "data-day": d.day, "data-key": s.key, "data-wh": Math.round(v) });
      r.append(svgEl("title", {}, `${d.day} ${s.label}: ${kWh(v)} kWh`));
      svg.append(r);
    });
    if (i === days.length - 1 || (days.length - 1 - i) % (W < 500 ? 10 : 5) === 0)
      svg.append(svgEl("text", { x: x0 + group * 0.4, y: H - 6, "text-anchor": "middle", class: "axis" }, i === days.length - 1 ? "today" : d.day.slice(5)));
  });
  return svg;
}
