// Energy of Wh counters over days of a site: a counter's rise within the day, its last reading of the day minus its
// first (for a monotonic counter the same as the highest minus the lowest, the node page's "energy today"). Each
// rise is two seeks of the samples' primary key (site, node, channel_id, ts), from either end of the day, all in one
// statement: the cost does not grow with the number of readings in a day. What cannot change until an older batch
// arrives is remembered (DayReadings): today's first reading, and the whole rise of a day that has ended; a stored
// batch that starts before them forgets them.
import { stmt, type Db } from "../storage/db";

/** One counter over one span: [from, to) ms. */
export interface RiseAsk {
  site: string;
  node: string;
  channel_id: number;
  from: number;
  to: number;
}

interface Known {
  /** The first reading of the span (value), or the span's whole rise when `rise` (a day that has ended). */
  value: number | null;
  rise: boolean;
  /** A batch of the node starting before this may change it. */
  before: number;
}

/** Readings of counters that only an older batch can change, per node; forgotten when one is stored. */
export class DayReadings {
  private readonly byNode = new Map<string, Map<string, Known>>();
  private size = 0;

  get(a: RiseAsk): Known | undefined {
    return this.byNode.get(a.site + "\u0000" + a.node)?.get(a.channel_id + ":" + a.from + ":" + a.to);
  }

  set(a: RiseAsk, k: Known): void {
    if (this.size > 200_000) this.clear(); // a bound: old days are not asked for again
    const key = a.site + "\u0000" + a.node;
    let m = this.byNode.get(key);
    if (!m) this.byNode.set(key, (m = new Map()));
    const id = a.channel_id + ":" + a.from + ":" + a.to;
    if (!m.has(id)) this.size++;
    m.set(id, k);
  }

  /** A batch of the node stored, its rows from `t0` on: forget what it may change. */
  stored(site: string, node: string, t0: number): void {
    const m = this.byNode.get(site + "\u0000" + node);
    if (!m) return;
    for (const [id, k] of m)
      if (t0 < k.before) {
        m.delete(id);
        this.size--;
      }
  }

  clear(): void {
    this.byNode.clear();
    this.size = 0;
  }
}

// the asks come in as one JSON array of [site, node, channel_id, from, to, first wanted]: one statement, whatever
// their number
const riseSql =
  "WITH w(i, site, node, ch, a, b, f) AS (SELECT key, json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]')," +
  " json_extract(value, '$[3]'), json_extract(value, '$[4]'), json_extract(value, '$[5]') FROM json_each(?))" +
  " SELECT i," +
  " CASE WHEN w.f THEN (SELECT json_array(s.ts, s.value) FROM samples s WHERE s.site = w.site AND s.node = w.node AND s.channel_id = w.ch AND s.ts >= w.a AND s.ts < w.b AND s.value IS NOT NULL ORDER BY s.ts LIMIT 1) END AS first," +
  " (SELECT value FROM samples s WHERE s.site = w.site AND s.node = w.node AND s.channel_id = w.ch AND s.ts >= w.a AND s.ts < w.b AND s.value IS NOT NULL ORDER BY s.ts DESC LIMIT 1) AS last" +
  " FROM w";

/**
 * The rise of each asked counter over its span, in the order asked: null when the span holds no reading, or when
 * the counter went backwards (a replaced node): an unknown energy is never shown as a number. With `known`, what was
 * read before and cannot have changed is not read again (spans ended before `now` entirely, today's first reading).
 */
export function counterRises(db: Db, asks: RiseAsk[], known?: DayReadings, now = Date.now()): (number | null)[] {
  const out: (number | null)[] = asks.map(() => null);
  const firsts: (number | null | undefined)[] = asks.map(() => undefined);
  const todo: [string, string, number, number, number, number][] = [];
  const index: number[] = [];
  asks.forEach((a, i) => {
    const k = known?.get(a);
    if (k && k.rise) out[i] = k.value;
    else {
      if (k) firsts[i] = k.value;
      todo.push([a.site, a.node, a.channel_id, Math.round(a.from), Math.round(a.to), k ? 0 : 1]);
      index.push(i);
    }
  });
  if (todo.length === 0) return out;
  const rows = stmt(db, riseSql).all(JSON.stringify(todo)) as { i: number; first: string | null; last: number | null }[];
  for (const r of rows) {
    const i = index[r.i];
    const a = asks[i];
    let first = firsts[i];
    if (first === undefined) {
      const f = r.first ? (JSON.parse(r.first) as [number, number]) : null;
      first = f ? f[1] : null;
      // today's first reading stays the first until a batch from before it arrives
      if (known && f && a.to > now) known.set(a, { value: f[1], rise: false, before: f[0] + 1 });
    }
    const rise = first === null || r.last === null || r.last < first ? null : Math.round((r.last - first) * 1000) / 1000;
    out[i] = rise;
    // a day that has ended: its rise stays until a batch of that day arrives (late, from a node's flash)
    if (known && a.to <= now) known.set(a, { value: rise, rise: true, before: a.to });
  }
  return out;
}
