// The store's schema migrations: a database made by an earlier version is brought up to date in place, keeping its
// data; the copy of batches_by_time that earlier API versions created is dropped. docs/operator.md "Upgrades" tells
// an operator what an upgrade does to the database; every earlier version is opened here by a running gateway.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { Store } from "../../gateway/storage/store";
import { migrations } from "../../gateway/storage/migrations";
import { ensureApiIndexes } from "../../gateway/storage/db";
import { Gateway } from "../../gateway/gateway";
import { batch, birth, nodeClient, T0, tempDir, testConfig, topic, waitFor } from "./fixture";

const indexes = (db: Database.Database) =>
  (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'batches' AND sql IS NOT NULL ORDER BY name").all() as { name: string }[]).map((r) => r.name);

describe("store migrations", () => {
  it("a version-4 database with the API's old index and a batch is migrated to the latest version, the batch kept", () => {
    const path = join(mkdtempSync(join(tmpdir(), "minigrid-mig-")), "old.db");
    const old = new Database(path);
    for (const m of migrations.filter((x) => x.version <= 4)) old.exec(m.sql);
    old.pragma("user_version = 4");
    old.exec("CREATE INDEX batches_by_node_time ON batches(site, node, t0)");
    old.prepare("INSERT INTO batches(site,node,boot,seq,seq_last,t0,interval_s,rows) VALUES('s','n',1,7,7,1000,60,1)").run();
    expect(indexes(old)).toEqual(["batches_by_node_time", "batches_by_time"]);
    old.close();

    const store = Store.open(path);
    expect(store.schemaVersion).toBe(migrations[migrations.length - 1].version);
    expect(indexes(store.db)).toEqual(["batches_by_time"]);
    ensureApiIndexes(store.db); // the API no longer makes the copy
    expect(indexes(store.db)).toEqual(["batches_by_time"]);
    expect(store.db.prepare("SELECT seq FROM batches").all()).toEqual([{ seq: 7 }]);
    store.close();
  });

  const latest = migrations[migrations.length - 1].version;
  for (const from of migrations.map((m) => m.version).filter((v) => v < latest)) {
    it(`an upgrade from schema version ${from}: a gateway opens the database, migrates it with its data kept, and goes on storing`, async () => {
      const dir = tempDir("mg-upgrade-");
      const config = testConfig(dir);
      const old = new Database(config.storage.path);
      for (const m of migrations.filter((x) => x.version <= from)) old.exec(m.sql);
      old.pragma(`user_version = ${from}`);
      // what an older gateway had stored: a node, its channels, a batch and its samples, an open alarm, an event
      old.prepare("INSERT INTO nodes(site,node,first_seen,last_seen,online,fw,board,boot) VALUES('s1','n1',1,2,0,'0.9.0','pico',7)").run();
      for (const [id, key] of [[1, "battery_V"], [4, "battery_A"], [6, "battery_soc_pct"]] as const)
        old.prepare("INSERT INTO channels(site,node,channel_id,key,agg,scale) VALUES('s1','n1',?,?,'mean',3)").run(id, key);
      old.prepare("INSERT INTO batches(site,node,boot,seq,received_at,t0,interval_s,rows,historical,merged,time_estimated) VALUES('s1','n1',7,1,?,?,30,2,0,1,0)").run(T0 * 1000 + 60_000, T0 * 1000);
      if (from >= 4) old.exec("UPDATE batches SET seq_last = seq"); // what a gateway of version 4 wrote
      for (const [ch, v] of [[1, 12.8], [4, -1.5], [6, 80.5]] as const)
        old.prepare("INSERT INTO samples(site,node,channel_id,ts,value,quality) VALUES('s1','n1',?,?,?,'o')").run(ch, T0 * 1000, v);
      old.prepare("INSERT INTO alarms(site,node,rule,severity,raised_at,message,value) VALUES('s1','n1','soc_low','warning',?,'low',25)").run(T0 * 1000);
      old.prepare("INSERT INTO events(site,node,ts,code,detail) VALUES('s1','n1',?,'clock.synced','{}')").run(T0 * 1000);
      old.close();

      const gw = new Gateway(config);
      await gw.start();
      try {
        const db = gw.store!.db;
        expect(db.pragma("user_version", { simple: true })).toBe(latest);
        expect(db.prepare("SELECT seq, seq_last FROM batches").all()).toEqual([{ seq: 1, seq_last: 1 }]); // filled in by migration 4 when older
        expect(db.prepare("SELECT channel_id, value FROM samples ORDER BY channel_id").all()).toEqual([
          { channel_id: 1, value: 12.8 },
          { channel_id: 4, value: -1.5 },
          { channel_id: 6, value: 80.5 },
        ]);
        expect(db.prepare("SELECT rule, cleared_at FROM alarms").all()).toEqual([{ rule: "soc_low", cleared_at: null }]);
        expect(db.prepare("SELECT count(*) AS n FROM events").get()).toEqual({ n: 1 });
        expect(db.prepare("SELECT stale FROM nodes").get()).toEqual({ stale: 0 });
        // and it goes on: the node's next batches are stored beside the old one, a repeat of the old one is not
        const c = await nodeClient(gw.brokerUrl, "n1");
        await c.publishAsync(topic("n1", "birth"), JSON.stringify(birth()), { qos: 1, retain: true });
        await c.publishAsync(topic("n1", "t"), JSON.stringify(batch(1)), { qos: 1 });
        await c.publishAsync(topic("n1", "t"), JSON.stringify(batch(2)), { qos: 1 });
        c.end(true);
        await waitFor(() => (db.prepare("SELECT count(*) AS n FROM batches").get() as { n: number }).n === 2, 5000, "batch 2");
        expect(db.prepare("SELECT seq FROM batches ORDER BY seq").all()).toEqual([{ seq: 1 }, { seq: 2 }]);
      } finally {
        await gw.stop();
      }
    });
  }
});
