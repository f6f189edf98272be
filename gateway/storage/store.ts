// The gateway's SQLite store (better-sqlite3, WAL). Readers (API, alarms) use `store.db` directly; ingest uses the
// methods below inside `transaction()` so that one commit covers many messages and PUBACKs follow the commit.
// What ingest reads for every batch is kept in memory: the node rows and the clock offsets (written only through
// these methods, which update the copies in the same call; a rolled-back transaction drops them) and the highest
// seq stored per boot. So rows of `nodes` and `clock_offsets` must be written through the Store, not `store.db`.
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import type { BirthPayload } from "../../firmware/protocol/messages";
import type { CheckpointOptions } from "./checkpointer";
import { migrations } from "./migrations";
import { SampleWriter } from "./samples";
import { autoCheckpointPages } from "./store-core";
import { StorePending, SeqSpan } from "./store-pending";

export type { SeqSpan, PendingRow, ClockOffset } from "./store-pending";

export interface NodeRow {
  site: string;
  node: string;
  first_seen: number;
  last_seen: number;
  online: number;
  fw: string;
  board: string;
  boot: number;
  birth_json: string;
  clock_synced: number;
  backlog: number | null;
  link_rssi: number | null;
  stale: number;
  interval_s: number | null;
}

export interface BatchMeta {
  site: string;
  node: string;
  boot: number;
  seq: number;
  /** The last seq the batch covers: seq itself, or `e` of a merged batch (firmware/app/queue/merge.ts). */
  seqLast?: number;
  receivedAt: number;
  t0: number; // ms, start of row 0
  intervalS: number;
  historical: boolean;
  merged: number;
  timeEstimated: boolean;
  /** Qualities at best 'e' (estimated): the time is estimated, or only part of the batch is stored. */
  estimated?: boolean;
}

/** The samples one batch wrote: its channel ids, and per row written its time, values (units) and quality letters. */
export interface WrittenBatch {
  channelIds: ArrayLike<number>;
  span_ms: number;
  rows: { ts: number; values: (number | null)[]; quality: string }[];
}

/** The time [from, to) ms the rows of one stored batch cover. */
export interface TimeSpan {
  from: number;
  to: number;
}

/** Quality letters from best to worst (firmware/protocol/messages.ts); `atBestEstimated` keeps s and f. */
const qualityOrder = "oesf";
function atBestEstimated(q: string): string {
  let out = "";
  for (let i = 0; i < q.length; i++) out += qualityOrder.indexOf(q[i]) < 1 ? "e" : q[i];
  return out;
}

export interface StoreOptions {
  synchronous?: "FULL" | "NORMAL" | "OFF";
  /** SQLite's page cache, MB (default 16: storage.cacheMB). */
  cacheMB?: number;
  /** When the checkpoint thread copies the WAL (synchronous FULL on a file; checkpointer.ts). */
  checkpoint?: CheckpointOptions;
}

export class Store extends StorePending {
  /** Highest seq_last stored per boot: a batch above it overlaps no stored batch (the usual case, no lookup). */
  private readonly tops = new Map<string, number>();
  private readonly nodes = new Map<string, NodeRow | null>();
  private samples: SampleWriter | undefined;

  private constructor(db: Database.Database) {
    super(db);
  }

  protected override rolledBack(): void {
    super.rolledBack();
    this.samples?.discard();
    this.nodes.clear();
  }

