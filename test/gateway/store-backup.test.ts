// Backup and restore as docs/operator.md tells an operator to do them: `sqlite3 minigrid.db ".backup copy.db"` while
// the gateway runs and nodes publish (SQLite's online backup: a consistent copy of the WAL database), then the
// gateway stopped, the copy put in place of the database, and the gateway started on it: every batch the backup
// held is there, a node's repeat of one of them is stored once, and new batches are stored.
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { expect } from "vitest";
import { Gateway } from "../../gateway/gateway";
import { migrations } from "../../gateway/storage/migrations";
import { needs } from "../helpers/prerequisites";
import { batch, birth, nodeClient, tempDir, testConfig, topic, waitFor } from "./fixture";

const count = (g: Gateway) => (g.store!.db.prepare("SELECT count(*) AS n FROM batches").get() as { n: number }).n;

needs("sqlite3").describe("gateway backup and restore", () => {
  const { it } = needs("sqlite3");
  it("an online backup taken while nodes publish restores to a gateway that has every batch it held and goes on", async () => {
    const dir = tempDir("mg-backup-");
    const config = testConfig(dir, { storage: { synchronous: "FULL" } });
    const live = config.storage.path;
    let gw = new Gateway(config);
    await gw.start();
    const url = gw.brokerUrl;
    let c = await nodeClient(url, "n1");
    await c.publishAsync(topic("n1", "birth"), JSON.stringify(birth()), { qos: 1, retain: true });
    for (let s = 1; s <= 40; s++) await c.publishAsync(topic("n1", "t"), JSON.stringify(batch(s)), { qos: 1 });
    expect(count(gw)).toBe(40);

    // the backup, while a node keeps publishing
    const copy = join(dir, "copy.db");
    const more = (async () => {
      for (let s = 41; s <= 120; s++) await c.publishAsync(topic("n1", "t"), JSON.stringify(batch(s)), { qos: 1 });
    })();
    execFileSync("sqlite3", [live, `.backup ${copy}`]);
    await more;
    expect(count(gw)).toBe(120);
    c.end(true);
    await gw.stop();

    // the copy is a whole database on its own (no -wal beside it), at the gateway's schema version
    expect(existsSync(copy + "-wal")).toBe(false);
    const check = new Database(copy, { readonly: true });
    expect(check.pragma("integrity_check", { simple: true })).toBe("ok");
    expect(check.pragma("user_version", { simple: true })).toBe(migrations[migrations.length - 1].version);
    const held = (check.prepare("SELECT seq FROM batches ORDER BY seq").all() as { seq: number }[]).map((r) => r.seq);
    const samplesHeld = (check.prepare("SELECT count(*) AS n FROM samples").get() as { n: number }).n;
    check.close();
    expect(held.length).toBeGreaterThanOrEqual(40);
    expect(held.slice(0, 40)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(samplesHeld).toBe(held.length * 6); // 2 rows x 3 channels per batch

    // the restore: the gateway stopped, the copy put in place of the database, the gateway started on it
    const restoredDir = tempDir("mg-restore-");
    const restored = testConfig(restoredDir, { storage: { synchronous: "FULL" } });
    copyFileSync(copy, restored.storage.path);
    gw = new Gateway(restored);
    await gw.start();
    try {
      expect(count(gw)).toBe(held.length);
      expect(gw.store!.db.prepare("SELECT seq FROM batches ORDER BY seq").all().map((r) => (r as { seq: number }).seq)).toEqual(held);
      c = await nodeClient(gw.brokerUrl, "n1");
      await c.publishAsync(topic("n1", "birth"), JSON.stringify(birth()), { qos: 1, retain: true });
      await c.publishAsync(topic("n1", "t"), JSON.stringify(batch(5)), { qos: 1 }); // a repeat: stored once
      await c.publishAsync(topic("n1", "t"), JSON.stringify(batch(500)), { qos: 1 }); // new
      await waitFor(() => count(gw) === held.length + 1, 5000, "the new batch");
      const five = gw.store!.db.prepare("SELECT count(*) AS n FROM batches WHERE seq = 5").get() as { n: number };
      expect(five.n).toBe(1);
      c.end(true);
    } finally {
      await gw.stop();
    }
  }, 60_000);
});
