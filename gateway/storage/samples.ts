// The samples of one batch written with multi-row INSERTs: one statement per up to `tuplesPerInsert` (site, node,
// channel, ts) values instead of one statement per value. A node's batch of one row of 38 channels is then a single
// statement: the values are bound and stepped once, and SQLite descends the samples b-tree for each value as before.
import type Database from "better-sqlite3";

/** Columns bound per sample (site, node, channel_id, ts, value, quality). */
const columns = 6;
/**
 * Samples per statement at most: 166 x 6 = 996 bound parameters, under SQLite's SQLITE_MAX_VARIABLE_NUMBER of 999
 * of builds before 3.32 (32766 since; sqlite.org/limits.html, "Maximum Number Of Host Parameters").
 */
export const tuplesPerInsert = 166;

/** Builds the INSERT for n samples once and reuses it (a batch's size repeats: rows x channels of its node). */
export class SampleWriter {
  private readonly stmts: (Database.Statement | undefined)[] = [];
  private readonly args: unknown[] = [];
  private n = 0;

  constructor(private readonly db: Database.Database) {}

  /** Queue one sample; a full statement's worth is written at once. */
  add(site: string, node: string, channelId: number, ts: number, value: number | null, quality: string): void {
    const a = this.args;
    const o = this.n * columns;
    a[o] = site;
    a[o + 1] = node;
    a[o + 2] = channelId;
    a[o + 3] = ts;
    a[o + 4] = value;
    a[o + 5] = quality;
    if (++this.n === tuplesPerInsert) this.flush();
  }

  /** Write what is queued (call at the end of each batch; a sample already stored at its (channel, ts) is kept). */
  flush(): void {
    const n = this.n;
    if (n === 0) return;
    this.n = 0;
    const a = this.args;
    a.length = n * columns;
    this.stmt(n).run(a);
  }

  /** Forget what is queued (the batch failed before its flush). */
  discard(): void {
    this.n = 0;
  }

  private stmt(n: number): Database.Statement {
    let s = this.stmts[n];
    if (!s) {
      const tuple = "(?,?,?,?,?,?)";
      const sql = "INSERT OR IGNORE INTO samples(site,node,channel_id,ts,value,quality) VALUES" + (tuple + ",").repeat(n - 1) + tuple;
      s = this.stmts[n] = this.db.prepare(sql);
    }
    return s;
  }
}
