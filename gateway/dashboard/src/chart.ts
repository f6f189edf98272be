/// <reference lib="dom" />
// The history chart (uPlot): mean as a line, min..max as a band. Dragging across it selects a time range, which
// is handed to onZoom (the page re-queries the gateway for finer buckets of that range) instead of stretching the
// buckets already drawn.
import uPlot from "uplot";
import { showTime, shownZoneName, type HistoryPoint } from "./view";
import { timeIn } from "../../time/zone";

/** Tick labels in the site's zone, 24-hour: "HH:MM" within two days, else "MM-DD" (with the hour when not midnight). */
export function tickLabels(splits: number[], zone: string): string[] {
  const span = splits.length > 1 ? splits[splits.length - 1] - splits[0] : 0;
  return splits.map((t) => {
    const s = timeIn(t, zone);
    if (span <= 2 * 86_400_000) return s.slice(11);
    return s.slice(11) === "00:00" ? s.slice(5, 10) : s.slice(5);
  });
}

export interface HistoryChart {
  show(points: HistoryPoint[], label: string, unit: string, from: number, to: number): void;
  resize(): void;
}

export function historyChart(host: HTMLElement, onZoom: (from: number, to: number) => void): HistoryChart {
  let plot: uPlot | undefined;
  let unitShown = "";

  function size(): { width: number; height: number } {
    const width = Math.max(260, host.clientWidth);
    return { width, height: width < 500 ? 220 : 300 };
  }

  function make(label: string, unit: string): uPlot {
    const fmt = (v: number | null) => (v === null || v === undefined ? "—" : v.toFixed(Math.abs(v) >= 100 ? 0 : 2) + " " + unit);
    const opts: uPlot.Options = {
      ...size(),
      ms: 1,
      cursor: { drag: { x: true, y: false, setScale: false } },
      scales: { x: { time: true } },
      // ticks fall on the site's hours (uPlot.tzDate) and read 24-hour in its zone
      tzDate: (ts) => uPlot.tzDate(new Date(ts), shownZoneName()),
      axes: [{ values: (_u, splits) => tickLabels(splits, shownZoneName()) }, { label: unit, size: 60 }],
      series: [
        { value: (_u, v) => (v === null || v === undefined ? "—" : showTime(v)) },
        { label: label, stroke: "#1f5fbf", width: 2, value: (_u, v) => fmt(v) },
        { label: "min of bucket", stroke: "rgba(31,95,191,0.35)", width: 1, value: (_u, v) => fmt(v) },
        { label: "max of bucket", stroke: "rgba(31,95,191,0.35)", width: 1, value: (_u, v) => fmt(v) },
      ],
      bands: [{ series: [3, 2], fill: "rgba(31,95,191,0.12)" }],
      hooks: {
        setSelect: [
          (u) => {
            if (u.select.width < 5) return;
            const a = u.posToVal(u.select.left, "x");
            const b = u.posToVal(u.select.left + u.select.width, "x");
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
            onZoom(Math.round(a), Math.round(b));
          },
        ],
      },
    };
    const u = new uPlot(opts, [[], [], [], []], host);
    touchZoom(u);
    return u;
  }

  /**
   * A finger dragged across the chart selects a range as a mouse drag does (uPlot's own drag follows mouse events
   * only, which a touch drag does not send). Horizontal drags belong to the chart; vertical ones still scroll.
   */
  function touchZoom(u: uPlot): void {
    const over = u.over;
    over.style.touchAction = "pan-y";
    let x0: number | null = null;
    const x = (e: PointerEvent) => Math.max(0, Math.min(over.clientWidth, e.clientX - over.getBoundingClientRect().left));
    const clear = () => {
      x0 = null;
      u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
    };
    over.addEventListener("pointerdown", (e) => {
      if (e.pointerType !== "touch") return;
      x0 = x(e);
      over.setPointerCapture(e.pointerId);
    });
    over.addEventListener("pointermove", (e) => {
      if (x0 === null || e.pointerType !== "touch") return;
      const x1 = x(e);
      u.setSelect({ left: Math.min(x0, x1), width: Math.abs(x1 - x0), top: 0, height: over.clientHeight }, false);
    });
    over.addEventListener("pointerup", (e) => {
      if (x0 === null || e.pointerType !== "touch") return;
      const x1 = x(e);
      const left = Math.min(x0, x1);
      const width = Math.abs(x1 - x0);
      clear();
      if (width < 5) return; // a tap
      onZoom(Math.round(u.posToVal(left, "x")), Math.round(u.posToVal(left + width, "x")));
    });
    over.addEventListener("pointercancel", clear);
  }

  return {
    show(points, label, unit, from, to) {
      if (!plot || unitShown !== label + unit) {
        plot?.destroy();
        plot = make(label, unit);
        unitShown = label + unit;
      }
      const t = points.map((p) => p.t);
      const data: uPlot.AlignedData = [t, points.map((p) => p.mean), points.map((p) => p.min), points.map((p) => p.max)];
      plot.setData(data, false);
      plot.setScale("x", { min: from, max: to });
      host.setAttribute("aria-label", `Chart of ${label} in ${unit || "units"} from ${showTime(from)} to ${showTime(to)} (${shownZoneName()}), ${points.length} points`);
    },
    resize() {
      plot?.setSize(size());
    },
  };
}
