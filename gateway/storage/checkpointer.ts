// When the gateway's WAL is copied into its database file. SQLite's automatic checkpoint runs inside the commit that
// crosses wal_autocheckpoint, on the committing thread: with a year of history that commit wrote thousands of pages
// into the big file and synced it, and every PUBACK waited behind it. The automatic one is off on the gateway's
// connection (sqlite.org/wal.html, "Automatic Checkpoint"); a worker thread with a connection of its own runs PASSIVE
// checkpoints instead ("Application-Initiated Checkpoints"), which do not block the writer (checkpoint-worker.mjs).
//
// A PASSIVE checkpoint copies the frames committed before it started; the WAL starts again from its beginning only
// when a write transaction begins while every frame is copied (wal.html, "Avoiding Excessively Large WAL Files").
// With a node's batch every few milliseconds that never happens by itself, so a round of checkpoints is:
//   1. passes while ingest goes on, each copying what arrived during the one before, until at most `finalFrames`
//      are left, or a pass left more than half of what the one before left (each pass syncs the disk twice, so
//      the passes stop shrinking once the writer adds during one as much as it copies), or `maxPasses` passes;
//   2. one last pass while ingest holds its next commit (`holding`: Ingest waits as it does for the WAL's fsync), so
//      nothing is added during it; the commit that follows restarts the WAL.
// The bound: once the WAL reaches `maxFrames` (the checkpoints fall behind the writer) commits are held until a pass
// has copied everything, counted in `behind`. Frames are read from the WAL-index (the -shm file): mxFrame, the
// frames in the WAL, at byte 16 of its header, and nBackfill, the frames copied, at byte 96 (sqlite.org/
// walformat.html, "The WAL-Index Header" and "The Checkpoint Info"), native byte order.
import { closeSync, openSync, readSync } from "node:fs";
import { endianness } from "node:os";
import { Worker } from "node:worker_threads";

export interface CheckpointOptions {
  /** Frames (pages) in the WAL that start a round (default 16,000: 64 MB of 4 KB pages, as the former automatic one). */
  startFrames?: number;
  /** Frames left after a pass that the last pass, with commits held, may copy (default 1,000). */
  finalFrames?: number;
  /** Passes of a round before the last one holds commits whatever is left (default 8). */
  maxPasses?: number;
  /** The WAL's bound: at this many frames commits wait for a whole checkpoint (default 4 x startFrames). */
  maxFrames?: number;
  /** How often the WAL is looked at besides after each commit, ms (default 1,000). */
  pollMs?: number;
  /** Where a checkpoint that falls behind or fails is told (default console.warn). */
  log?: (line: string) => void;
  /** Called when the checkpoint thread has stopped for good: SQLite's own checkpoint must take over. */
  onThreadFailed?: () => void;
}

export interface CheckpointPass {
  /** Frames in the WAL when the pass ended, and the frames copied to the database file by then (WAL-index). */
  log: number;
  checkpointed: number;
  ms: number;
  /** Commits were held during the pass. */
  held: boolean;
  /** Another pass of the round started at once. */
  more: boolean;
}

export interface CheckpointStats {
  /** Frames in the WAL now (pages written since it last started again). */
  walFrames: number;
  passes: number;
  /** Times the WAL started again from its beginning (a round that copied everything). */
  rounds: number;
  /** Times commits were held because the WAL reached maxFrames. */
  behind: number;
  /** Time commits were held for checkpoints, s. */
  heldSeconds: number;
  errors: number;
}

type WorkerReply = { ok: true; ms: number } | { ok: false; error: string; ms: number };

export class Checkpointer {
  private readonly worker: Worker;
  private readonly done = new SharedArrayBuffer(4);
  private shm: number | undefined;
  private readonly header = Buffer.alloc(100);
  private running = false;
  /** Were commits held when the running pass started? */
  private passHeld = false;
  /** Frames in the WAL when the running pass started. */
  private logAtPass = 0;
  private holdingSince: number | undefined;
  private passesThisRound = 0;
  /** Frames left uncopied after the round's previous pass. */
  private leftBefore = Infinity;
  private readonly waiters: (() => void)[] = [];
  private readonly timer: NodeJS.Timeout;
  private closed = false;
  private toldBehindAt = -Infinity;
  private readonly opts: Required<Omit<CheckpointOptions, "log" | "onThreadFailed">>;
  private readonly onThreadFailed: (() => void) | undefined;
  private readonly log: (line: string) => void;
  readonly stats: Omit<CheckpointStats, "walFrames"> = { passes: 0, rounds: 0, behind: 0, heldSeconds: 0, errors: 0 };
  /** Told of every pass (tests, logs). */
  onPass?: (p: CheckpointPass) => void;

