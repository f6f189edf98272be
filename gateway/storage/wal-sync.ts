// Durability of ingest's commits off the main thread. SQLite's synchronous=FULL in WAL mode is NORMAL plus an fsync
// of the WAL file after each commit (sqlite.org/pragma.html#pragma_synchronous); that fsync blocked the gateway's
// only thread, nodes' messages and the broker included, for milliseconds per commit. Ingest commits with NORMAL and
// calls `after(cb)`: one fsync of the WAL at a time runs in libuv's thread pool, and each callback runs once an
// fsync that started after its commit has returned, so a PUBACK still follows a commit on the disk. Callbacks run
// in the order of their commits (one fsync at a time, first in first out), which keeps PUBACKs in the order of
// the PUBLISHes [MQTT-4.6.0-2]. A checkpoint (on the main thread) syncs the WAL before it copies it.
import { closeSync, fsync, fsyncSync, openSync } from "node:fs";
import { dirname } from "node:path";

type Callback = (err: Error | null) => void;

export class WalSync {
  private fd: number | undefined;
  /** Committed, waiting for an fsync that has not started yet. */
  private waiting: Callback[] = [];
  /** Committed before the running fsync started. */
  private running: Callback[] | undefined;
  /** Bumped by `now()`, so that a running fsync's completion does not call its callbacks a second time. */
  private generation = 0;
  private idle: (() => void)[] = [];
  /** fsyncs started and not returned (one, or two after now()). */
  private inFlight = 0;
  private closing = false;

  constructor(private readonly walPath: string) {}

  /** Call cb (from the event loop, never at once) once the commits made so far are on the disk. */
  after(cb: Callback): void {
    this.waiting.push(cb);
    if (!this.running) this.start();
  }

  /** Sync on this thread and call every waiting callback now (stopping: nothing is left to a later turn). */
  now(): void {
    const cbs = (this.running ?? []).concat(this.waiting);
    this.running = undefined;
    this.waiting = [];
    this.generation++;
    if (cbs.length === 0) return this.wakeIdle();
    let error: Error | null = null;
    try {
      fsyncSync(this.open());
    } catch (e) {
      error = e as Error;
    }
    for (const cb of cbs) cb(error);
    this.wakeIdle();
  }

  private wakeIdle(): void {
    const idle = this.idle;
    this.idle = [];
    for (const cb of idle) cb();
  }

  /** Is an fsync running? (ingest holds its next commit until it returns: one commit per fsync.) */
  get busy(): boolean {
    return this.running !== undefined;
  }

  /** Call cb once no fsync is running (at once when none is). */
  whenIdle(cb: () => void): void {
    if (!this.running) cb();
    else this.idle.push(cb);
  }

  get pending(): number {
    return this.waiting.length + (this.running?.length ?? 0);
  }

  close(): void {
    this.now();
    this.closing = true;
    if (this.inFlight === 0) this.closeFd();
  }

  private closeFd(): void {
    if (this.fd !== undefined) closeSync(this.fd); // not under an fsync still running (its number could be reused)
    this.fd = undefined;
  }

  private start(): void {
    const cbs = (this.running = this.waiting);
    this.waiting = [];
    const generation = this.generation;
    let fd: number;
    try {
      fd = this.open();
    } catch (e) {
      this.running = undefined;
      queueMicrotask(() => {
        for (const cb of cbs) cb(e as Error);
      });
      return;
    }
    this.inFlight++;
    fsync(fd, (err) => {
      if (--this.inFlight === 0 && this.closing) this.closeFd();
      if (generation !== this.generation) return; // now() took these callbacks
      this.running = undefined;
      for (const cb of cbs) cb(err ?? null);
      if (this.waiting.length > 0) this.start();
      else this.wakeIdle();
    });
  }

  /** The WAL file (it exists once a transaction has committed, and stays while the database is open). */
  private open(): number {
    if (this.fd === undefined) {
      this.fd = openSync(this.walPath, "r");
      // the first sync also makes the WAL's directory entry durable (a new file's name is in its directory)
      const dir = openSync(dirname(this.walPath), "r");
      try {
        fsyncSync(dir);
      } finally {
        closeSync(dir);
      }
    }
    return this.fd;
  }
}
