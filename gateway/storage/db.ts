// A SQLite connection as the gateway's features use it (alarms, commands, the API, the uplink): better-sqlite3's
// Database, whose types are declared once in better-sqlite3.d.ts. The gateway core opens the file and hands the
// connection in (times in the schema are Unix ms).
import type Database from "better-sqlite3";

export type Db = Database.Database;
export type Statement = Database.Statement;

/**
 * Indexes the alarm and command queries use, on tables the gateway's store creates. Idempotent. Samples need none
 * beyond their primary key (site, node, channel_id, ts): a history query is a range scan of that key.
 */
export function ensureApiIndexes(db: Db): void {
  db.exec(
    // batches by (site, node, t0) is the store's own batches_by_time (migration 4); a second one only cost inserts
    "CREATE INDEX IF NOT EXISTS alarms_by_cleared ON alarms(cleared_at);" +
      // the fleet page looks its channels up by key across every node (GET /api/fleet): a search, not a scan
      "CREATE INDEX IF NOT EXISTS channels_by_key ON channels(key, agg);",
  );
}

const statements = new WeakMap<Db, Map<string, Statement>>();

/** A prepared statement kept per connection (preparing costs about as much as running a small query). */
export function stmt(db: Db, sql: string): Statement {
  let m = statements.get(db);
  if (!m) statements.set(db, (m = new Map()));
  let s = m.get(sql);
  if (!s) m.set(sql, (s = db.prepare(sql)));
  return s;
}
