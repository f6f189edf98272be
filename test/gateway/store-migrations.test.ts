// The store's schema migrations: a database made by an earlier version is brought up to date in place, keeping its
// data; the copy of batches_by_time that earlier API versions created is dropped.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { Store } from "../../gateway/storage/store";
import { migrations } from "../../gateway/storage/migrations";
import { ensureApiIndexes } from "../../gateway/storage/db";

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
});