  /** Open (creating the file and its folder) and bring the schema up to date. ":memory:" works for tests. */
  static open(path: string, opts: StoreOptions = {}): Store {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    const db = new Database(path);
    db.pragma("journal_mode = WAL");
    // FULL: a commit survives a power cut, which is what a PUBACK promises (docs/design.md guarantee 1)
    db.pragma("synchronous = " + (opts.synchronous ?? "FULL"));
    db.pragma("busy_timeout = 5000");
    // every batch adds a sample to each of its channels, and each channel's newest samples sit on their own b-tree
    // leaf: 16 MB of page cache (storage.cacheMB) keeps 4,000 such leaves of 4 KB, e.g. 100 nodes of 38 channels;
    // a leaf that falls out is read back from the OS's file cache, which the process's memory does not count (the
    // simulator's embedded gateway takes 64 MB for its speed). A checkpoint writes each page the WAL holds once,
    // however often it was committed. With 100 nodes of 38 channels (3,800 hot leaves) and a checkpoint every 4,000
    // pages, nearly every page a commit wrote was written again by the next checkpoint; every 16,000 pages (64 MB)
    // each hot leaf is committed several times per checkpoint (bench/sim.bench.ts' fleet: a quarter less system
    // time on the gateway's thread)
    db.pragma("cache_size = " + -Math.round((opts.cacheMB ?? 16) * 1024));
    // under FULL (a site's gateway) a worker thread checkpoints, every 16,000 pages too (checkpointer.ts): SQLite's
    // own checkpoint ran inside a commit on the gateway's thread, and every PUBACK waited for it
    const offThread = (opts.synchronous ?? "FULL") === "FULL" && path !== ":memory:";
    db.pragma("wal_autocheckpoint = " + (offThread ? 0 : autoCheckpointPages));
    // the WAL file goes back to this size when a checkpoint has emptied it
    db.pragma("journal_size_limit = 67108864");
    db.pragma("foreign_keys = ON");
    const store = new Store(db);
    store.migrate();
    if (offThread) {
      store.syncWalOffThread(path + "-wal");
      store.checkpointOffThread(path, "FULL", opts.checkpoint);
    }
    return store;
  }

  /** Apply the migrations not yet applied, each in its own transaction; returns the schema version. */
  migrate(): number {
    let version = this.db.pragma("user_version", { simple: true }) as number;
    for (const m of migrations) {
      if (m.version <= version) continue;
      this.db.transaction(() => {
        this.db.exec(m.sql);
        this.db.pragma("user_version = " + m.version);
      })();
      version = m.version;
    }
    return version;
  }

  get schemaVersion(): number {
    return this.db.pragma("user_version", { simple: true }) as number;
  }


  /** The node's row; the same object until the row changes (read it, do not change it). */
  getNode(site: string, node: string): NodeRow | undefined {
    const key = site + "\u0000" + node;
    let row = this.nodes.get(key);
    if (row === undefined) {
      row = (this.stmt("getNode", "SELECT * FROM nodes WHERE site=? AND node=?").get(site, node) as NodeRow | undefined) ?? null;
      this.nodes.set(key, row);
    }
    return row ?? undefined;
  }

  /** The cached row of a node (when read already), to be updated along with the table. */
  private cachedNode(site: string, node: string): NodeRow | null | undefined {
    return this.nodes.get(site + "\u0000" + node);
  }

  listNodes(): NodeRow[] {
    return this.stmt("listNodes", "SELECT * FROM nodes ORDER BY site, node").all() as NodeRow[];
  }

  /** A birth: the node's identity and its channel table (which replaces the previous one). */
  saveBirth(site: string, node: string, birth: BirthPayload, now: number): void {
    this.stmt(
      "saveBirth",
      `INSERT INTO nodes(site,node,first_seen,last_seen,online,fw,board,boot,birth_json,clock_synced,backlog)
       VALUES(@site,@node,@now,@now,1,@fw,@board,@boot,@json,@clk,0)
       ON CONFLICT(site,node) DO UPDATE SET last_seen=@now, online=1, fw=@fw, board=@board, boot=@boot,
         birth_json=@json, clock_synced=@clk`,
    ).run({ site, node, now, fw: birth.fw, board: birth.bd, boot: birth.boot, json: JSON.stringify(birth), clk: birth.clk === 1 ? 1 : 0 });
    this.nodes.delete(site + "\u0000" + node); // read again on the next getNode
    this.stmt("delChannels", "DELETE FROM channels WHERE site=? AND node=?").run(site, node);
    const ins = this.stmt("insChannel", "INSERT INTO channels(site,node,channel_id,key,agg,scale) VALUES(?,?,?,?,?,?)");
    for (const c of birth.ch) ins.run(site, node, c[0], c[1], c[2], c[3]);
  }

