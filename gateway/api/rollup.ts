// Pre-aggregated history for fast downsampling: per channel, buckets of 10 min, 1 h and 3 h holding count, sum, min
// and max of the samples (mean = sum / n). A year of 1-minute samples is 525,600 rows per channel, too many to scan
// for every chart; its 3 h buckets are 2,920. Buckets are rebuilt from the samples over the time range of each stored
// batch (so backlog, duplicates and late batches are right), coarser levels from the finer one.
import { Db, stmt } from "../storage/db";

/** Rollup bucket sizes, ms, finest first. */
export const rollupLevels_ms = [600_000, 3_600_000, 10_800_000];

/** Create the rollup tables (idempotent). */
export function ensureRollupSchema(db: Db): void {
  db.exec(
    "CREATE TABLE IF NOT EXISTS history_rollup(site TEXT NOT NULL, node TEXT NOT NULL, channel_id INT NOT NULL, level INT NOT NULL," +
      " t INT NOT NULL, n INT NOT NULL, sum REAL, min REAL, max REAL, PRIMARY KEY(site, node, channel_id, level, t)) WITHOUT ROWID;" +
      "CREATE TABLE IF NOT EXISTS history_rollup_built(site TEXT NOT NULL, node TEXT NOT NULL, built_at INT, PRIMARY KEY(site, node));",
  );
}

// Integer parameters are CAST: better-sqlite3 binds JS numbers as REAL, which would make ts % L a float remainder.
// Each statement covers all of a node's channels: `channel_id IN (its channels)` walks the primary key channel by
// channel, as a loop over the channels did with three statements per channel and level (38 channels: 228 statements
// a batch, most of a gateway's CPU when a fleet's replay sends it batches as fast as it takes them).
const ofNode = "site = @site AND node = @node AND channel_id IN (SELECT channel_id FROM channels WHERE site = @site AND node = @node)";
const fromSamples =
  "INSERT INTO history_rollup (site, node, channel_id, level, t, n, sum, min, max)" +
  " SELECT site, node, channel_id, CAST(@L AS INTEGER), ts - ts % CAST(@L AS INTEGER) AS b, COUNT(value), SUM(value), MIN(value), MAX(value)" +
  ` FROM samples WHERE ${ofNode} AND ts >= @lo AND ts < @hi GROUP BY channel_id, b`;
const fromLevel =
  "INSERT INTO history_rollup (site, node, channel_id, level, t, n, sum, min, max)" +
  " SELECT site, node, channel_id, CAST(@L AS INTEGER), t - t % CAST(@L AS INTEGER) AS b, SUM(n), SUM(sum), MIN(min), MAX(max)" +
  ` FROM history_rollup WHERE ${ofNode} AND level = @prev AND t >= @lo AND t < @hi GROUP BY channel_id, b`;
const clear = `DELETE FROM history_rollup WHERE ${ofNode} AND level = @L AND t >= @lo AND t < @hi`;

/** Rebuild the buckets of a node's channels that overlap [from, to), in one transaction; `now` marks it up to date. */
export function updateRollups(db: Db, site: string, node: string, from: number, to: number, now?: number): void {
  db.transaction(() => rebuildRollups(db, site, node, from, to, now))();
}

/** updateRollups' work, inside the caller's transaction. */
function rebuildRollups(db: Db, site: string, node: string, from: number, to: number, now?: number): void {
  const del = stmt(db, clear);
  const insRaw = stmt(db, fromSamples);
  const insLevel = stmt(db, fromLevel);
  let prev = 0;
  for (const L of rollupLevels_ms) {
    const lo = Math.floor(from / L) * L;
    const hi = Math.ceil(to / L) * L;
    del.run({ L, site, node, lo, hi });
    if (prev === 0) insRaw.run({ L, site, node, lo, hi });
    else insLevel.run({ L, site, node, lo, hi, prev });
    prev = L;
  }
  if (now !== undefined) stmt(db, "INSERT OR REPLACE INTO history_rollup_built (site, node, built_at) VALUES (?, ?, ?)").run(site, node, now);
}

/** How long the rollups of a node's stored batches wait to be rebuilt together (RollupUpkeep), ms. */
export const rollupSettleMs = 2000;

interface PendingNode {
  site: string;
  node: string;
  /** Time ranges to rebuild, ms: a batch within a coarsest bucket of one is merged into it. */
  spans: { from: number; to: number }[];
  batches: number;
}

/**
 * The rollups of stored batches, rebuilt `settleMs` after the first of them, per node over the union of their time
 * ranges, in one transaction. A node that catches up a backlog, or a fleet's replay, sends a batch every few
 * milliseconds: each batch's rebuild read and rewrote the same buckets (three levels of each of its channels) again,
 * about a third of a gateway's CPU (bench/sim.bench.ts' fleet against a gateway process: 100 sites x 2 h took 19.4 s
 * of the gateway's CPU, 11.0-13.3 s with the batches of 2 s rebuilt together). A node reporting once a minute has one
 * batch per rebuild as before. Whoever reads the rollups calls `settle` for the node first (historyQuery's callers
 * through ApiDeps.history), so a chart never misses a stored batch.
 *
 * `commit` runs the rebuild in a transaction: the gateway's store commits it without waiting for the disk
 * (Store.transactionDeferringSync), and the next sync of ingest's commits makes it durable. A transaction per batch
 * was a commit per batch, each synced on the gateway's thread under synchronous FULL: with 500 nodes a second that
 * was a third of the thread's time, and every PUBACK waited behind it. Rollups are derived data: a rebuild lost to a
 * power cut loses its `history_rollup_built` mark with it, and the gateway's next start rebuilds those nodes from
 * their batches (backfillRollups).
 */
