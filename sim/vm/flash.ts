// NOR flash as the virtual Espruino's Storage area sees it: erased bytes read 0xFF, programming can only clear
// bits (new = old & data), only a whole page can be set back to 0xFF, and every erase wears the page.
// The caller keeps one VirtualFlash per board across reboots and power cuts, exactly as the chip keeps its contents.
//
// Power cuts. armPowerCut(n): the power fails once n more bytes have been programmed. The program() call that
// reaches the n-th byte writes the bytes before the cut and throws PowerCutError; nothing after it happens (a page
// erase that would have followed is never started). n = 0 cuts at the very next program or erase, which does nothing.
// So "power failed after exactly n bytes" is reachable for every n, including "just before an erase".
// armPowerCutOnErase(k): the k-th page erase from now completes, then the power fails. A page whose erase is
// interrupted is modelled as fully erased (real silicon may leave weak bits; this model has no such state); the
// "erase never started" case is a byte cut, above. After a cut the flash stays powered off (every program/erase throws)
// until powerOn(); createStorage() powers it on, as a booting board does.
// armPowerCut(n, { spareCompaction: true }) counts only bytes programmed outside Storage compaction (FileArea runs
// it inside compacting()): the interpreter's compaction is not power-safe (file-area.ts), and a proof of the
// firmware's own writes uses this to place its cuts in them.
// programUnitBytes (default 1) makes programming atomic per aligned unit (4 for the 32-bit word writes of STM32F4 and
// nRF52 flash): a cut inside a unit leaves that whole unit unprogrammed.

/** Thrown out of program()/erasePage() when the power fails. `tag` lets code recognise it across realms. */
export class PowerCutError extends Error {
  readonly tag = "minigrid.power-cut";
  constructor(
    /** What the flash was doing: programming, erasing, or refusing because the power is already off. */
    readonly during: "program" | "erase" | "off",
    /** Flash address (byte offset) where the operation started. */
    readonly address: number,
    /** Bytes this operation programmed before the cut. */
    readonly bytesWritten: number,
  ) {
    super(`power cut during flash ${during} at 0x${address.toString(16)} (${bytesWritten} bytes written)`);
    this.name = "PowerCutError";
  }
}

/** True for a PowerCutError (also one that crossed a vm realm boundary). */
export function isPowerCut(e: unknown): e is PowerCutError {
  return typeof e === "object" && e !== null && (e as { tag?: unknown }).tag === "minigrid.power-cut";
}

export interface FlashGeometry {
  /** Total bytes; a multiple of pageBytes. */
  sizeBytes: number;
  /** Erase unit (Pico: 16 KB sectors, Espruino WiFi: one 64 KB sector, ESP32/nRF52: 4 KB). */
  pageBytes: number;
  /** Bytes programmed atomically (1 = any byte can be torn from its neighbours). */
  programUnitBytes?: number;
}

export interface WearReport {
  pages: number;
  minErases: number;
  maxErases: number;
  totalErases: number;
  bytesProgrammed: number;
  programCalls: number;
  /** Bytes where a program asked for a 1 over a 0 (the result is not what was asked for). */
  conflictBytes: number;
  powerCuts: number;
}

export class VirtualFlash {
  readonly sizeBytes: number;
  readonly pageBytes: number;
  readonly pageCount: number;
  readonly programUnitBytes: number;
  /** The cells. Read freely; change only through program()/erasePage(). */
  readonly bytes: Uint8Array;
  /** Erase count per page (wear). */
  readonly erasesPerPage: Uint32Array;
  bytesProgrammed = 0;
  programCalls = 0;
  conflictBytes = 0;
  powerCuts = 0;
  /** Set at power-on and after every cut; cleared once Storage has checked the flash at boot. */
  needsBootCheck = true;
  private off = false;
  private cutBudget = -1;
  private cutSparesCompaction = false;
  private compactionDepth = 0;
  private cutEraseCountdown = -1;
  private listeners: ((e: PowerCutError) => void)[] = [];

  constructor(geometry: FlashGeometry) {
    const { sizeBytes, pageBytes } = geometry;
    const unit = geometry.programUnitBytes ?? 1;
    if (!(pageBytes >= 64) || sizeBytes % pageBytes !== 0 || sizeBytes <= 0) {
      throw new RangeError(`flash of ${sizeBytes} bytes cannot be split into pages of ${pageBytes} bytes`);
    }
    if (!(unit >= 1) || pageBytes % unit !== 0) throw new RangeError(`program unit ${unit} does not divide the page`);
    this.sizeBytes = sizeBytes;
    this.pageBytes = pageBytes;
    this.pageCount = sizeBytes / pageBytes;
    this.programUnitBytes = unit;
    this.bytes = new Uint8Array(sizeBytes).fill(0xff);
    this.erasesPerPage = new Uint32Array(this.pageCount);
  }

  /** True between a power cut and powerOn(). */
  get poweredOff(): boolean {
    return this.off;
  }

