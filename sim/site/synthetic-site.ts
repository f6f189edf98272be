// A simple deterministic site for tests and demos until a trace drives it: a clear-sky PV day, a battery that
// charges by day and discharges at night, DC load and three feeders with an evening peak. Values by virtual
// wall-clock time (Unix seconds), so a site can start at any hour.

import type { SiteState } from "./site-model";

export type { SiteState };

function hourOfDay(t: number): number {
  return ((t % 86400) + 86400) % 86400 / 3600;
}

export function syntheticSite(opts: { pvPeak_W?: number; capacity_Ah?: number } = {}): (t: number) => SiteState {
  const peak = opts.pvPeak_W ?? 1200;
  const cap = opts.capacity_Ah ?? 200;
  return (t) => {
    const h = hourOfDay(t);
    const sun = h > 6 && h < 18 ? Math.sin(((h - 6) / 12) * Math.PI) : 0;
    const pv = peak * sun * sun;
    const evening = h > 18 && h < 23 ? 1 : 0.3;
    const feeders = [0, 1, 2].map((k) => ({ bus_V: 12.6 + 0.4 * sun, current_A: (2 + k) * evening }));
    const load = feeders.reduce((a, f) => a + f.bus_V * f.current_A, 0) + 40;
    const batteryV = 12.2 + 1.4 * sun + 0.2 * Math.cos((h / 24) * 2 * Math.PI);
    const batteryA = (pv - load) / batteryV;
    const soc = 55 + 35 * Math.sin(((h - 9) / 24) * 2 * Math.PI);
    return { pv_W: pv, pv_V: pv > 0 ? 34 + 4 * sun : 1.97, battery_V: batteryV, battery_A: batteryA, soc_pct: soc, load_W: load, feeders, ct_A: [4 * evening, 9 * evening], };
    void cap;
  };
}
