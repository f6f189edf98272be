// The metered link's budget: bytes really on the wire (TLS records, MQTT headers, acknowledgements, keep alives and
// reconnects included: counted on the TCP socket, see link.ts) added up per UTC day and month in the store, so a
// restart does not reset them. Crossing alarm_at_pct of a budget raises an alarm once per period; a spent budget
// stops the uplink until the period ends (0 = no limit).
import type Database from "better-sqlite3";

export interface BudgetLimits {
  day_bytes: number;
  month_bytes: number;
  alarm_at_pct: number;
}

export interface BudgetCrossing {
  period: "day" | "month";
  key: string;
  used_bytes: number;
  limit_bytes: number;
  /** "warn": alarm_at_pct reached; "spent": the budget is used up. */
  level: "warn" | "spent";
}

export interface BudgetUse {
  day: string;
  month: string;
  day_bytes: number;
  month_bytes: number;
}

export function periodKeys(now: number): { day: string; month: string } {
  const iso = new Date(now).toISOString();
  return { day: "d:" + iso.slice(0, 10), month: "m:" + iso.slice(0, 7) };
}

/** Start of the next UTC day, ms. */
export function nextDayStart(now: number): number {
  return (Math.floor(now / 86_400_000) + 1) * 86_400_000;
}

/** Start of the next UTC month, ms. */
export function nextMonthStart(now: number): number {
  const d = new Date(now);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

export class Budget {
  constructor(
    private readonly db: Database.Database,
    private readonly limits: BudgetLimits,
  ) {}

  use(now: number): BudgetUse {
    const k = periodKeys(now);
    const get = this.db.prepare("SELECT bytes FROM uplink_usage WHERE period=?");
    const d = get.get(k.day) as { bytes: number } | undefined;
    const m = get.get(k.month) as { bytes: number } | undefined;
    return { day: k.day.slice(2), month: k.month.slice(2), day_bytes: d?.bytes ?? 0, month_bytes: m?.bytes ?? 0 };
  }

  /** Add bytes counted on the wire; returns the thresholds crossed for the first time in their period. */
  add(bytes: number, now: number): BudgetCrossing[] {
    if (bytes <= 0) return [];
    const k = periodKeys(now);
    const out: BudgetCrossing[] = [];
    this.db.transaction(() => {
      const up = this.db.prepare("INSERT INTO uplink_usage(period,bytes) VALUES(?,?) ON CONFLICT(period) DO UPDATE SET bytes=bytes+excluded.bytes");
      up.run(k.day, bytes);
      up.run(k.month, bytes);
      this.check("day", k.day, this.limits.day_bytes, out);
      this.check("month", k.month, this.limits.month_bytes, out);
    })();
    return out;
  }

  /** The budget that stops the uplink now, if any, and when it opens again (ms). */
  spent(now: number): { period: "day" | "month"; until: number } | undefined {
    const u = this.use(now);
    if (this.limits.month_bytes > 0 && u.month_bytes >= this.limits.month_bytes) return { period: "month", until: nextMonthStart(now) };
    if (this.limits.day_bytes > 0 && u.day_bytes >= this.limits.day_bytes) return { period: "day", until: nextDayStart(now) };
    return undefined;
  }

  // alarmed: 0 nothing raised yet in this period, 1 the warning, 2 the budget spent
  private check(period: "day" | "month", key: string, limit: number, out: BudgetCrossing[]): void {
    if (limit <= 0) return;
    const r = this.db.prepare("SELECT bytes, alarmed FROM uplink_usage WHERE period=?").get(key) as { bytes: number; alarmed: number };
    const level = r.bytes >= limit ? 2 : r.bytes >= (limit * this.limits.alarm_at_pct) / 100 ? 1 : 0;
    if (level <= r.alarmed) return;
    this.db.prepare("UPDATE uplink_usage SET alarmed=? WHERE period=?").run(level, key);
    out.push({ period, key, used_bytes: r.bytes, limit_bytes: limit, level: level === 2 ? "spent" : "warn" });
  }
}
