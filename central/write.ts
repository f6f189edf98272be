// One central message into PostgreSQL, in one transaction: batches are deduplicated by (site, node, boot, seq)
// (INSERT ... ON CONFLICT DO NOTHING: of two ingest instances writing the same batch, the second waits for the
// first's commit and then writes nothing), samples of new batches go in with one INSERT over unnest() arrays.
import type pg from "pg";
import { isBatchItem, type AlarmItem, type BatchItem, type BirthItem, type CentralMessage, type StateItem } from "../contracts/uplink-wire";

export interface WriteResult {
  batches: number;
  duplicates: number;
  rejected: number;
}

export async function writeMessage(db: pg.PoolClient, m: CentralMessage, ingestId: string): Promise<WriteResult> {
  const r: WriteResult = { batches: 0, duplicates: 0, rejected: 0 };
  await db.query("BEGIN");
  try {
    await db.query(
      "INSERT INTO nodes(site, node, last_seen) VALUES($1, $2, now()) ON CONFLICT(site, node) DO UPDATE SET last_seen = GREATEST(nodes.last_seen, now())",
      [m.site, m.node],
    );
    if (m.kind === "t") await writeBatches(db, m, ingestId, r);
    else if (m.kind === "b") await writeBirths(db, m, r);
    else if (m.kind === "s") await writeStates(db, m, r);
    else await writeAlarms(db, m, r);
    await db.query("COMMIT");
  } catch (e) {
    await db.query("ROLLBACK").catch(() => undefined);
    throw e;
  }
  return r;
}

async function writeBatches(db: pg.PoolClient, m: CentralMessage, ingestId: string, r: WriteResult): Promise<void> {
  const c = m.c!;
  const x = m.x!;
  // channels the rows follow; keys come with the birth (which may arrive later)
  await db.query(
    "INSERT INTO channels(site, node, channel_id, scale) SELECT $1, $2, * FROM unnest($3::int[], $4::int[]) ON CONFLICT DO NOTHING",
    [m.site, m.node, c, x],
  );
  const ch: number[] = [];
  const ts: number[] = [];
  const val: (number | null)[] = [];
  const qual: string[] = [];
  const div = x.map((s) => Math.pow(10, s));
  for (const it of m.items) {
    if (!isBatchItem(it, c.length)) {
      r.rejected++;
      continue;
    }
    const b = it as BatchItem;
    const ins = await db.query(
      `INSERT INTO batches(site, node, boot, seq, t0, interval_s, rows, historical, merged, ingest)
       VALUES($1, $2, $3, $4, to_timestamp($5), $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING`,
      [m.site, m.node, b.b, b.s, b.t, b.i, b.r.length, b.h === 1, b.m ?? 1, ingestId],
    );
    if (ins.rowCount === 0) {
      r.duplicates++;
      continue;
    }
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
    await db.query(
      `INSERT INTO samples(site, node, channel_id, ts, value, quality)
       SELECT $1, $2, u.c, to_timestamp(u.t / 1000.0), u.v, u.q FROM unnest($3::int[], $4::float8[], $5::float8[], $6::text[]) AS u(c, t, v, q)
       ON CONFLICT DO NOTHING`,
      [m.site, m.node, ch, ts, val, qual],
    );
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
