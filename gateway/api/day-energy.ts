// Energy of Wh counters over days of a site: a counter's rise within the day, its last reading of the day minus its
// first (for a monotonic counter the same as the highest minus the lowest, the node page's "energy today"). Each
// rise is two seeks of the samples' primary key (site, node, channel_id, ts), from either end of the day, all in one
// statement: the cost does not grow with the number of readings in a day.
import { stmt, type Db } from "../storage/db";

/** One counter over one span: [from, to) ms. */
export interface RiseAsk {
  site: string;
  node: string;
  channel_id: number;
  from: number;
  to: number;
}

// the asks come in as one JSON array of [site, node, channel_id, from, to]: one statement, whatever their number
const riseSql =
  "WITH w(i, site, node, ch, a, b) AS (SELECT key, json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]')," +
  " json_extract(value, '$[3]'), json_extract(value, '$[4]') FROM json_each(?))" +
  " SELECT i," +
  " (SELECT value FROM samples s WHERE s.site = w.site AND s.node = w.node AND s.channel_id = w.ch AND s.ts >= w.a AND s.ts < w.b AND s.value IS NOT NULL ORDER BY s.ts LIMIT 1) AS first," +
  " (SELECT value FROM samples s WHERE s.site = w.site AND s.node = w.node AND s.channel_id = w.ch AND s.ts >= w.a AND s.ts < w.b AND s.value IS NOT NULL ORDER BY s.ts DESC LIMIT 1) AS last" +
  " FROM w";

/**
 * The rise of each asked counter over its span, in the order asked: null when the span holds no reading, or when
 * the counter went backwards (a replaced node): an unknown energy is never shown as a number.
 */
export function counterRises(db: Db, asks: RiseAsk[]): (number | null)[] {
  if (asks.length === 0) return [];
  const rows = stmt(db, riseSql).all(JSON.stringify(asks.map((a) => [a.site, a.node, a.channel_id, Math.round(a.from), Math.round(a.to)]))) as {
    i: number;
    first: number | null;
    last: number | null;
  }[];
  const out: (number | null)[] = asks.map(() => null);
  for (const r of rows) out[r.i] = r.first === null || r.last === null || r.last < r.first ? null : Math.round((r.last - r.first) * 1000) / 1000;
  return out;
}