  /**
   * A batch and its samples. Returns the number of rows stored, or -1 when (site, node, boot, seq) is already
   * stored (a duplicate: nothing is written). A sample already stored at the same (channel, ts) is kept. With
   * `keep`, only the rows k with keep[k] are stored (the rest of a merged batch is stored already); t0 and rows
   * then describe the stored rows.
   */
  storeBatch(meta: BatchMeta, channelIds: ArrayLike<number>, scales: ArrayLike<number>, rows: (number | null)[][], quality: string[], keep?: boolean[], written?: WrittenBatch): number {
    const step = meta.intervalS * 1000;
    let first = 0;
    let last = rows.length - 1;
    if (keep) {
      while (first <= last && !keep[first]) first++;
      while (last >= first && !keep[last]) last--;
    }
    const span = last - first + 1;
    const res = this.stmt(
      "insBatch",
      `INSERT OR IGNORE INTO batches(site,node,boot,seq,seq_last,received_at,t0,interval_s,rows,historical,merged,time_estimated)
       VALUES(?,?,?,?,?,?,?,?,?,?,?,?)`,
    ).run(
      meta.site,
      meta.node,
      meta.boot,
      meta.seq,
      meta.seqLast ?? meta.seq,
      meta.receivedAt,
      Math.round(meta.t0 + Math.max(first, 0) * step),
      meta.intervalS,
      Math.max(span, 0),
      meta.historical ? 1 : 0,
      meta.merged,
      meta.timeEstimated ? 1 : 0,
    );
    if (res.changes === 0) return -1;
    if (meta.seqLast !== undefined && meta.seqLast > meta.seq) this.maxSpan("batches", meta.site, meta.node, meta.boot, meta.seqLast - meta.seq);
    this.raiseTop(meta.site, meta.node, meta.boot, meta.seqLast ?? meta.seq);
    const ins = (this.samples ??= new SampleWriter(this.db));
    let stored = 0;
    for (let k = first; k <= last; k++) {
      if (keep && !keep[k]) continue;
      const ts = Math.round(meta.t0 + k * step);
      const row = rows[k];
      const q = meta.estimated ? atBestEstimated(quality[k]) : quality[k];
      const values = written ? new Array<number | null>(channelIds.length) : undefined;
      for (let j = 0; j < channelIds.length; j++) {
        const raw = row[j];
        const v = raw === null ? null : raw / Math.pow(10, scales[j]);
        if (values) values[j] = v;
        ins.add(meta.site, meta.node, channelIds[j], ts, v, q[j]);
      }
      written?.rows.push({ ts, values: values!, quality: q });
      stored++;
    }
    ins.flush();
    return stored;
  }

  /**
   * The stored batches of one boot that cover any seq of from..to (a merged batch covers seq..seq_last). Bounded by
   * the widest batch of that boot (`maxSpan`), so the lookup reads a few keys, not the boot's whole history.
   */
  storedSeqSpans(site: string, node: string, boot: number, from: number, to: number): SeqSpan[] {
    if (from > this.top(site, node, boot)) return [];
    const w = this.maxSpan("batches", site, node, boot);
    return this.stmt(
      "storedSeqs",
      "SELECT seq, coalesce(seq_last,seq) AS seq_last, merged FROM batches WHERE site=? AND node=? AND boot=? AND seq BETWEEN ? AND ? AND coalesce(seq_last,seq)>=? ORDER BY seq",
    ).all(site, node, boot, from - w, to, from) as SeqSpan[];
  }

  /** The highest seq_last of a boot's stored batches (-1 when none): read once, then raised by every insert. */
  private top(site: string, node: string, boot: number): number {
    const key = site + "\u0000" + node + "\u0000" + boot;
    let top = this.tops.get(key);
    if (top === undefined) {
      const sql = "SELECT coalesce(max(coalesce(seq_last,seq)),-1) AS m FROM batches WHERE site=? AND node=? AND boot=?";
      top = (this.stmt("topSeq", sql).get(site, node, boot) as { m: number }).m;
      this.tops.set(key, top);
    }
    return top;
  }

  /** A rolled-back insert can leave the top too high, which only costs a lookup. */
  private raiseTop(site: string, node: string, boot: number, seqLast: number): void {
    if (seqLast > this.top(site, node, boot)) this.tops.set(site + "\u0000" + node + "\u0000" + boot, seqLast);
  }