export class RollupUpkeep {
  private pending = new Map<string, PendingNode>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** Slices of a rebuild are under way (drain): batches stored meanwhile join them. */
  private draining = false;

  /**
   * `whenAllowed` holds the rebuild while the store holds its commits (the last pass of a WAL checkpoint:
   * storage/checkpointer.ts), as ingest's commits are held; `held` tells whether it holds them now.
   */
  constructor(
    private readonly db: Db,
    private readonly commit: (fn: () => void) => void,
    private readonly now: () => number,
    private readonly log: (line: string) => void,
    private readonly whenAllowed: (cb: () => void) => void = (cb) => cb(),
    private readonly settleMs = rollupSettleMs,
    private readonly held: () => boolean = () => false,
    private readonly sliceMs = 5,
  ) {}

  /** A batch covering [from, to) ms was stored. */
  stored(site: string, node: string, from: number, to: number): void {
    const key = site + "/" + node;
    let p = this.pending.get(key);
    if (!p) this.pending.set(key, (p = { site, node, spans: [], batches: 0 }));
    p.batches++;
    const near = rollupLevels_ms[rollupLevels_ms.length - 1];
    const s = p.spans.find((x) => from <= x.to + near && to >= x.from - near);
    if (s) {
      s.from = Math.min(s.from, from);
      s.to = Math.max(s.to, to);
    } else p.spans.push({ from, to });
    if (this.timer || this.draining) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.drain();
    }, this.settleMs);
    this.timer.unref?.();
  }

  /**
   * Rebuild what waits in slices of about `sliceMs` each, one transaction per slice and a turn of the event loop
   * between them: with 500 nodes a second, 2 s of batches were 500 nodes' rebuilds in one go, and every PUBACK due
   * meanwhile waited for all of them.
   */
  private drain(): void {
    this.draining = true;
    this.whenAllowed(() => {
      if (this.pending.size === 0) {
        this.draining = false; // a stop's flush took it all
        return;
      }
      this.rebuild(this.taken(), performance.now() + this.sliceMs);
      if (this.pending.size > 0) setImmediate(() => this.drain());
      else this.draining = false;
    });
  }

  /** The waiting nodes, each taken out of `pending` as it is reached. */
  private *taken(): Generator<PendingNode> {
    for (const [key, p] of this.pending) {
      this.pending.delete(key);
      yield p;
    }
  }

  /** Batches stored whose rollups wait to be rebuilt. */
  get waiting(): number {
    let n = 0;
    for (const p of this.pending.values()) n += p.batches;
    return n;
  }

  /**
   * Rebuild the waiting rollups of a node (of every node of the site without `node`) now, before they are read.
   * While a checkpoint holds commits they stay waiting (a read then misses at most the last `settleMs` of batches;
   * the hold lasts milliseconds).
   */
  settle(site: string, node?: string): void {
    if (this.pending.size === 0 || this.held()) return;
    const work = [...this.pending.values()].filter((p) => p.site === site && (node === undefined || p.node === node));
    for (const p of work) this.pending.delete(p.site + "/" + p.node);
    this.rebuild(work);
  }

  /** Rebuild everything waiting now (stopping: nothing is left to a later turn). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const work = [...this.pending.values()];
    this.pending.clear();
    this.rebuild(work);
  }

  /**
   * Rebuild `work` in one transaction, stopping after the node that ends past `until` (performance.now(), ms: a
   * slice of drain).
   */
  private rebuild(work: Iterable<PendingNode>, until = Infinity): void {
    const done: PendingNode[] = [];
    const now = this.now();
    try {
      this.commit(() => {
        for (const w of work) {
          done.push(w);
          for (const s of w.spans) rebuildRollups(this.db, w.site, w.node, s.from, s.to, now);
          if (until !== Infinity && performance.now() >= until) break;
        }
      });
    } catch (e) {
      // the nodes' marks were not written either: the next start rebuilds them. A slice that fails gives up what
      // still waits too, rather than trying again every turn (a full disk)
      if (until !== Infinity) for (const w of this.taken()) done.push(w);
      const n = done.reduce((a, w) => a + w.batches, 0);
      this.log(`history rollups of ${n} batch(es) could not be stored (${(e as Error).message}); they are rebuilt at the next start`);
    }
  }
}

/**
 * Bring the rollups up to date at start: every node without rollups is built in full (a store from before rollups);
 * for the others, the batches received since their rollups were last updated (while the API was not running).
 * Returns the number of nodes updated.
 */
export function backfillRollups(db: Db, now: number): number {
  const nodes = stmt(db, "SELECT n.site AS site, n.node AS node, b.built_at AS built FROM nodes n LEFT JOIN history_rollup_built b ON b.site = n.site AND b.node = n.node")
    .all() as { site: string; node: string; built: number | null }[];
  let updated = 0;
  for (const { site, node, built } of nodes) {
    // a minute of margin: a batch committed while the mark was written
    const r = db
      .prepare("SELECT MIN(t0) AS a, MAX(t0 + rows * interval_s * 1000) AS b FROM batches WHERE site = ? AND node = ? AND received_at >= ?")
      .get(site, node, built === null ? -1 : built - 60_000) as { a: number | null; b: number | null };
    if (r.a === null || r.b === null) continue;
    updateRollups(db, site, node, r.a, r.b, now);
    updated++;
  }
  return updated;
}
