// The part of a SQLite connection that alarms, commands and the API use. better-sqlite3's Database has this shape;
// the gateway core opens the file and hands the connection in (times in the schema are Unix ms).
import { createRequire } from "node:module";

export interface RunResult {
  changes: number;
  lastInsertRowid: number | bigint;
}

export interface Statement {
  run(...params: unknown[]): RunResult;
  get(...params: unknown[]): any;
  all(...params: unknown[]): any[];
  iterate(...params: unknown[]): IterableIterator<any>;
  raw(on?: boolean): Statement;
}

export interface Db {
  prepare(sql: string): Statement;
  exec(sql: string): unknown;
  transaction<F extends (...args: any[]) => any>(fn: F): F;
  pragma(source: string, options?: { simple?: boolean }): unknown;
  close(): unknown;
}

/** Open (or create) a SQLite file with better-sqlite3; ":memory:" for a database in memory. */
export function openDatabase(file: string): Db {
  const require = createRequire(import.meta.url);
  const Database = require("better-sqlite3") as new (file: string) => Db;
  return new Database(file);
}

/**
 * Indexes the alarm and command queries use, on tables the gateway's store creates. Idempotent. Samples need none
 * beyond their primary key (site, node, channel_id, ts): a history query is a range scan of that key.
 */
export function ensureApiIndexes(db: Db): void {
  db.exec(
    // batches by (site, node, t0) is the store's own batches_by_time (migration 4); a second one only cost inserts
    "CREATE INDEX IF NOT EXISTS alarms_by_cleared ON alarms(cleared_at);",
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