  constructor(
    private readonly dbPath: string,
    synchronous: "FULL" | "NORMAL" | "OFF",
    opts: CheckpointOptions = {},
  ) {
    this.log = opts.log ?? ((line) => console.warn(line));
    this.onThreadFailed = opts.onThreadFailed;
    const startFrames = opts.startFrames ?? 16000;
    this.opts = { startFrames, finalFrames: opts.finalFrames ?? 1000, maxPasses: opts.maxPasses ?? 8, maxFrames: opts.maxFrames ?? 4 * startFrames, pollMs: opts.pollMs ?? 1000 };
    // a small heap: the thread only runs one statement (its memory counts in the gateway's)
    this.worker = new Worker(new URL("./checkpoint-worker.mjs", import.meta.url), {
      workerData: { path: dbPath, synchronous, done: this.done },
      resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 2 },
    });
    this.worker.unref();
    this.worker.on("message", (m: WorkerReply) => this.passed(m));
    this.worker.on("error", (e) => this.failed(e));
    // an exit that no stop asked for (after an error, "error" came first and this does nothing)
    this.worker.on("exit", (code) => {
      if (!this.closed) this.failed(new Error(`exit code ${code}`));
    });
    this.timer = setInterval(() => this.check(), this.opts.pollMs);
    this.timer.unref();
  }

  /** Are commits held for a checkpoint? (Ingest waits with `whenReleased`.) */
  get holding(): boolean {
    return this.holdingSince !== undefined;
  }

  /** cb once commits are no longer held (at once when they are not). */
  whenReleased(cb: () => void): void {
    if (this.holdingSince === undefined) cb();
    else this.waiters.push(cb);
  }

  /** Frames in the WAL and frames copied from it, from the WAL-index; [0, 0] before it exists. */
  frames(): [mxFrame: number, nBackfill: number] {
    try {
      this.shm ??= openSync(this.dbPath + "-shm", "r");
      if (readSync(this.shm, this.header, 0, 100, 0) < 100) return [0, 0];
    } catch {
      return [0, 0];
    }
    const le = endianness() === "LE";
    const u32 = (at: number) => (le ? this.header.readUInt32LE(at) : this.header.readUInt32BE(at));
    return [u32(16), u32(96)];
  }

  /** After a commit (and every pollMs): start a round when the WAL is long enough, hold commits at its bound. */
  check(): void {
    if (this.closed) return;
    const [mxFrame, nBackfill] = this.frames();
    if (this.running) {
      if (mxFrame >= this.opts.maxFrames && !this.holding) this.behind(mxFrame);
      return;
    }
    if (mxFrame >= this.opts.startFrames && mxFrame > nBackfill) {
      this.passesThisRound = 0;
      this.leftBefore = Infinity;
      if (mxFrame >= this.opts.maxFrames) this.behind(mxFrame);
      this.pass();
    }
  }

  /** The WAL reached its bound: commits wait until a pass has copied it (counted; told at most once a minute). */
  private behind(mxFrame: number): void {
    this.stats.behind++;
    const now = Date.now();
    if (now - this.toldBehindAt >= 60_000) {
      this.toldBehindAt = now;
      this.log(`gateway: the WAL reached ${mxFrame} pages (bound ${this.opts.maxFrames}) before a checkpoint copied it; commits wait for the checkpoint (the disk is slower than the load)`);
    }
    this.hold();
  }

  private pass(): void {
    this.running = true;
    this.passHeld = this.holding;
    this.logAtPass = this.frames()[0];
    // a pass during which commits go on writes back what it copied (checkpoint-worker.mjs)
    this.worker.postMessage({ op: "pass", flush: !this.passHeld });
  }

  private hold(): void {
    this.holdingSince ??= performance.now();
  }

  private release(): void {
    if (this.holdingSince === undefined) return;
    this.stats.heldSeconds += (performance.now() - this.holdingSince) / 1000;
    this.holdingSince = undefined;
    const waiters = this.waiters.splice(0);
    for (const cb of waiters) cb();
  }

  private passed(m: WorkerReply): void {
    this.running = false;
    if (this.closed) return;
    const held = this.passHeld;
    if (!m.ok) {
      this.stats.errors++;
      this.log(`gateway: a checkpoint of the WAL failed (${m.error}); it is tried again`);
      this.release();
      return;
    }
    this.stats.passes++;
    this.passesThisRound++;
    // what the pass reports is the WAL as it was when it started; what was committed since is in the WAL-index
    const [log, checkpointed] = this.frames();
    const left = log - checkpointed;
    if (left <= 0 || log < this.logAtPass) {
      // (a WAL shorter than when the pass began was started again by a commit that followed it)
      // everything is copied: the next write transaction starts the WAL again from its beginning
      this.stats.rounds++;
      this.release();
    } else if (held) {
      // a writer other than ingest committed during the held pass: let ingest go on, and start over later
      this.release();
    } else {
      // a pass takes two fsyncs however little it copies: once the passes stop shrinking what is left, the writer
      // adds as much during one as it copies, and only a held pass ends the round
      const converging = left <= this.leftBefore / 2;
      if (left <= this.opts.finalFrames || !converging || this.passesThisRound >= this.opts.maxPasses || log >= this.opts.maxFrames) this.hold();
      this.leftBefore = left;
      this.pass();
    }
    this.onPass?.({ log, checkpointed, ms: m.ms, held, more: this.running });
  }

  private failed(e: Error): void {
    this.running = false;
    this.stats.errors++;
    this.log(`gateway: the checkpoint thread stopped (${e.message}); SQLite checkpoints the WAL in the gateway's commits again`);
    this.closed = true;
    clearInterval(this.timer);
    this.release();
    this.onThreadFailed?.();
  }

  /**
   * Stop the thread and close its connection, waiting for a pass under way (so that the gateway's connection,
   * closing last, checkpoints everything and removes the WAL: wal.html, "the last connection ... closes").
   */
  close(): void {
    if (this.shm !== undefined) closeSync(this.shm);
    this.shm = undefined;
    clearInterval(this.timer);
    if (!this.closed) {
      this.closed = true;
      this.worker.postMessage({ op: "stop" });
      // a pass under way finishes first; 60 s covers a WAL at its bound on a slow SD card
      Atomics.wait(new Int32Array(this.done), 0, 0, 60_000);
    }
    this.release();
    void this.worker.terminate();
  }

  snapshot(): CheckpointStats {
    return { walFrames: this.closed ? 0 : this.frames()[0], ...this.stats };
  }
}
