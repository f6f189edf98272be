// require("net") of the virtual Espruino, bridged to real TCP sockets on this machine. Events from the real
// socket are queued on the virtual clock at the current virtual instant. While an answer is due (an MQTT packet
// that gets one went out and its answer has not come: mqtt-replies.ts) the runner waits real time before moving
// virtual time on, so that a request/response exchange with a real broker keeps its order: up to `replyWaitMs`, or,
// with Infinity (a replay against a gateway in another process), until the answer comes however slow the gateway is,
// so that the firmware's 10 s and 30 s reply limits never pass in virtual time because the host was slow, as long as
// the gateway answers anything at all (SILENT_GATEWAY_MS). A link cut by a fault ends every such wait: the firmware's
// own timeouts then run as on a board.
import * as net from "node:net";
import { VirtualClock } from "./virtual-clock";
import { FirmwareCall, toBinaryString } from "./peripherals";
import { MqttReplies } from "./mqtt-replies";

export interface NetStats {
  connects: number;
  refused: number;
  bytesOut: number;
  bytesIn: number;
  /** Batches (boot, first seq) the board received a PUBACK for, each counted once (mqtt-replies.ts). */
  batchAcks: number;
}

interface Tracked {
  socket: net.Socket;
  connecting: boolean;
  /** end() was called and the close has not come yet. */
  closingSince: number;
  replies: MqttReplies;
  lastWriteAt: number;
  /** Open when the site's link was cut without a word (a silent wifi-down): nothing gets through either way. */
  cut: boolean;
}

/** Real ms a pending TCP connect is waited for at most (the host's stack answers a connect, not the gateway). */
const CONNECT_WAIT_MS = 10_000;

/**
 * With no limit on a reply's wait (Infinity), the holds end once nothing at all has come from the gateway on any
 * connection of this thread for this many real ms: a gateway that answers nothing is not slow but gone (a listener
 * that never answers CONNECT would otherwise hold the boards' clocks forever), and the firmware's own timeouts then
 * run. Any byte from the gateway starts holding again. 20 s is above the slowest first CONNACK the slow-gateway test
 * gives (11 s), and a gateway serving a fleet answers some board far more often than that.
 */
export const SILENT_GATEWAY_MS = 20_000;
/** When this thread last heard anything from a gateway (Date.now()); the thread's start counts as heard. */
let lastHeardAt = Date.now();

export class NetBridge {
  /** The site's network beyond the board carries TCP (a wifi-down fault: the router's side). */
  linkUp = true;
  /** The board's own link has an address (wifi-module.ts, wiznet-module.ts); a board that never asks for its
   * link module (the Linux build, a program without a network) uses the bridge as the host's network. */
  private joined = true;
  readonly stats: NetStats = { connects: 0, refused: 0, bytesOut: 0, bytesIn: 0, batchAcks: 0 };
  private open = new Set<Tracked>();
  /** "boot:seq" of every batch acknowledged to this board (a batch sent again and acknowledged again counts once). */
  private acked = new Set<string>();
  /** Something happened on a real socket (or was written to one) since the runner last let Node's I/O run. */
  private stirred = false;
  private wake: (() => void) | undefined;

  constructor(private clock: VirtualClock, private call: FirmwareCall, private makeError: (msg: string) => Error) {}

  /**
   * Real ms until nothing is awaited any more unless a socket event comes first (0: nothing is awaited): a connect
   * pending, a close not yet come (up to 1 s), or an answer due while the last write is under `replyWaitMs` old.
   */
  private waitLeftMs(replyWaitMs: number): number {
    const now = Date.now();
    let left = 0;
    for (const t of this.open) {
      if (t.connecting) left = Math.max(left, Number.isFinite(replyWaitMs) ? replyWaitMs : CONNECT_WAIT_MS - (now - t.lastWriteAt));
      // a gone gateway never closes its side: past SILENT_GATEWAY_MS a close is not waited for either
      if (t.closingSince > 0 && (Number.isFinite(replyWaitMs) || now - lastHeardAt < SILENT_GATEWAY_MS)) left = Math.max(left, 1000 - (now - t.closingSince));
      // an answer cannot come through a cut link: no wait, the firmware's timeouts take over
      if (t.replies.pending > 0 && !t.cut)
        left = Math.max(left, Number.isFinite(replyWaitMs) ? replyWaitMs - (now - t.lastWriteAt) : SILENT_GATEWAY_MS - (now - lastHeardAt));
    }
    return left;
  }

  /** Answers the boards' connections wait for now (a gauge of how far a slow gateway holds the boards). */
  get awaiting(): number {
    let n = 0;
    for (const t of this.open) if (!t.cut) n += t.replies.pending;
    return n;
  }

  /** Whether the runner should let Node's I/O run before the next timer: a socket was written or had an event. */
  takeStirred(): boolean {
    const s = this.stirred;
    this.stirred = false;
    return s;
  }

