// The virtual Espruino: a Node `vm` context that runs a built firmware file with the globals the interpreter
// provides (Serial1..3, I2C1, pins, E, getTime and timers on a virtual clock, require("Storage"/"net"/"fs"), the
// board's link module require("Wifi") or require("WIZnet") on the site's network: site-network.ts), and without
// what it lacks (Map, Set, Symbol, Array.from, ...: sim/vm/context-globals.ts), so code that would fail on a board
// fails here too. Flash, devices and the clock outlive reboots and power cuts; the program's state does not.
import * as vm from "node:vm";
import { readFileSync } from "node:fs";
import { resolve, isAbsolute } from "node:path";
import { Board } from "../../firmware/boards/types";
import { VirtualClock } from "./virtual-clock";
import { VirtualSerial, VirtualI2C, PinBank, standardPinNames, FirmwareCall } from "./peripherals";
import { yieldTurn } from "./turns";
import { NetBridge } from "./net-bridge";
import { estimateVars } from "./memory-estimate";
import { removeMissingBuiltins, installSeededRandom, installVirtualDate } from "./context-globals";
import { xorshift32 } from "../random";
import { crc32 } from "./crc32";
import { VirtualFlash, isPowerCut } from "./flash";
import { createStorage, VirtualStorage } from "./storage";
import { LinkHost, SiteNetwork } from "./site-network";
import { wifiModule } from "./wifi-module";
import { w5500Bus, wiznetModule } from "./wiznet-module";

export interface VirtualEspruinoOptions {
  board: Board;
  /** Directory that require("fs") and the Linux board's settings file are read from. */
  workDir?: string;
  /** Where console.log lines go (besides `output`). */
  onLog?: (line: string) => void;
  /** Real milliseconds to wait for a reply before virtual time moves on (net bridge). */
  replyWaitMs?: number;
  /** Flash to boot from (kept by the caller across runs); a fresh erased one by default. */
  flash?: VirtualFlash;
  /** The simulator's probe: the firmware calls MG_PROBE(kind, ...) where it reports to a ledger (absent on a board). */
  probe?: (kind: string, args: unknown[]) => void;
  /** Seed of the board's Math.random and E.hwRand (one sequence across its reboots; default 1). */
  seed?: number;
  /**
   * Let Node's I/O run every this many ms of virtual time instead of every 4 ms of real time: what the board hears
   * then arrives at instants that do not depend on how fast the machine is (a replay against a gateway in this
   * process; give replyWaitMs a few seconds too, so that a PUBACK is always waited for).
   */
  yieldEveryVirtualMs?: number;
  /** The site's network (access point, DHCP, cable) the board's Wifi or WIZnet module joins; a default one if absent. */
  network?: SiteNetwork;
}

/** Virtual time one analogRead() takes, ms (STM32F4 ADC conversion plus the interpreter's call overhead). */
const analogReadMs = 0.05;

export type ResetReason = "power-on" | "reboot" | "watchdog" | "power-cut" | "load";

export class VirtualEspruino {
  readonly clock = new VirtualClock();
  /** The board's random numbers: seeded, so that a replay of one seed is the same run (never the host's Math.random). */
  private readonly random: () => number;
  readonly board: Board;
  readonly flash: VirtualFlash;
  readonly net: NetBridge;
  /** The site's network; outlives reboots. */
  readonly network: SiteNetwork;
  readonly pins: PinBank;
  readonly serials = new Map<string, VirtualSerial>();
  readonly i2c: VirtualI2C;
  readonly output: string[] = [];
  /** Errors thrown out of the firmware's callbacks (printed, the program goes on, as on the interpreter). */
  readonly uncaught: string[] = [];
  readonly resets: ResetReason[] = [];
  halted: string | undefined;
  private ctx!: vm.Context;
  /** The context's own intrinsics: objects handed to the firmware must belong to its realm. */
  private realm!: { Error: ErrorConstructor; Uint8Array: Uint8ArrayConstructor; JSON: JSON };
  private program = "";
  private bootMs = 0;
  private clockOffsetS = 0;
  private watchdog: { timeoutMs: number; lastKickMs: number; auto: boolean } | undefined;
  private poweredOff = false;
  private pendingReset: { reason: ResetReason; program?: string } | undefined;
  private eventHandlers: Record<string, ((...a: unknown[]) => unknown)[]> = {};
  private opts: VirtualEspruinoOptions;

