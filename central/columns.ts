// mgc/v2 batch messages into PostgreSQL (contracts/uplink-columns.ts; the rule in docs/central.md "The mgc/v2 batch
// format"). A message that carries its channel table decodes on its own; one written against an earlier batch of
// the node needs that batch's state, which every instance finds in PostgreSQL (batches.state, with the table in
// channel_tables), whichever instance stored it. When that batch has not arrived yet (it is on its way to another
// instance, or goes again after a dropped link), the message is kept in pending_messages, acknowledged, and written
// by the transaction that stores the batch it names. The transactions of one node take an advisory lock first, so
// of a message and its reference arriving at once, the later sees the earlier: nothing waits for ever.
import { createHash } from "node:crypto";
import type pg from "pg";
import { decodeColumns, openColumns, stateOf, type ChannelTable, type OpenedColumns, type RefState } from "../contracts/uplink-columns";
import type { CentralMessage } from "../contracts/uplink-wire";
import { storeBatches, type WriteResult } from "./write";

/** A state as batches.state keeps it: the table by its hash (channel_tables). */
interface StoredState {
  h: string;
  l: number;
  e: number;
  i: number;
  r: (number | null)[];
  q: string;
}

export function tableHash(t: ChannelTable): string {
  return createHash("sha256").update(JSON.stringify([t.c, t.x])).digest("hex").slice(0, 24);
}

/** Tables never change under their hash: kept in memory once read. */
const tables = new Map<string, ChannelTable>();

async function tableOf(db: pg.PoolClient, site: string, node: string, hash: string): Promise<ChannelTable | undefined> {
  const key = `${site}/${node}/${hash}`;
  const known = tables.get(key);
  if (known) return known;
  const r = await db.query({ name: "mg-table-get", text: "SELECT c, x FROM channel_tables WHERE site = $1 AND node = $2 AND hash = $3", values: [site, node, hash] });
  if (!r.rowCount) return undefined;
  const t = { c: r.rows[0].c as number[], x: r.rows[0].x as number[] };
  tables.set(key, t);
  return t;
}

/**
 * The states this instance stored last, per node (a state never changes under its batch's key, so a copy is as good
 * as the database's); with k instances about 1 in k messages finds its reference here.
 */
const recent = new Map<string, Map<string, RefState>>();
const RECENT_PER_NODE = 4;
function remember(site: string, node: string, s: RefState): void {
  const k = `${site}/${node}`;
  let m = recent.get(k);
  if (!m) {
    if (recent.size > 100_000) recent.clear();
    recent.set(k, (m = new Map()));
  }
  m.set(`${s.boot}/${s.seq}`, s);
  if (m.size > RECENT_PER_NODE) m.delete(m.keys().next().value!);
}

async function stateFor(db: pg.PoolClient, site: string, node: string, boot: number, seq: number): Promise<RefState | undefined> {
  const known = recent.get(`${site}/${node}`)?.get(`${boot}/${seq}`);
  if (known) return known;
  const r = await db.query({ name: "mg-state-get", text: "SELECT state FROM batches WHERE site = $1 AND node = $2 AND boot = $3 AND seq = $4", values: [site, node, boot, seq] });
  const text = r.rows[0]?.state as string | null | undefined;
  if (!text) return undefined;
  const s = JSON.parse(text) as StoredState;
  const table = await tableOf(db, site, node, s.h);
  if (!table) return undefined;
  return { boot, seq, last_seq: s.l, end_ms: s.e, interval_ms: s.i, row: s.r, q: s.q, table };
}

function stored(s: RefState, hash: string): string {
  const v: StoredState = { h: hash, l: s.last_seq, e: s.end_ms, i: s.interval_ms, r: s.row, q: s.q };
  return JSON.stringify(v);
}

/** After the commit: the last state of each message written is this instance's to reuse. */
export function committed(r: WriteResult): void {
  for (const x of r.states ?? []) remember(x.site, x.node, x.s);
  r.states = undefined;
}

export async function writeColumns(db: pg.PoolClient, m: CentralMessage, raw: Buffer, ingestId: string, r: WriteResult): Promise<void> {
  // one node's v2 transactions one after another (released at COMMIT or ROLLBACK)
  await db.query({ name: "mg-node-lock", text: "SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))", values: [m.site, m.node] });
  let written = await writeOne(db, m.site, m.node, m.columns!, raw, ingestId, r);
  // messages that waited for a batch stored now, and those that waited for them
  while (written.length) {
    const held = await db.query({
      name: "mg-pending-take",
      text: `DELETE FROM pending_messages WHERE site = $1 AND node = $2 AND (ref_boot, ref_seq) IN (SELECT * FROM unnest($3::bigint[], $4::bigint[]))
        RETURNING payload`,
      values: [m.site, m.node, written.map((k) => k[0]), written.map((k) => k[1])],
    });
    written = [];
    for (const row of held.rows as { payload: Buffer }[]) {
      r.released++;
      let opened: OpenedColumns;
      try {
        opened = openColumns(row.payload);
      } catch {
        r.malformed++;
        continue;
      }
      written.push(...(await writeOne(db, m.site, m.node, opened, row.payload, ingestId, r)));
    }
  }
}

/** Decode and store one message, or keep it when its reference is not stored yet; the batch keys it stored. */
async function writeOne(db: pg.PoolClient, site: string, node: string, o: OpenedColumns, raw: Buffer, ingestId: string, r: WriteResult): Promise<[number, number][]> {
  let ref: RefState | undefined;
  if (o.ref) {
    ref = await stateFor(db, site, node, o.ref.boot, o.ref.seq);
    if (!ref) {
      await db.query({
        name: "mg-pending-put",
        text: "INSERT INTO pending_messages(site, node, ref_boot, ref_seq, payload) VALUES($1, $2, $3, $4, $5)",
        values: [site, node, o.ref.boot, o.ref.seq, raw],
      });
      r.held++;
      return [];
    }
  }
  let d: ReturnType<typeof decodeColumns>;
  try {
    d = decodeColumns(o, ref);
  } catch {
    r.malformed++;
    return [];
  }
  const hash = tableHash(d.table);
  if (o.table) {
    await db.query({
      name: "mg-table-put",
      text: "INSERT INTO channel_tables(site, node, hash, c, x) VALUES($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
      values: [site, node, hash, d.table.c, d.table.x],
    });
  }
  const states = d.items.map((b) => stateOf(d.table, b));
  await storeBatches(db, site, node, d.table.c, d.table.x, d.items, ingestId, r, states.map((s) => stored(s, hash)));
  // kept in memory only once the transaction commits: see writeColumns' caller
  r.states = (r.states ?? []).concat(states.slice(-1).map((s) => ({ site, node, s })));
  return d.items.map((b) => [b.b, b.s]);
}
