// The WAL's checkpoints off the gateway's thread (gateway/storage/checkpointer.ts), on real SQLite files: the worker
// thread copies the WAL while ingest commits, the WAL stays under its bound (and commits wait when a reader keeps
// the checkpoint from catching up, counted), a stop leaves no WAL and nothing lost, and a writer killed in the
// middle of a checkpoint loses nothing it acknowledged.
import { spawn } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { renderMetrics } from "../../gateway/api/metrics";
import { EventBus } from "../../gateway/events";
import { GatewayCounters } from "../../gateway/ingest/counters";
import { Ingest } from "../../gateway/ingest/ingest";
import type { CheckpointOptions, CheckpointPass } from "../../gateway/storage/checkpointer";
import { Store } from "../../gateway/storage/store";
import { batch, birth, tempDir, topic } from "./fixture";

const open: Store[] = [];
afterEach(() => {
  for (const s of open.splice(0)) if (s.db.open) s.close();
});

/** A store with small checkpoint rounds, its ingest, and a function that sends every node's next batch. */
function setup(path: string, checkpoint: CheckpointOptions) {
  const store = Store.open(path, { checkpoint });
  open.push(store);
  const counters = new GatewayCounters();
  const ingest = new Ingest(store, new EventBus(), counters, { flushMs: 0, maxBatch: 500, isKnown: () => true, log: () => undefined });
  ingest.start();
  const send = (node: string, kind: string, payload: unknown) =>
    new Promise<void>((resolve, reject) =>
      ingest.submit({ clientId: "s1." + node, topic: topic(node, kind), payload: Buffer.from(JSON.stringify(payload)), receivedAt: Date.now() }, (err) => (err ? reject(err) : resolve())),
    );
  return { store, ingest, counters, send };
}

const nodes = Array.from({ length: 30 }, (_, k) => "n" + k);
const batches = (db: Database.Database) => (db.prepare("SELECT count(*) AS n FROM batches").get() as { n: number }).n;
/** The WAL file's size for a number of frames: its 32-byte header, then a 24-byte header and a page per frame. */
const walBytes = (frames: number, pageSize: number) => 32 + frames * (24 + pageSize);