  /** The time the node's stored batches cover within [from, to) ms (any boot: samples are keyed by time). */
  storedTimeSpans(site: string, node: string, from: number, to: number): TimeSpan[] {
    return this.stmt(
      "storedTimes",
      `SELECT t0 AS "from", t0 + rows * interval_s * 1000 AS "to" FROM batches
       WHERE site=? AND node=? AND t0<? AND t0 + rows * interval_s * 1000 > ? AND rows > 0 ORDER BY t0`,
    ).all(site, node, to, from) as TimeSpan[];
  }

  hasBatch(site: string, node: string, boot: number, seq: number): boolean {
    return !!this.stmt("hasBatch", "SELECT 1 FROM batches WHERE site=? AND node=? AND boot=? AND seq=?").get(site, node, boot, seq);
  }

  insertEvent(site: string, node: string, ts: number, code: string, detail: string | null): number {
    return Number(this.stmt("insEvent", "INSERT INTO events(site,node,ts,code,detail) VALUES(?,?,?,?,?)").run(site, node, ts, code, detail).lastInsertRowid);
  }

  setOnline(site: string, node: string, online: boolean, now: number): void {
    this.stmt("setOnline", "UPDATE nodes SET online=?, last_seen=max(coalesce(last_seen,0),?) WHERE site=? AND node=?").run(online ? 1 : 0, now, site, node);
    const n = this.cachedNode(site, node);
    if (n) {
      n.online = online ? 1 : 0;
      n.last_seen = Math.max(n.last_seen ?? 0, now);
    }
  }

  /** Any message from the node; intervalS when a live batch tells the report interval. */
  /** The node's network link signal (dBm), from its birth or its evt "link"; a value outside -127..0 is ignored. */
  setLinkRssi(site: string, node: string, rssi: unknown): void {
    if (typeof rssi !== "number" || !Number.isInteger(rssi) || rssi < -127 || rssi > 0) return;
    this.stmt("linkRssi", "UPDATE nodes SET link_rssi=? WHERE site=? AND node=?").run(rssi, site, node);
    const n = this.cachedNode(site, node);
    if (n) n.link_rssi = rssi;
  }

  touch(site: string, node: string, now: number, intervalS?: number): void {
    if (intervalS !== undefined)
      this.stmt("touchI", "UPDATE nodes SET last_seen=max(coalesce(last_seen,0),?), stale=0, interval_s=? WHERE site=? AND node=?").run(now, intervalS, site, node);
    else this.stmt("touch", "UPDATE nodes SET last_seen=max(coalesce(last_seen,0),?) WHERE site=? AND node=?").run(now, site, node);
    const n = this.cachedNode(site, node);
    if (n) {
      n.last_seen = Math.max(n.last_seen ?? 0, now);
      if (intervalS !== undefined) {
        n.stale = 0;
        n.interval_s = intervalS;
      }
    }
  }

  setStale(site: string, node: string, stale: boolean): void {
    this.stmt("setStale", "UPDATE nodes SET stale=? WHERE site=? AND node=?").run(stale ? 1 : 0, site, node);
    const n = this.cachedNode(site, node);
    if (n) n.stale = stale ? 1 : 0;
  }

  setClockSynced(site: string, node: string, synced: boolean): void {
    this.stmt("setClk", "UPDATE nodes SET clock_synced=? WHERE site=? AND node=?").run(synced ? 1 : 0, site, node);
    const n = this.cachedNode(site, node);
    if (n) n.clock_synced = synced ? 1 : 0;
  }

  insertCommand(c: { id: string; site: string; node: string; name: string; args: unknown; createdAt: number; expiresAt: number }): void {
    this.stmt("insCmd", "INSERT OR IGNORE INTO commands(id,site,node,name,args,created_at,expires_at) VALUES(?,?,?,?,?,?,?)").run(
      c.id,
      c.site,
      c.node,
      c.name,
      JSON.stringify(c.args ?? null),
      c.createdAt,
      c.expiresAt,
    );
  }

  /** The node's answer to a command (the first answer counts). False when no such command is waiting. */
  ackCommand(site: string, node: string, id: string, ok: boolean, result: unknown, now: number): boolean {
    return (
      this.stmt("ackCmd", "UPDATE commands SET acked_at=?, ok=?, result=? WHERE id=? AND site=? AND node=? AND acked_at IS NULL").run(
        now,
        ok ? 1 : 0,
        result === undefined ? null : JSON.stringify(result),
        id,
        site,
        node,
      ).changes > 0
    );
  }
}
