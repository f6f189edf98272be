// History of one channel downsampled to at most N points: min, mean and max per time bucket, aggregated in SQL
// (GROUP BY on the bucket). Wide ranges read the rollup buckets (rollup.ts); narrow ones read the samples. Either
// way at most about 10,000 rows are aggregated per query.
import type { Db } from "../storage/db";
import { rollupLevels_ms } from "./rollup";
import type { HistoryPoint, HistoryResult } from "../../contracts/gateway-api";

export type { HistoryPoint, HistoryResult };

const rawSql =
  "SELECT (ts - CAST(@from AS INTEGER)) / CAST(@w AS INTEGER) AS b, COUNT(value) AS n, AVG(value) AS mean, MIN(value) AS min, MAX(value) AS max" +
  " FROM samples WHERE site = @site AND node = @node AND channel_id = @ch AND ts >= @from AND ts < @to GROUP BY b ORDER BY b";
const rollupSql =
  "SELECT (t - CAST(@from AS INTEGER)) / CAST(@w AS INTEGER) AS b, SUM(n) AS n, SUM(sum) AS sum, MIN(min) AS min, MAX(max) AS max" +
  " FROM history_rollup WHERE site = @site AND node = @node AND channel_id = @ch AND level = @level AND t >= @from AND t < @to GROUP BY b ORDER BY b";

/**
 * Downsample [from, to) of a channel to at most `points` buckets. When rollups serve the query, the bucket width is
 * a whole number of rollup buckets and from/to are widened to their edges (the result says which range it covers).
 */
export function historyQuery(db: Db, site: string, node: string, channel_id: number, from: number, to: number, points: number): HistoryResult {
  let bucket = Math.max(1, Math.ceil((to - from) / points));
  let level = 0;
  for (const L of rollupLevels_ms) if (L <= bucket) level = L;
  if (level) {
    bucket = Math.ceil(bucket / level) * level;
    from = Math.floor(from / level) * level;
    to = Math.ceil(to / level) * level;
    const rows = db.prepare(rollupSql).all({ from, w: bucket, site, node, ch: channel_id, to, level }) as { b: number; n: number; sum: number | null; min: number | null; max: number | null }[];
    const out = rows.map((r) => ({ t: from + r.b * bucket, n: r.n, min: r.min, mean: r.n > 0 && r.sum !== null ? r.sum / r.n : null, max: r.max }));
    return { from, to, bucket_ms: bucket, source: "rollup-" + level, points: out };
  }
  const rows = db.prepare(rawSql).all({ from, w: bucket, site, node, ch: channel_id, to }) as { b: number; n: number; mean: number | null; min: number | null; max: number | null }[];
  return { from, to, bucket_ms: bucket, source: "samples", points: rows.map((r) => ({ t: from + r.b * bucket, n: r.n, min: r.min, mean: r.mean, max: r.max })) };
}
