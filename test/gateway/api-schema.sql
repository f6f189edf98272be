-- The gateway store's schema (times Unix ms), as the core creates it: the tests of alarms, commands and the API
-- build a database from this file.
CREATE TABLE IF NOT EXISTS nodes (site TEXT NOT NULL, node TEXT NOT NULL, first_seen INTEGER, last_seen INTEGER,
  online INTEGER, fw TEXT, board TEXT, boot INTEGER, birth_json TEXT, clock_synced INTEGER, backlog INTEGER,
  link_rssi INTEGER, PRIMARY KEY (site, node));
CREATE TABLE IF NOT EXISTS channels (site TEXT NOT NULL, node TEXT NOT NULL, channel_id INTEGER NOT NULL, key TEXT,
  agg TEXT, scale INTEGER, PRIMARY KEY (site, node, channel_id));
CREATE TABLE IF NOT EXISTS batches (site TEXT NOT NULL, node TEXT NOT NULL, boot INTEGER NOT NULL, seq INTEGER NOT NULL,
  received_at INTEGER, t0 INTEGER, interval_s REAL, rows INTEGER, historical INTEGER, merged INTEGER,
  time_estimated INTEGER, PRIMARY KEY (site, node, boot, seq));
CREATE TABLE IF NOT EXISTS samples (site TEXT NOT NULL, node TEXT NOT NULL, channel_id INTEGER NOT NULL,
  ts INTEGER NOT NULL, value REAL, quality TEXT NOT NULL, PRIMARY KEY (site, node, channel_id, ts)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, site TEXT, node TEXT, ts INTEGER, code TEXT, detail TEXT);
CREATE TABLE IF NOT EXISTS alarms (id INTEGER PRIMARY KEY, site TEXT NOT NULL, node TEXT NOT NULL, rule TEXT NOT NULL,
  severity TEXT NOT NULL, raised_at INTEGER NOT NULL, cleared_at INTEGER, acked_at INTEGER, acked_by TEXT,
  message TEXT, value REAL);
CREATE TABLE IF NOT EXISTS commands (id TEXT PRIMARY KEY, site TEXT NOT NULL, node TEXT NOT NULL, name TEXT NOT NULL,
  args TEXT, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, acked_at INTEGER, ok INTEGER, result TEXT);
CREATE TABLE IF NOT EXISTS desired_config (site TEXT NOT NULL, node TEXT NOT NULL, config TEXT NOT NULL,
  updated_at INTEGER NOT NULL, PRIMARY KEY (site, node));