  /**
   * Resolves once nothing is awaited (see waitLeftMs). Every change to what is awaited comes with a socket event, which
   * wakes it at once; the timer only ends a wait that ran out (a 1 ms poll per waiting board cost system time).
   */
  async idle(replyWaitMs: number): Promise<void> {
    for (let left = this.waitLeftMs(replyWaitMs); left > 0; left = this.waitLeftMs(replyWaitMs)) {
      await new Promise<void>((resolve) => {
        // a socket event (the answer, a close) ends this wait early
        const timer = Number.isFinite(left)
          ? setTimeout(() => {
              this.wake = undefined;
              resolve();
            }, Math.max(1, Math.ceil(left)))
          : undefined;
        this.wake = () => {
          clearTimeout(timer);
          this.wake = undefined;
          setImmediate(resolve); // the event's own handlers (and the gateway's work on it) run first
        };
      });
    }
  }

  private stir(): void {
    this.stirred = true;
    this.wake?.();
  }

  /**
   * TCP through the site's network lost beyond the board's link: every socket closes, connects fail until it is back.
   * `silent`: the connections open at the cut stay open on the board but nothing gets through either way (the
   * router's uplink gone without a reset), so only the firmware's own reply timeouts find out; when the link comes
   * back they are reset (the bytes dropped meanwhile broke their streams).
   */
  setLinkUp(up: boolean, o: { silent?: boolean } = {}): void {
    this.linkUp = up;
    for (const t of [...this.open]) {
      if (!up && o.silent) {
        t.cut = true;
        this.wake?.();
      } else if (!up || t.cut) t.socket.destroy();
    }
  }

  /** The board's link joined or lost: while lost, every socket closes and new connects fail. */
  setJoined(up: boolean): void {
    this.joined = up;
    if (!up) for (const t of [...this.open]) t.socket.destroy();
  }

  /** Close every socket without telling the firmware (the board lost power). */
  powerOff(): void {
    for (const t of [...this.open]) {
      t.socket.removeAllListeners();
      t.socket.on("error", () => {});
      t.socket.destroy();
    }
    this.open.clear();
  }

  firmwareModule() {
    return { connect: (opts: { host?: string; port: number }, onConnect?: () => void) => this.connect(opts, onConnect) };
  }

  private connect(opts: { host?: string; port: number }, onConnect?: () => void) {
    const listeners: Record<string, ((...a: unknown[]) => unknown)[]> = {};
    const emit = (event: string, ...args: unknown[]) => {
      this.stir();
      this.clock.schedule(0, () => {
        for (const l of listeners[event] ?? []) this.call(l, args);
      }, "system");
    };
    const socket = new net.Socket();
    const tracked: Tracked = { socket, connecting: true, closingSince: 0, replies: new MqttReplies(), lastWriteAt: Date.now(), cut: false };
    tracked.replies.onBatchAck = (key) => {
      if (this.acked.has(key)) return;
      this.acked.add(key);
      this.stats.batchAcks++;
    };
    this.open.add(tracked);
    let closed = false;
    const api = {
      write: (data: unknown) => {
        if (closed) return false;
        const bytes = toBinaryString(data);
        this.stats.bytesOut += bytes.length;
        if (tracked.cut) return true; // into the void beyond the cut
        const buf = Buffer.from(bytes, "latin1");
        tracked.replies.sent(buf);
        tracked.lastWriteAt = Date.now();
        this.stirred = true;
        socket.write(buf);
        return true;
      },
      end: () => {
        if (!closed && tracked.closingSince === 0) tracked.closingSince = Date.now();
        this.stirred = true; // the runner waits for the close before the next timer
        socket.end();
      },
      destroy: () => {
        socket.destroy();
      },
      on: (event: string, cb: (...a: unknown[]) => unknown) => {
        (listeners[event] ??= []).push(cb);
      },
      removeAllListeners: () => {
        for (const k of Object.keys(listeners)) delete listeners[k];
      },
    };
    if (!this.linkUp || !this.joined) {
      this.stats.refused++;
      this.open.delete(tracked);
      closed = true;
      emit("error", this.makeError("Network link down"));
      emit("close", true);
      return api;
    }
    socket.setNoDelay(true);
    socket.on("connect", () => {
      tracked.connecting = false;
      this.stats.connects++;
      if (onConnect) emit("__connect");
    });
    if (onConnect) listeners["__connect"] = [onConnect as (...a: unknown[]) => unknown];
    socket.on("data", (buf) => {
      if (tracked.cut) return;
      tracked.replies.received(buf);
      this.stats.bytesIn += buf.length;
      lastHeardAt = Date.now();
      emit("data", buf.toString("latin1"));
    });
    socket.on("error", (err) => {
      if (tracked.connecting) this.stats.refused++;
      emit("error", this.makeError(err.message));
    });
    socket.on("close", () => {
      tracked.connecting = false;
      closed = true;
      this.open.delete(tracked);
      emit("end");
      emit("close", false);
    });
    // the runner waits for the connect before the next timer: a board at full speed would otherwise run on for
    // up to 4 ms of real time, many virtual seconds, while the host's stack answers
    this.stirred = true;
    socket.connect({ host: opts.host ?? "127.0.0.1", port: opts.port });
    return api;
  }
}
