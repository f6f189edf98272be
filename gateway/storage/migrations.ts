// The store's schema as numbered migrations (PRAGMA user_version holds the last one applied). Never edit a
// migration that has shipped: add the next one. Times are Unix ms unless the name ends in _s.

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const migrations: Migration[] = [
  {
    version: 1,
    name: "nodes, channels, batches, samples, pending batches, events, alarms, commands, desired config",
    sql: `
CREATE TABLE nodes(site TEXT NOT NULL, node TEXT NOT NULL, first_seen INT, last_seen INT, online INT, fw TEXT, board TEXT,
  boot INT, birth_json TEXT, clock_synced INT, backlog INT, link_rssi INT NULL, PRIMARY KEY(site,node));
CREATE TABLE channels(site TEXT NOT NULL, node TEXT NOT NULL, channel_id INT NOT NULL, key TEXT, agg TEXT, scale INT,
  PRIMARY KEY(site,node,channel_id));
CREATE TABLE batches(site TEXT NOT NULL, node TEXT NOT NULL, boot INT NOT NULL, seq INT NOT NULL, received_at INT, t0 INT,
  interval_s REAL, rows INT, historical INT, merged INT, time_estimated INT, PRIMARY KEY(site,node,boot,seq));
CREATE TABLE samples(site TEXT NOT NULL, node TEXT NOT NULL, channel_id INT NOT NULL, ts INT NOT NULL, value REAL NULL,
  quality TEXT, PRIMARY KEY(site,node,channel_id,ts)) WITHOUT ROWID;
CREATE TABLE pending_batches(site TEXT NOT NULL, node TEXT NOT NULL, boot INT NOT NULL, seq INT NOT NULL, received_at INT,
  payload TEXT, PRIMARY KEY(site,node,boot,seq));
CREATE TABLE events(id INTEGER PRIMARY KEY, site TEXT, node TEXT, ts INT, code TEXT, detail TEXT);
CREATE INDEX events_by_node_time ON events(site,node,ts);
CREATE TABLE alarms(id INTEGER PRIMARY KEY, site TEXT, node TEXT, rule TEXT, severity TEXT, raised_at INT,
  cleared_at INT NULL, acked_at INT NULL, acked_by TEXT NULL, message TEXT, value REAL NULL);
CREATE INDEX alarms_open ON alarms(site,node,rule,cleared_at);
CREATE TABLE commands(id TEXT PRIMARY KEY, site TEXT, node TEXT, name TEXT, args TEXT, created_at INT, expires_at INT,
  acked_at INT NULL, ok INT NULL, result TEXT NULL);
CREATE INDEX commands_by_node ON commands(site,node,created_at);
CREATE TABLE desired_config(site TEXT NOT NULL, node TEXT NOT NULL, config TEXT, updated_at INT, PRIMARY KEY(site,node));
`,
  },
  {
    version: 2,
    name: "clock offsets per boot (re-anchoring of uptime batches) and the stale-data flag",
    sql: `
CREATE TABLE clock_offsets(site TEXT NOT NULL, node TEXT NOT NULL, boot INT NOT NULL, offset_ms INT NOT NULL,
  source TEXT NOT NULL, updated_at INT, PRIMARY KEY(site,node,boot));
ALTER TABLE nodes ADD COLUMN stale INT NOT NULL DEFAULT 0;
ALTER TABLE nodes ADD COLUMN interval_s REAL NULL;
`,
  },
  {
    version: 3,
    name: "uplink: the outbox of messages for the central broker, and the bytes the uplink spent per day and month",
    sql: `
CREATE TABLE uplink_outbox(id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, site TEXT NOT NULL, node TEXT NOT NULL,
  item_key TEXT NOT NULL UNIQUE, created_at INT NOT NULL, body TEXT NOT NULL);
CREATE INDEX uplink_outbox_by_group ON uplink_outbox(site,node,kind,id);
CREATE INDEX uplink_outbox_by_age ON uplink_outbox(created_at);
CREATE TABLE uplink_usage(period TEXT PRIMARY KEY, bytes INT NOT NULL, alarmed INT NOT NULL DEFAULT 0);
`,
  },
  {
    version: 4,
    name: "merged batches: the last seq a batch covers (s..seq_last), kept or pending; batches by time",
    sql: `
ALTER TABLE batches ADD COLUMN seq_last INT;
UPDATE batches SET seq_last = seq;
ALTER TABLE pending_batches ADD COLUMN seq_last INT;
UPDATE pending_batches SET seq_last = seq;
CREATE INDEX batches_by_time ON batches(site,node,t0);
`,
  },
  {
    version: 5,
    name: "drop batches_by_node_time, a copy of batches_by_time that earlier API versions made (one more insert per batch)",
    sql: `
DROP INDEX IF EXISTS batches_by_node_time;
`,
  },
];
