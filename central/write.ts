// One central message into PostgreSQL, in one transaction: batches are deduplicated by (site, node, boot, seq)
// (INSERT ... ON CONFLICT: of two ingest instances writing the same batch, the second waits for the first's commit
// and then writes no samples), the batches of a message go in with one INSERT and their samples with one more, both
// over unnest() arrays, as prepared statements. mgc/v2 messages (columns.ts) are decoded here, where the state they
// name is found.
import type pg from "pg";
import { isBatchItem, type AlarmItem, type BatchItem, type BirthItem, type CentralMessage, type StateItem } from "../contracts/uplink-wire";
import type { RefState } from "../contracts/uplink-columns";
import { committed, writeColumns } from "./columns";

export interface WriteResult {
  batches: number;
  duplicates: number;
  rejected: number;
  /** mgc/v2 messages kept until the batch they are written against arrives, and such messages written now. */
  held: number;
  released: number;
  /** mgc/v2 messages that could not be decoded against their state (counted, not stored). */
  malformed: number;
  /** mgc/v2 states written in the transaction, kept in memory after its commit (columns.ts). */
  states?: { site: string; node: string; s: RefState }[];
}

export async function writeMessage(db: pg.PoolClient, m: CentralMessage, ingestId: string, raw?: Buffer): Promise<WriteResult> {
  const r: WriteResult = { batches: 0, duplicates: 0, rejected: 0, held: 0, released: 0, malformed: 0 };
  await db.query("BEGIN");
  try {
    await db.query({
      name: "mg-node-seen",
      text: "INSERT INTO nodes(site, node, last_seen) VALUES($1, $2, now()) ON CONFLICT(site, node) DO UPDATE SET last_seen = GREATEST(nodes.last_seen, now())",
      values: [m.site, m.node],
    });
    if (m.columns) await writeColumns(db, m, raw!, ingestId, r);
    else if (m.kind === "t") await writeBatches(db, m, ingestId, r);
    else if (m.kind === "b") await writeBirths(db, m, r);
    else if (m.kind === "s") await writeStates(db, m, r);
    else await writeAlarms(db, m, r);
    await db.query("COMMIT");
    committed(r);
  } catch (e) {
    await db.query("ROLLBACK").catch(() => undefined);
    throw e;
  }
  return r;
}

async function writeBatches(db: pg.PoolClient, m: CentralMessage, ingestId: string, r: WriteResult): Promise<void> {
  const good: BatchItem[] = [];
  for (const it of m.items) {
    if (isBatchItem(it, m.c!.length)) good.push(it);
    else r.rejected++;
  }
  await storeBatches(db, m.site, m.node, m.c!, m.x!, good, ingestId, r);
}

/**
 * Batches of one node that follow channel table (c, x): the new ones with their samples; `states` (mgc/v2) is kept
 * with each batch, also with one stored before without it.
 */
