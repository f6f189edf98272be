// The replay's ledger against a gateway database written by the gateway's own ingest: a merged summary that arrives
// after part of its range was stored alone is "covered", not "duplicated", so the run passes; the same batch stored
// in two rows of its own is still a duplicate and fails the run.
import Database from "better-sqlite3";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { BatchPayload } from "../../firmware/protocol/messages";
import { EventBus } from "../../gateway/events";
import { GatewayCounters } from "../../gateway/ingest/counters";
import { Ingest } from "../../gateway/ingest/ingest";
import { Store } from "../../gateway/storage/store";
import { ledgerVerdict } from "../../sim/fleet/replay";
import { formatLedger, StoreLedger } from "../../sim/site/store-ledger";
import { openReadonly } from "../../sim/site/store-read";
import { batch, birth, T0, tempDir, topic } from "../gateway/fixture";

let dir: string;
let store: Store;
let ingest: Ingest;

function send(t: string, payload: unknown): Promise<boolean> {
  return new Promise((resolve, reject) =>
    ingest.submit({ clientId: "test", topic: t, payload: Buffer.from(JSON.stringify(payload)), receivedAt: Date.now() }, (err, rejected) => (err ? reject(err) : resolve(rejected))),
  );
}

/** Seqs s..e merged as a full flash queue merges them: one 60 s row per original batch. */
function merged(s: number, e: number): BatchPayload {
  const r: (number | null)[][] = [];
  for (let k = s; k <= e; k++) r.push([12805 + k, -1500, 805]);
  return { b: 7, s, e, t: T0 + s * 60, ts: 1, i: 60, r, q: r.map(() => "ooo"), h: 1, m: 2 };
}

beforeEach(() => {
  dir = tempDir();
  store = Store.open(join(dir, "gw.db"));
  ingest = new Ingest(store, new EventBus(), new GatewayCounters(), { flushMs: 1, maxBatch: 100, isKnown: () => true, log: () => undefined });
  ingest.start();
});

afterEach(() => {
  ingest.stop();
  store.close();
});

describe("store ledger", () => {
  it("counts seqs stored alone and then inside a merged summary's range as covered, and the run passes", async () => {
    await send(topic("n1", "birth"), birth());
    // 10 and 12 stored alone (their PUBACKs lost), then the node's full queue merges 10..13 and sends that
    await send(topic("n1", "t"), batch(10));
    await send(topic("n1", "t"), batch(12));
    await send(topic("n1", "t"), merged(10, 13));
    const ledger = new StoreLedger();
    for (let s = 10; s <= 13; s++) ledger.onProduced("s1/n1", 7, s);
    const [row] = ledger.rows(join(dir, "gw.db"));
    // 12 is inside the summary too: counted once, as merged (alone + merged + queued + lost = produced)
    expect(row).toMatchObject({ produced: 4, stored: 3, alone: 1, merged: 3, duplicated: 0, covered: 1, lost: 0 });
    expect(ledgerVerdict([row]).ok).toBe(true);
    const text = formatLedger([row]);
    expect(text).toMatch(/^ {2}covered +\S/m);
    expect(text.split("\n")[1]).toContain("covered");
  });

  it("counts one batch stored in two rows of its own as duplicated, and the run fails", () => {
    // the gateway's key forbids this; a database without it (or a bug) must still show up in the ledger
    const path = join(tempDir(), "dup.db");
    const db = new Database(path);
    db.exec("CREATE TABLE batches(site TEXT, node TEXT, boot INT, seq INT, seq_last INT, merged INT, t0 INT, interval_s REAL, rows INT)");
    const ins = db.prepare("INSERT INTO batches VALUES('s1','n1',7,?,?,?,?,30,2)");
    ins.run(1, 1, 1, T0 * 1000);
    ins.run(1, 1, 1, T0 * 1000);
    ins.run(2, 2, 1, T0 * 1000 + 60_000);
    db.close();
    const ledger = new StoreLedger();
    for (const s of [1, 2]) ledger.onProduced("s1/n1", 7, s);
    const ro = openReadonly(path);
    const [row] = ledger.rowsFrom(ro);
    ro.close();
    expect(row).toMatchObject({ produced: 2, stored: 3, alone: 2, duplicated: 1, covered: 0 });
    expect(ledgerVerdict([row])).toEqual({ lost: 0, duplicated: 1, ok: false });
  });
});
