// Dates in a site's time zone (an IANA name such as "Africa/Nairobi"), with the zone data the JavaScript engine
// carries (Intl, ECMA-402). Pure: used by the dashboard (energy today, times shown) and the CSV export (local time).

const formats = new Map<string, Intl.DateTimeFormat>();

function format(zone: string): Intl.DateTimeFormat {
  let f = formats.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", { timeZone: zone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" });
    formats.set(zone, f);
  }
  return f;
}

/** True when the engine knows the IANA zone name (e.g. "Africa/Nairobi", "UTC"); false for "Nairobi" or "+03:00". */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return zone.length > 0;
  } catch {
    return false;
  }
}

export interface ZoneParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** The wall-clock date and time at Unix ms `ts` in `zone`. */
export function partsIn(ts: number, zone: string): ZoneParts {
  const p: { [k: string]: number } = {};
  for (const x of format(zone).formatToParts(new Date(ts))) if (x.type !== "literal") p[x.type] = Number(x.value);
  return { year: p.year, month: p.month, day: p.day, hour: p.hour % 24, minute: p.minute, second: p.second };
}

/** The zone's offset from UTC at `ts`, ms (Nairobi +10,800,000). */
export function offsetIn(ts: number, zone: string): number {
  const p = partsIn(ts, zone);
  const wall = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return wall - (ts - (((ts % 1000) + 1000) % 1000));
}

const pad = (n: number, w = 2) => String(n).padStart(w, "0");

/** "YYYY-MM-DD" of the day holding `ts` in `zone`. */
export function dayIn(ts: number, zone: string): string {
  const p = partsIn(ts, zone);
  return `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)}`;
}

/** "YYYY-MM-DD HH:MM", 24-hour, in `zone`. */
export function timeIn(ts: number, zone: string): string {
  const p = partsIn(ts, zone);
  return `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)} ${pad(p.hour)}:${pad(p.minute)}`;
}

/** ISO 8601 with the zone's offset, e.g. "2026-12-07T10:35:00+03:00" (the CSV's local time column). */
export function isoIn(ts: number, zone: string, offset_ms = offsetIn(ts, zone)): string {
  const d = new Date(ts + offset_ms).toISOString().slice(0, 19);
  const m = Math.round(Math.abs(offset_ms) / 60_000);
  return `${d}${offset_ms < 0 ? "-" : "+"}${pad(Math.floor(m / 60))}:${pad(m % 60)}`;
}

/**
 * Unix ms of the first instant of the day "YYYY-MM-DD" in `zone` (usually its midnight; where a clock change skips
 * midnight, the first minute that exists).
 */
export function dayStartIn(day: string, zone: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) throw new Error(`"${day}" is not a day as YYYY-MM-DD`);
  const wall = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  // the offset at the guess, then at the corrected guess (they differ when a clock change lies in between)
  let t = wall - offsetIn(wall, zone);
  t = wall - offsetIn(t, zone);
  if (dayIn(t, zone) !== day) t += 3_600_000; // midnight skipped by a change: the day begins an hour later
  return t;
}

/** Unix ms of the start of the day holding `ts` in `zone`. */
export function startOfDayIn(ts: number, zone: string): number {
  return dayStartIn(dayIn(ts, zone), zone);
}

/** The offset of `zone` in 15-minute steps, cached: zone offsets and their changes fall on quarter hours. */
export function offsetCache(zone: string): (ts: number) => number {
  const cache = new Map<number, number>();
  return (ts) => {
    const k = Math.floor(ts / 900_000);
    let o = cache.get(k);
    if (o === undefined) {
      o = offsetIn(k * 900_000, zone);
      if (cache.size > 10_000) cache.clear();
      cache.set(k, o);
    }
    return o;
  };
}