  /** Power returns (the board boots): operations work again and Storage will check the flash once. */
  powerOn(): void {
    this.off = false;
  }

  /** Be told of every power cut at the moment it happens, even if firmware code catches the error. */
  onPowerCut(listener: (e: PowerCutError) => void): void {
    this.listeners.push(listener);
  }

  /** The power fails once `afterBytesProgrammed` more bytes have been programmed (see the file comment). */
  armPowerCut(afterBytesProgrammed: number, o: { spareCompaction?: boolean } = {}): void {
    if (!(afterBytesProgrammed >= 0)) throw new RangeError("armPowerCut needs a byte count >= 0");
    this.cutBudget = Math.floor(afterBytesProgrammed);
    this.cutSparesCompaction = !!o.spareCompaction;
  }

  /** Storage compaction runs inside this (see the file comment on spareCompaction). */
  compacting<T>(work: () => T): T {
    this.compactionDepth++;
    try {
      return work();
    } finally {
      this.compactionDepth--;
    }
  }

  /** The armed byte budget, unless this operation is one the armed cut spares. */
  private budget(): number {
    return this.cutSparesCompaction && this.compactionDepth > 0 ? -1 : this.cutBudget;
  }

  /** The power fails right after the `nthErase`-th page erase from now (1 = the next one). */
  armPowerCutOnErase(nthErase: number): void {
    if (!(nthErase >= 1)) throw new RangeError("armPowerCutOnErase needs a count >= 1");
    this.cutEraseCountdown = Math.floor(nthErase);
  }

  disarmPowerCut(): void {
    this.cutBudget = -1;
    this.cutEraseCountdown = -1;
  }

  /** Page index holding `addr`. */
  pageOf(addr: number): number {
    return Math.floor(addr / this.pageBytes);
  }

  /** A copy of `length` bytes from `addr`. */
  read(addr: number, length: number): Uint8Array {
    this.checkRange(addr, length);
    return this.bytes.slice(addr, addr + length);
  }

  /** Program `data[from..to)` at `addr`: each cell becomes old & new. */
  program(addr: number, data: ArrayLike<number>, from = 0, to = data.length): void {
    const n = to - from;
    this.checkRange(addr, n);
    if (this.off) throw this.cut("off", addr, 0, false);
    let count = n;
    let cutting = false;
    const budget = this.budget();
    if (budget >= 0 && budget <= n) {
      cutting = true;
      count = budget;
      // A unit is programmed whole or not at all: stop at the last unit boundary before the cut.
      const u = this.programUnitBytes;
      if (u > 1 && count < n) count = Math.max(0, Math.floor((addr + count) / u) * u - addr);
    }
    if (n === 0 && !cutting) return;
    const b = this.bytes;
    for (let i = 0; i < count; i++) {
      const d = data[from + i] & 0xff;
      const old = b[addr + i];
      if ((old & d) !== d) this.conflictBytes++;
      b[addr + i] = old & d;
    }
    this.bytesProgrammed += count;
    this.programCalls++;
    if (cutting) throw this.cut("program", addr, count, true);
    if (budget >= 0) this.cutBudget -= n;
  }

  /** Set page `index` to 0xFF and count the erase. */
  erasePage(index: number): void {
    if (!(index >= 0 && index < this.pageCount) || index !== Math.floor(index)) {
      throw new RangeError(`no flash page ${index} (${this.pageCount} pages)`);
    }
    const addr = index * this.pageBytes;
    if (this.off) throw this.cut("off", addr, 0, false);
    if (this.budget() === 0) throw this.cut("erase", addr, 0, true);
    this.bytes.fill(0xff, addr, addr + this.pageBytes);
    this.erasesPerPage[index]++;
    if (this.cutEraseCountdown > 0 && --this.cutEraseCountdown === 0) throw this.cut("erase", addr, 0, true);
  }

  wear(): WearReport {
    let min = Infinity;
    let max = 0;
    let total = 0;
    for (const e of this.erasesPerPage) {
      if (e < min) min = e;
      if (e > max) max = e;
      total += e;
    }
    return {
      pages: this.pageCount,
      minErases: min,
      maxErases: max,
      totalErases: total,
      bytesProgrammed: this.bytesProgrammed,
      programCalls: this.programCalls,
      conflictBytes: this.conflictBytes,
      powerCuts: this.powerCuts,
    };
  }

  private cut(during: PowerCutError["during"], addr: number, written: number, fresh: boolean): PowerCutError {
    const e = new PowerCutError(during, addr, written);
    if (!fresh) return e;
    this.disarmPowerCut();
    this.off = true;
    this.needsBootCheck = true;
    this.powerCuts++;
    for (const l of this.listeners) l(e);
    return e;
  }

  private checkRange(addr: number, length: number): void {
    if (!(addr >= 0 && length >= 0 && addr + length <= this.sizeBytes) || addr !== Math.floor(addr)) {
      throw new RangeError(`flash access 0x${Number(addr).toString(16)}+${length} is outside ${this.sizeBytes} bytes`);
    }
  }
}
