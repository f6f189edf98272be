// Timestamps as real logs write them, to Unix seconds: ISO 8601 with or without 'T' and offset
// ("2022-03-18 04:33:00-07:00"), US month/day/year ("1/2/2022 0:15", as the NREL exports), Unix seconds or ms.
// A time without an offset is taken at `utcOffset_h` (default 0, UTC).

export function parseTimestamp(text: string, utcOffset_h = 0): number {
  const s = text.trim().replace(/^"|"$/g, "");
  if (/^\d{9,10}(\.\d+)?$/.test(s)) return Number(s);
  if (/^\d{12,13}$/.test(s)) return Number(s) / 1000;
  const us = /^(\d{1,2})\/(\d{1,2})\/(\d{4})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(s);
  if (us) {
    const [, mo, d, y, h, mi, se] = us.map(Number);
    return Date.UTC(y, mo - 1, d, h, mi, se || 0) / 1000 - utcOffset_h * 3600;
  }
  const iso = /^(\d{4})[-/](\d{2})[-/](\d{2})[ T](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/.exec(s);
  if (!iso) return NaN;
  const [y, mo, d, h, mi, se] = iso.slice(1, 7).map((x) => Number(x ?? 0));
  let t = Date.UTC(y, mo - 1, d, h, mi, se) / 1000 + Number(iso[7] ?? 0);
  const off = iso[8];
  if (off === undefined) t -= utcOffset_h * 3600;
  else if (off !== "Z") {
    const m = /([+-])(\d{2}):?(\d{2})/.exec(off)!;
    t -= (m[1] === "-" ? -1 : 1) * (Number(m[2]) * 3600 + Number(m[3]) * 60);
  }
  return t;
}

/** Split one CSV line (double quotes around cells with commas). */
export function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = "";
  let q = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '"') q = !q;
    else if (c === "," && !q) {
      out.push(cur.trim());
      cur = "";
    } else cur += c;
  }
  out.push(cur.trim());
  return out;
}