describe("WAL checkpoints off the gateway's thread", () => {
  it("the worker thread copies the WAL while ingest commits, and the WAL stays under its bound", async () => {
    const dir = tempDir();
    const { store, send } = setup(join(dir, "gw.db"), { startFrames: 200, finalFrames: 20, maxFrames: 1000, pollMs: 10, log: () => undefined });
    const passes: CheckpointPass[] = [];
    store.onCheckpoint = (p) => passes.push(p);
    // SQLite's own checkpoint is off: whatever reaches the database file was copied by the thread
    expect(store.db.pragma("wal_autocheckpoint", { simple: true })).toBe(0);
    await Promise.all(nodes.map((n) => send(n, "birth", birth())));
    const pageSize = store.db.pragma("page_size", { simple: true }) as number;
    let mostFrames = 0;
    const until = Date.now() + 3000;
    for (let seq = 0; Date.now() < until; seq++) {
      await Promise.all(nodes.map((n) => send(n, "t", batch(seq))));
      mostFrames = Math.max(mostFrames, store.checkpointStats!.walFrames);
    }
    const stats = store.checkpointStats!;
    expect(stats.passes).toBeGreaterThan(3);
    expect(passes.some((p) => p.checkpointed > 0)).toBe(true);
    // the WAL started again from its beginning, round after round, instead of growing
    expect(stats.rounds).toBeGreaterThan(2);
    expect(stats.errors).toBe(0);
    // one commit of 30 batches writes a few dozen pages: the bound is crossed by at most that
    expect(mostFrames).toBeLessThan(1000 + 200);
    expect(statSync(join(dir, "gw.db-wal")).size).toBeLessThanOrEqual(walBytes(1200, pageSize));
    // the pages reached the database file itself: a second connection reads the batches without the WAL
    const stored = batches(store.db);
    store.close();
    const db = new Database(join(dir, "gw.db"), { readonly: true });
    expect(batches(db)).toBe(stored);
    db.close();
  });

  it("a reader that keeps the checkpoint from catching up makes commits wait at the bound, counted on /metrics", async () => {
    const dir = tempDir();
    const logged: string[] = [];
    const { store, send, counters } = setup(join(dir, "gw.db"), { startFrames: 100, finalFrames: 10, maxFrames: 400, pollMs: 10, log: (l) => logged.push(l) });
    await Promise.all(nodes.map((n) => send(n, "birth", birth())));
    // an open read transaction on another connection: no checkpoint may copy what was committed after it began
    const reader = new Database(join(dir, "gw.db"));
    reader.exec("BEGIN");
    reader.prepare("SELECT count(*) FROM batches").get();
    let seq = 0;
    while (store.checkpointStats!.behind === 0 && seq < 2000) await Promise.all(nodes.map((n) => send(n, "t", batch(seq++))));
    expect(store.checkpointStats!.behind).toBeGreaterThan(0);
    expect(logged).toHaveLength(1); // told once a minute, however often it happens
    expect(logged[0]).toMatch(/^gateway: the WAL reached \d+ pages \(bound 400\) before a checkpoint copied it; commits wait for the checkpoint/);
    const metrics = renderMetrics(store.db, counters, { sseClients: 0 }, Date.now());
    expect(metrics).toMatch(/^minigrid_wal_checkpoint_behind_total [1-9]/m);
    expect(metrics).toMatch(/^minigrid_wal_pages [1-9]/m);
    // once the reader ends, the checkpoint catches up and the WAL starts again
    reader.exec("COMMIT");
    reader.close();
    const rounds = store.checkpointStats!.rounds;
    for (let k = 0; k < 50 && (store.checkpointStats!.rounds === rounds || store.checkpointStats!.walFrames >= 400); k++) await Promise.all(nodes.map((n) => send(n, "t", batch(seq++))));
    expect(store.checkpointStats!.rounds).toBeGreaterThan(rounds);
    expect(store.checkpointStats!.walFrames).toBeLessThan(400);
    expect(store.checkpointStats!.heldSeconds).toBeGreaterThan(0);
    expect(batches(store.db)).toBe(seq); // every batch sent (one seq each) was stored
  });

  it("a stop waits for a checkpoint under way, then leaves no WAL and every acknowledged batch in the file", async () => {
    const dir = tempDir();
    const { store, ingest, send } = setup(join(dir, "gw.db"), { startFrames: 50, finalFrames: 5, pollMs: 10, log: () => undefined });
    await Promise.all(nodes.map((n) => send(n, "birth", birth())));
    let passes = 0;
    store.onCheckpoint = () => passes++;
    let acked = 0;
    for (let seq = 0; passes < 3; seq++) {
      await Promise.all(nodes.map((n) => send(n, "t", batch(seq))));
      acked += nodes.length;
    }
    // the commit of these may start a round that still runs when the store closes
    for (const n of nodes) void send(n, "t", batch(100000));
    ingest.stop(); // commits and acknowledges what it holds
    acked += nodes.length;
    store.close();
    expect(existsSync(join(dir, "gw.db-wal"))).toBe(false);
    const db = new Database(join(dir, "gw.db"), { readonly: true });
    expect(batches(db)).toBe(acked);
    expect(db.pragma("integrity_check", { simple: true })).toBe("ok");
    db.close();
  });

  it("a writer killed during a checkpoint loses nothing it acknowledged", async () => {
    const dir = tempDir();
    const path = join(dir, "gw.db");
    const script = fileURLToPath(new URL("../helpers/checkpoint-writer.ts", import.meta.url));
    const child = spawn(process.execPath, ["--import", "tsx", script, path], { cwd: fileURLToPath(new URL("../..", import.meta.url)), stdio: ["ignore", "pipe", "pipe"] });
    const acked: string[] = [];
    let passes = 0;
    let err = "";
    child.stderr!.on("data", (d) => (err += d));
    const killed = new Promise<void>((resolve, reject) => {
      let rest = "";
      child.stdout!.on("data", (d: Buffer) => {
        const lines = (rest + d.toString()).split("\n");
        rest = lines.pop()!;
        for (const line of lines) {
          const [what, a, b] = line.split(" ");
          if (what === "ack") acked.push(a + "/" + b);
          // a pass that left pages behind started the next one at once: the kill lands in it
          else if (what === "pass" && ++passes >= 5 && b === "1" && child.exitCode === null && !child.killed) child.kill("SIGKILL");
        }
      });
      child.once("exit", (code, signal) => (signal === "SIGKILL" ? resolve() : reject(new Error(`the writer exited (${code}) before it was killed: ${err}`))));
    });
    await killed;
    expect(acked.length).toBeGreaterThan(100);
    expect(existsSync(path + "-wal")).toBe(true); // killed with its WAL not copied: the next open recovers from it
    const db = new Database(path);
    expect(db.pragma("integrity_check", { simple: true })).toBe("ok");
    const stored = new Set((db.prepare("SELECT node, seq FROM batches").all() as { node: string; seq: number }[]).map((r) => r.node + "/" + r.seq));
    db.close();
    expect(acked.filter((k) => !stored.has(k))).toEqual([]);
  }, 30_000);
});

describe("a checkpoint thread that stops", () => {
  it("hands the checkpoints back to SQLite, which then checkpoints in the gateway's commits", async () => {
    const told: string[] = [];
    const { store, send } = setup(join(tempDir(), "gw.db"), { log: (l) => told.push(l) });
    expect(store.db.pragma("wal_autocheckpoint", { simple: true })).toBe(0);
    // the thread ends without being asked (as it would when it crashed)
    await (store as unknown as { checkpointer: { worker: { terminate(): Promise<number> } } }).checkpointer.worker.terminate();
    await new Promise((r) => setTimeout(r, 20));
    expect(told).toEqual([expect.stringMatching(/^gateway: the checkpoint thread stopped \(.+\); SQLite checkpoints the WAL in the gateway's commits again$/)]);
    expect(store.db.pragma("wal_autocheckpoint", { simple: true })).toBe(16000);
    expect(store.checkpointStats!.errors).toBe(1);
    // ingest goes on, and nothing holds its commits
    await send("n1", "birth", birth());
    await send("n1", "t", batch(1));
    expect(batches(store.db)).toBe(1);
  });
});
