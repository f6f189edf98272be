// The checkpoint thread of the gateway's store (checkpointer.ts decides when, this only runs them). Plain JavaScript:
// a worker thread that loaded TypeScript through tsx would start its own esbuild service and cost the gateway
// memory. On a connection of its own, `PRAGMA wal_checkpoint(PASSIVE)` copies the WAL's frames into the database
// file without taking the writer's lock (sqlite.org/wal.html, "Application-Initiated Checkpoints"; pragma.html
// #pragma_wal_checkpoint: PASSIVE "does as much work as possible without interfering with other database
// connections"), so the gateway's thread keeps committing meanwhile. Under synchronous FULL or NORMAL SQLite syncs
// the WAL before it copies and the database file after, before it records the frames as copied: a power cut
// mid-checkpoint loses nothing, the WAL still holds every frame (pragma.html#pragma_synchronous).
import { closeSync, fdatasyncSync, openSync } from "node:fs";
import { parentPort, workerData } from "node:worker_threads";
import Database from "better-sqlite3";

/** @type {{ path: string, synchronous: string, done: SharedArrayBuffer }} */
const data = workerData;
const db = new Database(data.path, { fileMustExist: true });
db.pragma("synchronous = " + data.synchronous);
db.pragma("wal_autocheckpoint = 0"); // this connection never writes, and checkpoints only when asked
db.pragma("cache_size = -256"); // a checkpoint copies frames with its own buffer, not through the page cache
const checkpoint = db.prepare("PRAGMA wal_checkpoint(PASSIVE)");
// SQLite syncs the database file only after a pass that reached the WAL's end: the pass that ends a round, which
// the gateway holds its commits for, would write back everything the round copied. `flush` writes it back here
// instead, after a pass that did not end the round, so the held pass syncs only the pages it copied itself.
const dbFd = openSync(data.path, "r");

parentPort.on("message", (/** @type {{ op: "pass" | "stop", flush?: boolean }} */ m) => {
  if (m.op === "stop") {
    closeSync(dbFd);
    db.close();
    const done = new Int32Array(data.done);
    Atomics.store(done, 0, 1);
    Atomics.notify(done, 0);
    parentPort.close();
    return;
  }
  const started = performance.now();
  try {
    // its row (busy, log, checkpointed) tells the WAL as it was when the pass began: the gateway reads the WAL-index
    checkpoint.get();
    if (m.flush && data.synchronous !== "OFF") fdatasyncSync(dbFd);
    parentPort.postMessage({ ok: true, ms: performance.now() - started });
  } catch (e) {
    parentPort.postMessage({ ok: false, error: String(e && e.message ? e.message : e), ms: performance.now() - started });
  }
});