  constructor(opts: VirtualEspruinoOptions) {
    this.random = xorshift32(opts.seed ?? 1);
    this.opts = opts;
    this.board = opts.board;
    this.flash = opts.flash ?? new VirtualFlash({ sizeBytes: opts.board.storageBytes, pageBytes: opts.board.flashPageBytes });
    this.pins = new PinBank(() => this.uptimeSeconds());
    this.net = new NetBridge(this.clock, this.call, (m) => this.makeError(m));
    this.network = opts.network ?? new SiteNetwork();
    this.i2c = new VirtualI2C("I2C1", (m) => this.makeError(m), (a) => this.realmBytes(a));
    for (const name of ["Serial1", "Serial2", "Serial3", "USB"]) this.serials.set(name, new VirtualSerial(name, this.clock, this.call));
    // A cut anywhere in a flash operation ends the program, even one the firmware's own try/catch would swallow.
    this.flash.onPowerCut(() => this.powerCut());
  }

  /** Seconds since the board powered on (getTime() before the clock is set). */
  uptimeSeconds(): number {
    return (this.clock.nowMs - this.bootMs) / 1000;
  }

  /** getTime() as the firmware sees it. */
  getTime(): number {
    return this.uptimeSeconds() + this.clockOffsetS;
  }

  /** The UART a device model attaches to: "Serial1".., or "soft:<rx pin>" for a software Serial. */
  serial(name: string): VirtualSerial {
    let s = this.serials.get(name);
    if (!s) {
      s = new VirtualSerial(name, this.clock, this.call);
      this.serials.set(name, s);
    }
    return s;
  }

  /** Load a program as if it were the board's saved code, and run it (fires E.on('init') afterwards). */
  load(program: string): void {
    this.program = program;
    this.boot("power-on");
  }

  /** Load a built firmware file from disk. */
  loadFile(path: string): void {
    this.load(readFileSync(path, "utf8"));
  }

  /** Boot from the Storage file .bootcde, as a board does after `minigrid flash`. */
  powerOnFromFlash(): void {
    const code = this.storage().read(".bootcde");
    if (code === undefined) throw new Error("no .bootcde in flash: nothing to boot");
    this.load(code);
  }

  /** Cut the power now: timers and sockets die, the flash keeps what was written; power comes back at once. */
  powerCut(): void {
    this.poweredOff = true;
    this.pendingReset = { reason: "power-cut" };
  }

  /** Arm a power cut that strikes in the middle of a flash write, after `bytes` more bytes are programmed. */
  /**
   * The power fails `bytes` into the next flash writes. With spareCompaction the cut lands in the firmware's own
   * writes (queue records, acks, page files, settings), never inside the interpreter's Storage compaction, which is
   * not power-safe on a board either (file-area.ts compact).
   */
  powerCutDuringFlashWrite(bytes: number, o: { spareCompaction?: boolean } = {}): void {
    this.flash.armPowerCut(bytes, o);
  }

  /** Run virtual time forward by `ms`, letting real I/O (sockets) interleave. */
  async runFor(ms: number): Promise<void> {
    await this.runUntil(this.clock.nowMs + ms);
  }