export async function storeBatches(
  db: pg.PoolClient,
  site: string,
  node: string,
  c: number[],
  x: number[],
  items: BatchItem[],
  ingestId: string,
  r: WriteResult,
  states?: string[],
): Promise<void> {
  if (!items.length) return;
  // channels the rows follow; keys come with the birth (which may arrive later)
  await db.query({
    name: "mg-channels",
    text: "INSERT INTO channels(site, node, channel_id, scale) SELECT $1, $2, * FROM unnest($3::int[], $4::int[]) ON CONFLICT DO NOTHING",
    values: [site, node, c, x],
  });
  const ins = await db.query({
    name: "mg-batches",
    text: `INSERT INTO batches(site, node, boot, seq, t0, interval_s, rows, historical, merged, ingest, state)
       SELECT $1, $2, u.b, u.s, to_timestamp(u.t), u.i, u.n, u.h, u.m, $3, u.st
       FROM unnest($4::bigint[], $5::bigint[], $6::float8[], $7::real[], $8::int[], $9::bool[], $10::int[], $11::text[]) AS u(b, s, t, i, n, h, m, st)
       ON CONFLICT(site, node, boot, seq) DO UPDATE SET state = excluded.state WHERE batches.state IS NULL AND excluded.state IS NOT NULL
       RETURNING boot, seq, (xmax = 0) AS fresh`,
    values: [
      site,
      node,
      ingestId,
      items.map((b) => b.b),
      items.map((b) => b.s),
      items.map((b) => b.t),
      items.map((b) => b.i),
      items.map((b) => b.r.length),
      items.map((b) => b.h === 1),
      items.map((b) => b.m ?? 1),
      states ?? items.map(() => null),
    ],
  });
  const fresh = new Set<string>();
  for (const row of ins.rows as { boot: string; seq: string; fresh: boolean }[]) if (row.fresh) fresh.add(`${row.boot}/${row.seq}`);
  const ch: number[] = [];
  const ts: number[] = [];
  const val: (number | null)[] = [];
  const qual: string[] = [];
  const div = x.map((s) => Math.pow(10, s));
  for (const b of items) {
    if (!fresh.has(`${b.b}/${b.s}`)) {
      r.duplicates++;
      continue;
    }
    fresh.delete(`${b.b}/${b.s}`); // the same batch twice in one message is stored once
    r.batches++;
    for (let k = 0; k < b.r.length; k++) {
      const t = Math.round((b.t + k * b.i) * 1000);
      const row = b.r[k];
      const q = b.q ? b.q[k] : "";
      for (let j = 0; j < c.length; j++) {
        ch.push(c[j]);
        ts.push(t);
        val.push(row[j] === null ? null : row[j]! / div[j]);
        qual.push(q[j] ?? "o");
      }
    }
  }
  if (ch.length)
    await db.query({
      name: "mg-samples",
      text: `INSERT INTO samples(site, node, channel_id, ts, value, quality)
       SELECT $1, $2, u.c, to_timestamp(u.t / 1000.0), u.v, u.q FROM unnest($3::int[], $4::float8[], $5::float8[], $6::text[]) AS u(c, t, v, q)
       ON CONFLICT DO NOTHING`,
      values: [site, node, ch, ts, val, qual],
    });
}

async function writeBirths(db: pg.PoolClient, m: CentralMessage, r: WriteResult): Promise<void> {
  for (const it of m.items as BirthItem[]) {
    if (!it || !Array.isArray(it.ch) || typeof it.boot !== "number") {
      r.rejected++;
      continue;
    }
    await db.query("UPDATE nodes SET fw = $3, board = $4, boot = $5 WHERE site = $1 AND node = $2", [m.site, m.node, it.fw, it.bd, it.boot]);
    for (const [id, key, agg, scale] of it.ch)
      await db.query(
        `INSERT INTO channels(site, node, channel_id, key, agg, scale) VALUES($1, $2, $3, $4, $5, $6)
         ON CONFLICT(site, node, channel_id) DO UPDATE SET key = excluded.key, agg = excluded.agg, scale = excluded.scale`,
        [m.site, m.node, id, key, agg, scale],
      );
  }
}

async function writeStates(db: pg.PoolClient, m: CentralMessage, r: WriteResult): Promise<void> {
  for (const it of m.items as StateItem[]) {
    if (!it || typeof it.t !== "number") {
      r.rejected++;
      continue;
    }
    const ins = await db.query("INSERT INTO node_states(site, node, ts, online, reason) VALUES($1, $2, to_timestamp($3 / 1000.0), $4, $5) ON CONFLICT DO NOTHING", [
      m.site,
      m.node,
      it.t,
      it.on === 1,
      it.r,
    ]);
    if (ins.rowCount)
      await db.query(
        `UPDATE nodes SET online = (SELECT online FROM node_states WHERE site = $1 AND node = $2 ORDER BY ts DESC LIMIT 1) WHERE site = $1 AND node = $2`,
        [m.site, m.node],
      );
  }
}

async function writeAlarms(db: pg.PoolClient, m: CentralMessage, r: WriteResult): Promise<void> {
  for (const a of m.items as AlarmItem[]) {
    if (!a || typeof a.id !== "number" || typeof a.t !== "number") {
      r.rejected++;
      continue;
    }
    const col = a.st === "raised" ? "raised_at" : a.st === "cleared" ? "cleared_at" : "acked_at";
    await db.query(
      `INSERT INTO alarms(site, node, id, rule, severity, state, ${col}, message, value) VALUES($1, $2, $3, $4, $5, $6, to_timestamp($7 / 1000.0), $8, $9)
       ON CONFLICT(site, id) DO UPDATE SET ${col} = excluded.${col}, state = CASE WHEN alarms.state = 'cleared' THEN alarms.state ELSE excluded.state END`,
      [m.site, m.node, a.id, a.rule, a.sev, a.st, a.t, a.msg, a.val],
    );
  }
}
