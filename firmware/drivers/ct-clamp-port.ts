// Sampling for a CT clamp: reads an ADC pin through a function passed in (on a board, () => analogRead(pin)),
// in windows of exactly one mains period measured on a clock (getTime), and turns the sums into a reading and
// a quality. The arithmetic is in ct-clamp.ts.
//
// Whole cycles by time: each window samples in a tight loop until 1/hz seconds have passed, so the window is a
// whole mains cycle to within one sample, at whatever rate the interpreter manages. This needs the mains
// frequency (50 or 60 Hz, configured); an inverter-fed mini-grid holds it closely, and a generator 2 % off over
// a 10-cycle measurement leaves a part-cycle of 0.2, an RMS error well under 1 %.
// A tight loop blocks the interpreter, and UART input (VE.Direct, Modbus) queues meanwhile in a small buffer;
// measure() therefore takes one window per timer tick, so other events run between windows; burst() takes all
// windows back to back.

import { CtReading, CtRms } from "./ct-clamp";

/** Quality letters as on the wire (DESIGN.md guarantee 5; firmware/protocol Quality): ok, estimated, failed. */
export const CT_OK = "o";
export const CT_ESTIMATED = "e";
export const CT_FAILED = "f";

export interface CtPortOptions {
  /** Mains frequency, 50 (default) or 60 Hz. */
  hz?: number;
  /** Mains cycles per measurement. Default 10. */
  cycles?: number;
  /** Most samples in one window, so that a clock that does not move cannot hang the loop. Default 1000. */
  max?: number;
  /** DC bias of the input as a fraction of Vref; a mean sample further than 0.2 from it means the bias
   * divider or the input is broken. Default 0.5. */
  bias?: number;
}

/** Counters since boot. */
export interface CtCounters {
  ok: number;
  est: number;
  failed: number;
}

/** Fewer samples per cycle than this cannot follow the harmonics of a real load (protocols.md). */
const MIN_PER_CYCLE = 20;

export class CtPort {
  private a: CtRms;
  private ri: () => number;
  private rv: (() => number) | undefined;
  private t: () => number;
  private hz: number;
  private nc: number;
  private mx: number;
  private b: number;
  private q = CT_FAILED;
  /** A window of this measurement ended at `max` samples instead of at the period. */
  private cut = false;
  private cnt = new Uint32Array(3);

  /**
   * readI (and readV with a voltage reference) return analogRead() values; now returns seconds (getTime).
   */
  constructor(acc: CtRms, readI: () => number, now: () => number, o: CtPortOptions, readV?: () => number) {
    this.a = acc;
    this.ri = readI;
    this.rv = readV;
    this.t = now;
    this.hz = o.hz ?? 50;
    this.nc = o.cycles ?? 10;
    this.mx = o.max ?? 1000;
    this.b = o.bias ?? 0.5;
  }

  /** Samples one mains period in a tight loop; returns the number of samples. */
  cycle(): number {
    const acc = this.a;
    const ri = this.ri;
    const rv = this.rv;
    const now = this.t;
    const mx = this.mx;
    const end = now() + 1 / this.hz;
    let k = 0;
    acc.gap();
    if (rv) {
      while (k < mx && now() < end) {
        acc.add(ri(), rv());
        k++;
      }
    } else {
      while (k < mx && now() < end) {
        acc.add(ri());
        k++;
      }
    }
    if (k >= mx) this.cut = true;
    return k;
  }

  /** All cycles back to back (blocks for cycles/hz seconds). */
  burst(): CtReading | undefined {
    this.start();
    for (let c = 0; c < this.nc; c++) this.cycle();
    return this.finish();
  }

  /** One cycle per timer tick; calls done with the reading (undefined when the sensor failed). */
  measure(done: (r: CtReading | undefined) => void): void {
    this.start();
    let c = 0;
    const step = () => {
      this.cycle();
      if (++c < this.nc) setTimeout(step, 0);
      else done(this.finish());
    };
    setTimeout(step, 0);
  }

  /** Quality of the last measurement: CT_OK, CT_ESTIMATED (too few samples per cycle, clipped, window cut
   * short) or CT_FAILED (no samples, bias lost). */
  quality(): string {
    return this.q;
  }

  counters(): CtCounters {
    return { ok: this.cnt[0], est: this.cnt[1], failed: this.cnt[2] };
  }

  private start(): void {
    this.a.clear();
    this.cut = false;
  }

  private finish(): CtReading | undefined {
    const r = this.a.result();
    if (!r || Math.abs(r.dc - this.b) > 0.2) {
      this.q = CT_FAILED;
      this.cnt[2]++;
      return undefined;
    }
    this.q = r.clip > 0 || this.cut || r.n < MIN_PER_CYCLE * this.nc ? CT_ESTIMATED : CT_OK;
    this.cnt[this.q === CT_OK ? 0 : 1]++;
    return r;
  }
}