  async runUntil(targetMs: number): Promise<void> {
    const replyWaitMs = this.opts.replyWaitMs ?? 50;
    // Node's own I/O (real sockets, and a gateway in this process) runs between timers whenever a socket was
    // written or had an event, and at least every `yieldEveryMs` of real time otherwise (or of virtual time:
    // yieldEveryVirtualMs, for a replay that must not depend on the machine's speed)
    const virtualYield = this.opts.yieldEveryVirtualMs;
    const yieldEveryMs = virtualYield ?? 4;
    const clockNow = virtualYield === undefined ? () => Date.now() : () => this.clock.nowMs;
    let yieldedAt = virtualYield === undefined ? 0 : this.clock.nowMs;
    for (;;) {
      if (this.net.takeStirred() || clockNow() - yieldedAt >= yieldEveryMs) {
        await yieldTurn();
        await this.net.idle(replyWaitMs);
        yieldedAt = clockNow();
      }
      if (this.pendingReset) this.applyReset();
      if (!this.clock.runNext(targetMs)) {
        await yieldTurn();
        await this.net.idle(replyWaitMs);
        yieldedAt = clockNow();
        if (this.clock.nextDueMs() !== undefined && this.clock.nextDueMs()! <= targetMs) continue;
        this.clock.nowMs = Math.max(this.clock.nowMs, targetMs);
        return;
      }
    }
  }

  /** Run `code` in the program's scope as if it were typed at the board's console, and give back its value. */
  evaluate(code: string): unknown {
    return vm.runInContext(code, this.ctx);
  }

  /** Variables in use by the program, approximated (see memory-estimate.ts). */
  memoryUsage(): number {
    const skip = new Set(this.builtinNames);
    let total = 0;
    const seen = new Set<object>();
    for (const key of Object.keys(this.ctx)) {
      if (skip.has(key)) continue;
      total += 1 + estimateVars((this.ctx as Record<string, unknown>)[key], seen);
    }
    for (const handlers of Object.values(this.eventHandlers)) for (const h of handlers) total += estimateVars(h, seen);
    total += this.clock.count("firmware") * 4;
    return total;
  }

  /** The Storage of the current boot (created at boot, as the interpreter checks its flash when it starts). */
  storage(): VirtualStorage {
    if (!this.storageApi) this.storageApi = createStorage(this.flash, { log: (l) => this.log(l) });
    return this.storageApi;
  }

  private storageApi: VirtualStorage | undefined;
  /** Modules of this boot that hold state (require gives the same object each time, as the interpreter's cache). */
  private modules: Record<string, unknown> = {};

  private builtinNames: string[] = [];

  /** Runs a firmware callback the way the interpreter's event loop does: an error is printed, the program goes on. */
  private call: FirmwareCall = (fn, args) => {
    if (this.poweredOff || this.halted) return;
    try {
      fn(...args);
    } catch (e) {
      if (isPowerCut(e) || this.poweredOff) {
        this.powerCut();
        return;
      }
      const msg = `Uncaught ${e instanceof Error || (e && typeof e === "object" && "message" in e) ? (e as Error).stack ?? (e as Error).message : String(e)}`;
      this.uncaught.push(msg);
      this.log(msg);
    }
  };

  private makeError(message: string): Error {
    return this.realm ? new this.realm.Error(message) : new Error(message);
  }

  private log(line: string): void {
    this.output.push(line);
    this.opts.onLog?.(line);
  }

  private applyReset(): void {
    const { reason, program } = this.pendingReset!;
    this.pendingReset = undefined;
    if (program !== undefined) this.program = program;
    this.boot(reason);
  }

