// The uplink's durable outbox: a table in the gateway's SQLite store (migration 3). An entry is written in the same
// process turn as the event that made it and is deleted only when the central broker has acknowledged the message
// that carried it (QoS 1 PUBACK), so it survives restarts and outages of days. Ids only grow (AUTOINCREMENT): an
// id in flight never names a newer entry.
//
// Order: oldest first within each class, and the two classes alternate, so a backlog of days does not hold up
// live data; alarms, states and births go ahead of batches. Live = created less than live_window_s ago. Several entries of one node and kind share a message.
import type Database from "better-sqlite3";
import type { CentralKind } from "../../contracts/uplink-wire";

export interface OutboxEntry {
  id: number;
  kind: CentralKind;
  site: string;
  node: string;
  created_at: number;
  body: string;
}

export interface OutboxGroup {
  kind: CentralKind;
  site: string;
  node: string;
  live: boolean;
  entries: OutboxEntry[];
}

export interface PickOptions {
  now: number;
  liveWindowMs: number;
  maxMessages: number;
  /** Live entries wait this long for more of their kind to fill a message (not alarms and states). */
  maxDelayMs: number;
  /** Entries in flight (published, not yet acknowledged). */
  busy: Set<number>;
}

/** Alarms, then states and births, then batches: the small urgent messages do not wait behind a backlog. */
const urgentFirst = "CASE kind WHEN 'a' THEN 0 WHEN 's' THEN 1 WHEN 'b' THEN 2 ELSE 3 END";

export class Outbox {
  private nextLive = true;

  constructor(private readonly db: Database.Database) {}

  /** Add an entry; false when an entry with the same key is already waiting (e.g. a batch enqueued twice). */
  add(kind: CentralKind, site: string, node: string, key: string, createdAt: number, body: string): boolean {
    return (
      this.db
        .prepare("INSERT OR IGNORE INTO uplink_outbox(kind,site,node,item_key,created_at,body) VALUES(?,?,?,?,?,?)")
        .run(kind, site, node, key, createdAt, body).changes > 0
    );
  }

  /** Delete what the broker acknowledged. */
  remove(ids: number[]): void {
    if (ids.length) this.db.prepare("DELETE FROM uplink_outbox WHERE id IN (SELECT value FROM json_each(?))").run(JSON.stringify(ids));
  }

  count(): number {
    return (this.db.prepare("SELECT count(*) AS n FROM uplink_outbox").get() as { n: number }).n;
  }

  oldestAgeMs(now: number): number {
    const r = this.db.prepare("SELECT min(created_at) AS t FROM uplink_outbox").get() as { t: number | null };
    return r.t === null ? 0 : now - r.t;
  }

  /** The next message's entries, alternating live and backlog; undefined when nothing is ready to go. */
  pick(o: PickOptions): OutboxGroup | undefined {
    const order = this.nextLive ? [true, false] : [false, true];
    for (const live of order) {
      const g = this.group(live, o);
      if (g) {
        this.nextLive = !live;
        return g;
      }
    }
    return undefined;
  }

  private group(live: boolean, o: PickOptions): OutboxGroup | undefined {
    const edge = o.now - o.liveWindowMs;
    const busy = JSON.stringify([...o.busy]);
    const cls = live ? "created_at >= @edge" : "created_at < @edge";
    const notBusy = "id NOT IN (SELECT value FROM json_each(@busy))";
    // the oldest free entry of each node and kind in this class; the oldest of these that is ready goes first
    const heads = this.db
      .prepare(`SELECT kind, site, node, min(id) AS id, min(created_at) AS t, count(*) AS n FROM uplink_outbox WHERE ${cls} AND ${notBusy} GROUP BY site, node, kind ORDER BY ${urgentFirst}, id`)
      .all({ edge, busy }) as { kind: CentralKind; site: string; node: string; id: number; t: number; n: number }[];
    for (const h of heads) {
      const urgent = h.kind === "a" || h.kind === "s" || h.kind === "b";
      if (live && !urgent && h.n < o.maxMessages && o.now - h.t < o.maxDelayMs) continue;
      const rows = this.db
        .prepare(`SELECT id, kind, site, node, created_at, body FROM uplink_outbox WHERE site=@site AND node=@node AND kind=@kind AND ${cls} AND ${notBusy} ORDER BY id LIMIT @lim`)
        .all({ site: h.site, node: h.node, kind: h.kind, edge, busy, lim: o.maxMessages }) as OutboxEntry[];
      if (h.kind === "t") {
        // one message carries one channel table: stop at the first batch that follows another
        const sig = channelSignature(rows[0].body);
        const same: OutboxEntry[] = [];
        for (const r of rows) {
          if (channelSignature(r.body) !== sig) break;
          same.push(r);
        }
        return { kind: h.kind, site: h.site, node: h.node, live, entries: same };
      }
      return { kind: h.kind, site: h.site, node: h.node, live, entries: rows };
    }
    return undefined;
  }
}

/** Batch bodies start with their channel table: {"c":[...],"x":[...],"item":...}. */
function channelSignature(body: string): string {
  const i = body.indexOf(',"item":');
  return i < 0 ? body : body.slice(0, i);
}
