// The transactions of the gateway's store: BEGIN/COMMIT with savepoints for nested calls, prepared once, and for
// ingest commits whose sync to the disk runs off the main thread (wal-sync.ts), as do the WAL's checkpoints
// (checkpointer.ts). Store (store.ts) adds the tables.
import type Database from "better-sqlite3";
import { Checkpointer, type CheckpointOptions, type CheckpointStats } from "./checkpointer";
import { WalSync } from "./wal-sync";

/** SQLite's automatic checkpoint, where no thread checkpoints (store.ts explains the size). */
export const autoCheckpointPages = 16000;

export class StoreCore {
  readonly db: Database.Database;
  private readonly st: { [name: string]: Database.Statement } = {};
  private tx: { [name: string]: Database.Statement } | undefined;
  /** synchronous FULL on a file: ingest's commits are synced off the main thread (wal-sync.ts). */
  protected wal: WalSync | undefined;
  /** Checkpoints of the WAL on a thread of their own (SQLite's automatic checkpoint is then off). */
  protected checkpointer: Checkpointer | undefined;

  protected constructor(db: Database.Database) {
    this.db = db;
  }

  /** Sync ingest's commits from now on with an fsync of the WAL off the main thread (synchronous FULL on a file). */
  protected syncWalOffThread(walPath: string): void {
    this.wal = new WalSync(walPath);
  }

  /** Checkpoint the WAL from a worker thread; the caller has turned SQLite's automatic checkpoint off. */
  protected checkpointOffThread(dbPath: string, synchronous: "FULL" | "NORMAL" | "OFF", opts?: CheckpointOptions): void {
    this.checkpointer = new Checkpointer(dbPath, synchronous, {
      ...opts,
      onThreadFailed: () => {
        if (this.db.open) this.db.pragma("wal_autocheckpoint = " + autoCheckpointPages);
      },
    });
  }

  /** The checkpoint thread's counts (undefined when SQLite checkpoints by itself). */
  get checkpointStats(): CheckpointStats | undefined {
    return this.checkpointer?.snapshot();
  }

  /** Told of each checkpoint pass (tests). */
  set onCheckpoint(cb: ((p: import("./checkpointer").CheckpointPass) => void) | undefined) {
    if (this.checkpointer) this.checkpointer.onPass = cb;
  }

  /** A transaction or savepoint rolled back: what was cached from its writes is void. */
  protected rolledBack(): void {}

  close(): void {
    this.wal?.close(); // what ingest committed is synced (and its callbacks called) before the database closes
    // the checkpoint thread closes its connection first: the last one to close copies the whole WAL and removes it
    this.checkpointer?.close();
    this.checkpointer = undefined;
    if (this.db.open) this.db.close();
  }

  /**
   * Like transaction(), for ingest: under synchronous FULL the commit does not wait for the disk (NORMAL for this
   * transaction only; every other writer keeps FULL) and `whenDurable` tells when it is there.
   */
  transactionDeferringSync<T>(fn: () => T): T {
    if (!this.wal || this.db.inTransaction) return this.transaction(fn);
    // exec, not a prepared statement: SQLite applies PRAGMA synchronous when it compiles it, and running the
    // compiled statement again changes nothing
    this.db.exec("PRAGMA synchronous = NORMAL");
    try {
      return this.transaction(fn);
    } finally {
      this.db.exec("PRAGMA synchronous = FULL");
    }
  }

  /** cb once what was committed so far is on the disk: at once unless synchronous FULL (wal-sync.ts). */
  whenDurable(cb: (err: Error | null) => void): void {
    if (this.wal) this.wal.after(cb);
    else cb(null);
  }

  /** Sync what ingest committed now, on this thread, and run the waiting callbacks (when stopping). */
  syncNow(): void {
    this.wal?.now();
  }

  /**
   * Call cb when no sync of ingest's commits is running and no checkpoint holds commits (at once when neither, or
   * without synchronous FULL).
   */
  whenSyncIdle(cb: () => void): void {
    if (this.wal?.busy) this.wal.whenIdle(() => this.whenSyncIdle(cb));
    else if (this.checkpointer?.holding) this.checkpointer.whenReleased(() => this.whenSyncIdle(cb));
    else cb();
  }

  /** Call cb once no checkpoint holds commits (at once when none does): writers other than ingest wait with it. */
  whenCommitsAllowed(cb: () => void): void {
    if (this.checkpointer?.holding) this.checkpointer.whenReleased(cb);
    else cb();
  }

  /** Does a checkpoint hold commits now? (writers other than ingest wait: whenCommitsAllowed) */
  get commitsHeld(): boolean {
    return this.checkpointer?.holding ?? false;
  }

  /** Is a sync of ingest's commits running, or does a checkpoint hold commits? (ingest then waits: whenSyncIdle) */
  get syncBusy(): boolean {
    return (this.wal?.busy ?? false) || (this.checkpointer?.holding ?? false);
  }

  /** Commits waiting for their sync (the gateway's queue gauge). */
  get syncPending(): number {
    return this.wal?.pending ?? 0;
  }

  /**
   * Run fn in a transaction (BEGIN ... COMMIT), or in a savepoint when one is open already (a nested call rolls back
   * only its own writes when fn throws). The statements are prepared once: better-sqlite3's db.transaction() builds
   * four wrapper functions per call, which ingest paid for every message. A rollback drops the cached rows.
   */
  transaction<T>(fn: () => T): T {
    const db = this.db;
    const tx = this.txStatements();
    const nested = db.inTransaction;
    (nested ? tx.savepoint : tx.begin).run();
    try {
      const result = fn();
      (nested ? tx.release : tx.commit).run();
      if (!nested) this.checkpointer?.check();
      return result;
    } catch (e) {
      this.rolledBack();
      if (db.inTransaction) {
        if (nested) {
          tx.rollbackTo.run();
          tx.release.run();
        } else tx.rollback.run();
      }
      throw e;
    }
  }

  private txStatements(): { [name: string]: Database.Statement } {
    const db = this.db;
    return (this.tx ??= {
      begin: db.prepare("BEGIN"),
      commit: db.prepare("COMMIT"),
      rollback: db.prepare("ROLLBACK"),
      savepoint: db.prepare("SAVEPOINT mg_nested"),
      release: db.prepare("RELEASE mg_nested"),
      rollbackTo: db.prepare("ROLLBACK TO mg_nested"),
    });
  }

  protected stmt(name: string, sql: string): Database.Statement {
    return this.st[name] ?? (this.st[name] = this.db.prepare(sql));
  }
}