  private boot(reason: ResetReason): void {
    this.resets.push(reason);
    this.clock.cancelOwner("firmware");
    this.clock.cancelOwner("system");
    this.net.powerOff();
    // the link modules are the program's: made again when the new boot requires them
    this.modules = {};
    this.network.follow(undefined);
    this.net.setJoined(true);
    for (const s of this.serials.values()) s.resetFirmwareSide();
    this.eventHandlers = {};
    this.watchdog = undefined;
    this.poweredOff = false;
    this.halted = undefined;
    if (reason === "power-cut" || reason === "power-on") {
      // the interpreter checks its Storage area at every power-on
      this.flash.needsBootCheck = true;
      // No battery-backed clock on these boards: uptime and wall clock start again.
      this.bootMs = this.clock.nowMs;
      this.clockOffsetS = 0;
    }
    this.ctx = this.createContext();
    this.storageApi = undefined;
    try {
      this.storageApi = createStorage(this.flash, { json: this.realm.JSON, log: (l) => this.log(l) });
      vm.runInContext(this.program, this.ctx, { filename: `${this.board.id}.js` });
      this.emit("init");
    } catch (e) {
      if (isPowerCut(e) || this.poweredOff) {
        this.powerCut();
        return;
      }
      // An uncaught error at top level stops the script (docs/espruino.md "Traps").
      this.halted = e instanceof Error || (e && typeof e === "object" && "message" in e) ? String((e as Error).message) : String(e);
      this.log(`Uncaught ${this.halted}`);
    }
  }

  private emit(event: string): void {
    for (const h of this.eventHandlers[event] ?? []) this.call(h, []);
  }

  /** A fresh context holding the interpreter's globals: timers and system, pins and ADC, UARTs, I2C and SPI. */
  private createContext(): vm.Context {
    const ctx = vm.createContext({});
    this.realm = vm.runInContext("({ Error: Error, Uint8Array: Uint8Array, JSON: JSON })", ctx);
    removeMissingBuiltins(ctx);
    installVirtualDate(ctx, () => this.getTime() * 1000);
    installSeededRandom(ctx, this.random);
    this.builtinNames = Object.getOwnPropertyNames(ctx);
    const g = ctx as Record<string, unknown>;
    Object.assign(g, this.timerGlobals(), this.systemGlobals(), this.pinGlobals(), this.busGlobals());
    g.global = vm.runInContext("this", ctx);
    if (this.opts.probe) {
      const probe = this.opts.probe;
      g.MG_PROBE = (kind: string, ...args: unknown[]) => probe(kind, args);
    }
    return ctx;
  }

  /** setTimeout, setInterval and their kin, on the virtual clock. */
  private timerGlobals(): Record<string, unknown> {
    const timer = (repeat: boolean) => (fn: (...a: unknown[]) => unknown, ms?: number, ...args: unknown[]) => {
      if (typeof fn !== "function") throw this.makeError("setTimeout needs a function");
      const delay = Math.max(0, Number(ms) || 0);
      return this.clock.schedule(delay, () => this.call(fn, args), "firmware", repeat ? Math.max(1, delay) : 0);
    };
    const clear = (id?: number) => {
      if (id === undefined) this.clock.cancelOwner("firmware");
      else this.clock.cancel(id);
    };
    return {
      setTimeout: timer(false),
      setInterval: timer(true),
      clearTimeout: clear,
      clearInterval: clear,
      changeInterval: (id: number, ms: number) => this.clock.changeInterval(id, ms),
    };
  }

  /** Time, console, program loading, modules, process and E. */
  private systemGlobals(): Record<string, unknown> {
    return {
      getTime: () => this.getTime(),
      setTime: (seconds: number) => {
        this.clockOffsetS = seconds - this.uptimeSeconds();
      },
      // base64 to a string of bytes and back, as the interpreter's: how the espruino CLI sends a Storage file
      atob: (s: unknown) => Buffer.from(String(s), "base64").toString("latin1"),
      btoa: (s: unknown) => Buffer.from(String(s), "latin1").toString("base64"),
      console: { log: (...a: unknown[]) => this.log(a.map((x) => (typeof x === "string" ? x : String(x))).join(" ")) },
      print: (...a: unknown[]) => this.log(a.map(String).join(" ")),
      quit: () => {
        this.halted = "quit()";
        this.clock.cancelOwner("firmware");
      },
      load: (name?: string) => {
        const code = name ? this.storage().read(name) : this.program;
        if (code === undefined) throw this.makeError(`File ${name} not found`);
        this.pendingReset = { reason: "load", program: code };
      },
      require: (name: string) => this.requireModule(name),
      process: {
        version: "2v29",
        env: { BOARD: this.board.espruinoBoard, VERSION: "2v29" },
        memory: () => {
          const usage = this.memoryUsage();
          return { free: this.board.variables - usage, usage, total: this.board.variables, history: 0 };
        },
      },
      E: this.espruinoE(),
    };
  }

