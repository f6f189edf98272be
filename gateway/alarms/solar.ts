// A simple daylight model for the pv_low rule: the sun's elevation from date, time and position, and a clear-sky-ish
// expectation of PV power. Declination after Cooper (1969), equation of time after Spencer's short form as given in
// Duffie & Beckman, "Solar Engineering of Thermal Processes", sections 1.6 and 1.5. Good to about a degree, which is
// all a "far below expectation" alarm needs.

const rad = Math.PI / 180;

function dayOfYear(ts: number): number {
  const d = new Date(ts);
  return Math.floor((ts - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86_400_000) + 1;
}

/** Sun elevation above the horizon, degrees, at Unix ms `ts` for a site at latitude/longitude (degrees, east +). */
export function sunElevation_deg(ts: number, latitude_deg: number, longitude_deg: number): number {
  const n = dayOfYear(ts);
  const declination = 23.45 * Math.sin(((2 * Math.PI) / 365) * (284 + n)) * rad;
  const b = ((2 * Math.PI) / 364) * (n - 81);
  const eot_min = 9.87 * Math.sin(2 * b) - 7.53 * Math.cos(b) - 1.5 * Math.sin(b);
  const d = new Date(ts);
  const utcHours = d.getUTCHours() + d.getUTCMinutes() / 60 + d.getUTCSeconds() / 3600;
  const solarHours = utcHours + longitude_deg / 15 + eot_min / 60;
  const hourAngle = 15 * (solarHours - 12) * rad;
  const lat = latitude_deg * rad;
  const s = Math.sin(lat) * Math.sin(declination) + Math.cos(lat) * Math.cos(declination) * Math.cos(hourAngle);
  return Math.asin(Math.max(-1, Math.min(1, s))) / rad;
}

export interface PvExpectation {
  kWp: number;
  latitude_deg: number;
  longitude_deg: number;
  model: "clear-sky" | "fraction";
  performance_ratio: number;
  expected_frac: number;
  min_elevation_deg: number;
}

/**
 * Expected PV power, W, or null when the sun is below min_elevation_deg (no judgement then).
 * "clear-sky": 1000 W/m² scaled by sin(elevation) (a horizontal-ish array, no air mass), times kWp and the
 * performance ratio. "fraction": kWp * expected_frac whenever the sun is high enough.
 */
export function expectedPv_W(ts: number, p: PvExpectation): number | null {
  const elev = sunElevation_deg(ts, p.latitude_deg, p.longitude_deg);
  if (elev < p.min_elevation_deg) return null;
  if (p.model === "fraction") return p.kWp * 1000 * p.expected_frac;
  return p.kWp * 1000 * Math.sin(elev * rad) * p.performance_ratio;
}
