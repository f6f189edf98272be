// The central database: plain PostgreSQL tables, and a TimescaleDB hypertable for samples when the extension is
// available (batches stay a plain table: its key (site, node, boot, seq), the dedup key, has no time column).
// mgc/v2 adds batches.state (what a later message of the node may be written against), channel_tables (the tables
// those states follow, by hash) and pending_messages (messages whose reference has not arrived yet): central/columns.ts. Created at start by whichever ingest instance gets there first (an advisory lock keeps
// two instances from racing on CREATE TABLE).
import type pg from "pg";

const lockId = 7_270_001;

export const tablesSql = `
CREATE TABLE IF NOT EXISTS nodes(site TEXT NOT NULL, node TEXT NOT NULL, first_seen TIMESTAMPTZ NOT NULL DEFAULT now(),
  last_seen TIMESTAMPTZ, online BOOLEAN, fw TEXT, board TEXT, boot BIGINT, PRIMARY KEY(site, node));
CREATE TABLE IF NOT EXISTS channels(site TEXT NOT NULL, node TEXT NOT NULL, channel_id INT NOT NULL, key TEXT, agg TEXT,
  scale INT NOT NULL, PRIMARY KEY(site, node, channel_id));
CREATE TABLE IF NOT EXISTS batches(site TEXT NOT NULL, node TEXT NOT NULL, boot BIGINT NOT NULL, seq BIGINT NOT NULL,
  t0 TIMESTAMPTZ NOT NULL, interval_s REAL NOT NULL, rows INT NOT NULL, historical BOOLEAN NOT NULL, merged INT NOT NULL,
  received_at TIMESTAMPTZ NOT NULL DEFAULT now(), ingest TEXT, PRIMARY KEY(site, node, boot, seq));
CREATE TABLE IF NOT EXISTS samples(site TEXT NOT NULL, node TEXT NOT NULL, channel_id INT NOT NULL, ts TIMESTAMPTZ NOT NULL,
  value DOUBLE PRECISION, quality CHAR(1) NOT NULL, PRIMARY KEY(site, node, channel_id, ts));
CREATE TABLE IF NOT EXISTS node_states(site TEXT NOT NULL, node TEXT NOT NULL, ts TIMESTAMPTZ NOT NULL, online BOOLEAN NOT NULL,
  reason TEXT, PRIMARY KEY(site, node, ts, online));
CREATE TABLE IF NOT EXISTS alarms(site TEXT NOT NULL, node TEXT NOT NULL, id BIGINT NOT NULL, rule TEXT, severity TEXT,
  state TEXT, raised_at TIMESTAMPTZ, cleared_at TIMESTAMPTZ, acked_at TIMESTAMPTZ, message TEXT, value DOUBLE PRECISION,
  PRIMARY KEY(site, id));
ALTER TABLE batches ADD COLUMN IF NOT EXISTS state TEXT;
CREATE TABLE IF NOT EXISTS channel_tables(site TEXT NOT NULL, node TEXT NOT NULL, hash TEXT NOT NULL, c INT[] NOT NULL, x INT[] NOT NULL,
  PRIMARY KEY(site, node, hash));
CREATE TABLE IF NOT EXISTS pending_messages(id BIGSERIAL PRIMARY KEY, site TEXT NOT NULL, node TEXT NOT NULL, ref_boot BIGINT NOT NULL,
  ref_seq BIGINT NOT NULL, payload BYTEA NOT NULL, received_at TIMESTAMPTZ NOT NULL DEFAULT now());
CREATE INDEX IF NOT EXISTS pending_messages_ref ON pending_messages(site, node, ref_boot, ref_seq);
`;

/** Create what is missing; returns whether TimescaleDB hypertables are in use. */
export async function ensureSchema(db: pg.Pool | pg.Client): Promise<{ timescale: boolean }> {
  await db.query("SELECT pg_advisory_lock($1)", [lockId]);
  try {
    const avail = await db.query("SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'");
    let timescale = false;
    if (avail.rowCount) {
      try {
        await db.query("CREATE EXTENSION IF NOT EXISTS timescaledb");
        timescale = true;
      } catch {
        timescale = false; // e.g. not in shared_preload_libraries: plain tables work the same
      }
    }
    await db.query(tablesSql);
    if (timescale) {
      // the primary keys include the time column, as hypertables require
      await db.query("SELECT create_hypertable('samples', 'ts', chunk_time_interval => INTERVAL '7 days', if_not_exists => TRUE)");
    }
    return { timescale };
  } finally {
    await db.query("SELECT pg_advisory_unlock($1)", [lockId]);
  }
}