  /** digitalWrite/digitalRead, analogRead, pinMode and a Pin object per pin name. */
  private pinGlobals(): Record<string, unknown> {
    const g: Record<string, unknown> = {
      digitalWrite: (pin: unknown, v: unknown) => {
        const p = this.pins.pin(String(pin));
        p.level = v ? 1 : 0;
        p.writes++;
      },
      digitalRead: (pin: unknown) => this.pins.read(String(pin)),
      // A conversion takes time on the chip (and the interpreter's call around it): a sampling loop that watches
      // getTime() sees time pass, as on a board.
      analogRead: (pin: unknown) => {
        this.clock.nowMs += analogReadMs;
        return this.pins.analogRead(String(pin));
      },
      pinMode: (pin: unknown, mode: string) => {
        this.pins.pin(String(pin)).mode = mode;
      },
    };
    for (const name of standardPinNames()) {
      const pin = this.pins.pin(name);
      g[name] = {
        toString: () => name,
        read: () => pin.level,
        write: (v: unknown) => {
          pin.level = v ? 1 : 0;
          pin.writes++;
        },
        set: () => {
          pin.level = 1;
          pin.writes++;
        },
        reset: () => {
          pin.level = 0;
          pin.writes++;
        },
        mode: (m: string) => {
          pin.mode = m;
        },
        analog: () => this.pins.analogRead(name),
      };
    }
    return g;
  }

  /** The board's UARTs (and software ones, new Serial()), I2C1, and the W5500's SPI bus. */
  private busGlobals(): Record<string, unknown> {
    const self = this;
    const g: Record<string, unknown> = { I2C1: this.i2c.firmwareApi() };
    for (const [name, s] of this.serials) g[name] = s.firmwareApi();
    if (this.board.w5500) g[this.board.w5500.spi] = w5500Bus(this.linkHost());
    // A software UART: new Serial().setup(baud, {rx, tx}) binds to the line named "soft:<rx pin>".
    g.Serial = function SoftSerial() {
      let bound: ReturnType<VirtualSerial["firmwareApi"]> | undefined;
      const pending: [string, unknown[]][] = [];
      const api: Record<string, unknown> = {};
      for (const m of ["write", "print", "println", "on", "removeAllListeners", "available"]) {
        api[m] = (...a: unknown[]) => (bound ? (bound as Record<string, (...x: unknown[]) => unknown>)[m](...a) : pending.push([m, a]));
      }
      api.setup = (baud: number, opts: { rx?: unknown } = {}) => {
        bound = self.serial(`soft:${String(opts.rx)}`).firmwareApi();
        bound.setup(baud, opts);
        for (const [m, a] of pending.splice(0)) (bound as Record<string, (...x: unknown[]) => unknown>)[m](...a);
      };
      return api;
    };
    return g;
  }

