/// <reference lib="dom" />
// A chart of several series over time (uPlot), watts on the left axis and, when a series is in %, a second axis
// on the right (state of charge). Ticks and the legend in the site's zone, 24-hour; a gap where a bucket holds no
// reading. The host is an image whose label the page gives (chart descriptions).
import uPlot from "uplot";
import { tickLabels } from "./chart";
import { shownZoneName, showTime } from "./view";

export interface LineSeries {
  label: string;
  unit: string;
  colour: string;
  values: (number | null)[];
  dash?: boolean;
}

export interface MultiChart {
  show(t: number[], series: LineSeries[], from: number, to: number, description: string): void;
  resize(): void;
}

export function multiChart(host: HTMLElement): MultiChart {
  let plot: uPlot | undefined;
  let shape = "";
  const size = () => {
    const width = Math.max(260, host.clientWidth);
    return { width, height: width < 500 ? 200 : 260 };
  };
  function make(series: LineSeries[]): uPlot {
    const pct = series.some((s) => s.unit === "%");
    const fmt = (unit: string) => (_u: uPlot, v: number | null) => (v === null || v === undefined ? "—" : v.toFixed(unit === "%" ? 0 : Math.abs(v) >= 100 ? 0 : 1) + " " + unit);
    const axes: uPlot.Axis[] = [{ values: (_u, splits) => tickLabels(splits, shownZoneName()) }, { label: "W", size: 56, scale: "W" }];
    if (pct) axes.push({ label: "%", side: 1, scale: "%", size: 44, grid: { show: false } });
    return new uPlot(
      {
        ...size(),
        ms: 1,
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: true }, W: {}, "%": { range: [0, 100] } },
        tzDate: (ts) => uPlot.tzDate(new Date(ts), shownZoneName()),
        axes,
        series: [
          { value: (_u, v) => (v === null || v === undefined ? "—" : showTime(v)) },
          ...series.map((s) => ({ label: s.label, stroke: s.colour, width: 2, scale: s.unit === "%" ? "%" : "W", dash: s.dash ? [6, 4] : undefined, value: fmt(s.unit), spanGaps: false })),
        ],
      },
      [[], ...series.map(() => [])],
      host,
    );
  }
  return {
    show(t, series, from, to, description) {
      const key = series.map((s) => s.label + s.unit).join("|");
      if (!plot || key !== shape) {
        plot?.destroy();
        plot = make(series);
        shape = key;
      }
      plot.setData([t, ...series.map((s) => s.values)] as uPlot.AlignedData, false);
      plot.setScale("x", { min: from, max: to });
      host.setAttribute("aria-label", description);
    },
    resize() {
      plot?.setSize(size());
    },
  };
}

/** "Chart of PV and DC load (W) and state of charge (%) from 2026-12-06 18:05 to 2026-12-07 18:05 (Asia/Kathmandu), 288 points". */
export function chartDescription(series: LineSeries[], from: number, to: number, points: number): string {
  const byUnit = new Map<string, string[]>();
  for (const s of series) byUnit.set(s.unit, [...(byUnit.get(s.unit) ?? []), s.label]);
  const parts = Array.from(byUnit.entries()).map(([u, labels]) => `${labels.length > 1 ? labels.slice(0, -1).join(", ") + " and " + labels[labels.length - 1] : labels[0]} (${u})`);
  return `Chart of ${parts.join(" and ") || "nothing measured"} from ${showTime(from)} to ${showTime(to)} (${shownZoneName()}), ${points} points`;
}
