// The alarms table: one row per raised alarm; clearing and acknowledging fill in cleared_at and acked_at/acked_by.
import { Db, stmt } from "../storage/db";
import type { AlarmRow, Severity } from "../../contracts/gateway-api";

export type { AlarmRow };

export function insertAlarm(db: Db, a: { site: string; node: string; rule: string; severity: Severity; raised_at: number; message: string; value: number | null }): AlarmRow {
  const r = stmt(db, "INSERT INTO alarms (site, node, rule, severity, raised_at, message, value) VALUES (?, ?, ?, ?, ?, ?, ?)")
    .run(a.site, a.node, a.rule, a.severity, a.raised_at, a.message, a.value);
  return getAlarm(db, Number(r.lastInsertRowid))!;
}

/** Clear the open alarm of (site, node, rule); undefined when none is open. */
export function clearAlarm(db: Db, site: string, node: string, rule: string, ts: number): AlarmRow | undefined {
  const open = stmt(db, "SELECT id FROM alarms WHERE site = ? AND node = ? AND rule = ? AND cleared_at IS NULL ORDER BY id DESC LIMIT 1").get(site, node, rule) as { id: number } | undefined;
  if (!open) return undefined;
  stmt(db, "UPDATE alarms SET cleared_at = ? WHERE id = ?").run(ts, open.id);
  return getAlarm(db, open.id);
}

/** Acknowledge an alarm (open or cleared). Undefined when there is no such alarm; an earlier ack is kept. */
export function ackAlarm(db: Db, id: number, by: string, ts: number): AlarmRow | undefined {
  stmt(db, "UPDATE alarms SET acked_at = ?, acked_by = ? WHERE id = ? AND acked_at IS NULL").run(ts, by, id);
  return getAlarm(db, id);
}

export function getAlarm(db: Db, id: number): AlarmRow | undefined {
  return stmt(db, "SELECT * FROM alarms WHERE id = ?").get(id) as AlarmRow | undefined;
}

export interface AlarmQuery {
  active?: boolean;
  site?: string;
  node?: string;
  limit?: number;
}

/** Newest first. active: only alarms not yet cleared. */
export function listAlarms(db: Db, q: AlarmQuery = {}): AlarmRow[] {
  const where: string[] = [];
  const params: unknown[] = [];
  if (q.active) where.push("cleared_at IS NULL");
  if (q.site !== undefined) {
    where.push("site = ?");
    params.push(q.site);
  }
  if (q.node !== undefined) {
    where.push("node = ?");
    params.push(q.node);
  }
  const sql = "SELECT * FROM alarms" + (where.length ? " WHERE " + where.join(" AND ") : "") + " ORDER BY id DESC LIMIT ?";
  return stmt(db, sql).all(...params, q.limit ?? 1000) as AlarmRow[];
}