  private espruinoE() {
    return {
      CRC32: (data: unknown) => crc32(data),
      // E.sum: the sum of an array's elements; of a string, its bytes (what the VE.Direct checksum uses)
      sum: (data: unknown) => {
        if (typeof data === "string") {
          let t = 0;
          for (let i = 0; i < data.length; i++) t += data.charCodeAt(i);
          return t;
        }
        const a = data as ArrayLike<number>;
        let t = 0;
        for (let i = 0; i < a.length; i++) t += Number(a[i]);
        return t;
      },
      getSizeOf: (v: unknown) => estimateVars(v),
      hwRand: () => (this.random() * 0x100000000) | 0,
      getAnalogVRef: () => 3.3,
      enableWatchdog: (timeoutS: number, isAuto?: boolean) => {
        const timeoutMs = Math.max(1, timeoutS * 1000);
        this.watchdog = { timeoutMs, lastKickMs: this.clock.nowMs, auto: isAuto !== false };
        const check = () => {
          const w = this.watchdog;
          if (!w || this.pendingReset) return;
          if (!w.auto && this.clock.nowMs - w.lastKickMs >= w.timeoutMs) {
            this.pendingReset = { reason: "watchdog" };
            return;
          }
          this.clock.schedule(w.timeoutMs / 4, check, "system");
        };
        this.clock.schedule(timeoutMs / 4, check, "system");
      },
      kickWatchdog: () => {
        if (this.watchdog) this.watchdog.lastKickMs = this.clock.nowMs;
      },
      reboot: () => {
        this.emit("kill");
        this.pendingReset = { reason: "reboot" };
      },
      on: (event: string, cb: (...a: unknown[]) => unknown) => {
        (this.eventHandlers[event] ??= []).push(cb);
      },
      openFile: (path: string, mode: string) => this.openFile(path, mode),
    };
  }

  /** E.openFile (read mode) on the Linux board: the host file under workDir, read in pieces. */
  private openFile(path: string, mode: string) {
    if (this.board.id !== "linux" || mode !== "r") throw this.makeError(`E.openFile(${path}, ${mode}): not available here`);
    const root = this.opts.workDir ?? process.cwd();
    let data: Buffer;
    try {
      data = readFileSync(isAbsolute(path) ? path : resolve(root, path));
    } catch {
      throw this.makeError(`Can't open file ${path}`);
    }
    let at = 0;
    return {
      read: (n: number) => {
        if (at >= data.length) return undefined;
        const s = data.subarray(at, at + n).toString("latin1");
        at += n;
        return s;
      },
      close: () => {},
    };
  }

  private requireModule(name: string): unknown {
    if (name === "Storage") return this.storageForFirmware();
    if (name === "net") return this.net.firmwareModule();
    if (name === "fs" && this.board.id === "linux") return this.fsModule();
    const nets = this.board.networks;
    if (name === "Wifi" && (nets.includes("esp32-wifi") || nets.includes("esp8266-wifi"))) return (this.modules.Wifi ??= wifiModule(this.linkHost()));
    if (name === "WIZnet" && nets.includes("w5500-ethernet")) return (this.modules.WIZnet ??= wiznetModule(this.linkHost()));
    throw this.makeError(`Module ${name} not found`);
  }

  private linkHost(): LinkHost {
    return { clock: this.clock, call: this.call, net: this.net, site: this.network, bytes: (a) => this.realmBytes(a) };
  }

  /** A Uint8Array of the firmware's realm, filled by index (an array of this realm is iterated by its constructor). */
  private realmBytes(a: ArrayLike<number>): Uint8Array {
    const bytes = new this.realm.Uint8Array(a.length);
    for (let i = 0; i < a.length; i++) bytes[i] = a[i];
    return bytes;
  }

  private storageForFirmware() {
    const api = this.storage() as unknown as Record<string, unknown>;
    // A power cut inside a flash write ends the program at once, whatever its try/catch does.
    const guarded: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(api)) {
      guarded[k] = typeof v !== "function" ? v : (...a: unknown[]) => {
        if (this.poweredOff) throw this.makeError("power is off");
        try {
          return (v as (...x: unknown[]) => unknown).apply(api, a);
        } catch (e) {
          if (isPowerCut(e)) this.powerCut();
          throw e;
        }
      };
    }
    return guarded;
  }

  private fsModule() {
    const root = this.opts.workDir ?? process.cwd();
    const read = (path: string) => {
      try {
        return readFileSync(isAbsolute(path) ? path : resolve(root, path)).toString("latin1");
      } catch {
        return undefined;
      }
    };
    return { readFileSync: read, readFile: read };
  }
}
