// The site model: from a PV power or irradiance trace and a site description, a mini-grid's state minute by
// minute: PV the array could give, what the loads draw (hourly profile per feeder, seeded noise), the inverter's
// draw and losses, the charge controller's stages (bulk at its current limit, absorption held at its voltage until
// time or tail current, float), battery state of charge and terminal voltage (OCV curve of the chemistry plus
// I x R), low-voltage disconnect of the loads and their reconnect. Values a trace measured (battery_V, soc_pct,
// load_W ...) replace the model's own, so a real log replays as it was. Deterministic for a seed.
import { Trace, valueAt } from "../traces/canonical";
import { Chemistry, chargeResistanceFactor, chemistries, ocvPerCell } from "./battery";
import { SiteDescription, withDefaults, FullSiteDescription } from "./site-description";
import { xorshift32 } from "../random";

export type ChargeStage = "night" | "bulk" | "absorption" | "float";

export interface SiteState {
  pv_W: number;
  pv_V: number;
  battery_V: number;
  battery_A: number;
  soc_pct: number;
  /** What the controller's load output delivers: DC feeders and the inverter's input. */
  load_W: number;
  feeders: { bus_V: number; current_A: number }[];
  ct_A: number[];
  stage?: ChargeStage;
  loadOn?: boolean;
  pvAvailable_W?: number;
  inverterLoss_W?: number;
  system_V?: number;
  capacity_Ah?: number;
}

export interface SiteModelOptions {
  seed?: number;
  /** Seconds added to the time before the trace is read (a fleet's sites see the weather at other hours). */
  shift_s?: number;
  /** Model time origin: the first step (default the trace's first row). */
  start_unix?: number;
}

const prng = (seed: number) => xorshift32(seed, 0x9e3779b9);

/** Where in the trace time t falls: the trace repeats (by whole days when it is a day or longer). */
function traceTime(trace: Trace, t: number): number {
  const n = trace.t.length;
  const first = trace.t[0];
  const step = n > 1 ? (trace.t[n - 1] - first) / (n - 1) : 60;
  const span = trace.t[n - 1] - first + step;
  const period = span >= 86400 ? Math.floor(span / 86400) * 86400 : span;
  return first + ((((t - first) % period) + period) % period);
}

/** Steps a site model keeps behind the newest it was asked for (an hour at 1-minute steps; the device models read the present). */
const KEEP_STEPS = 60;

export class SiteModel {
  readonly d: FullSiteDescription;
  readonly start: number;
  private readonly trace: Trace;
  private readonly shift: number;
  private readonly rand: () => number;
  /** The states of steps `first`.. (a site's board only moves forward: older ones are let go, see at). */
  private states: SiteState[] = [];
  private first = 0;
  private readonly peak_W: number;
  private soc: number;
  private stage: ChargeStage = "night";
  private stageSince = 0;
  private loadOn = true;
  private lowSince = -1;

  constructor(desc: SiteDescription, trace: Trace, o: SiteModelOptions = {}) {
    if (trace.t.length === 0) throw new Error("the trace has no rows");
    this.d = withDefaults(desc);
    this.trace = trace;
    this.shift = o.shift_s ?? 0;
    this.rand = prng(o.seed ?? 1);
    this.start = o.start_unix ?? trace.t[0];
    this.soc = this.d.battery.initialSoc_pct;
    const pv = trace.cols.pv_W;
    let max = 0;
    if (pv) for (let i = 0; i < pv.length; i++) if (pv[i] > max) max = pv[i];
    this.peak_W = this.d.trace_kWp ? this.d.trace_kWp * 1000 : max || 1;
  }

  /**
   * The state at Unix time t (steps of d.step_s; before the start, the first step). The model integrates forward
   * (state of charge, charge stage), so it keeps only the last KEEP_STEPS steps before the newest asked for: a
   * fleet's site held every minute of its run (100 sites: 90 MB a day); an older step is an error.
   */
  at(t: number): SiteState {
    const k = Math.max(0, Math.floor((t - this.start) / this.d.step_s));
    const st = this.states;
    while (this.first + st.length <= k) st.push(this.step(this.start + (this.first + st.length) * this.d.step_s));
    if (k < this.first) throw new Error(`the site model runs forward: step ${k} was asked for after step ${this.first + KEEP_STEPS} (it keeps the last ${KEEP_STEPS})`);
    if (st.length > 2 * KEEP_STEPS) {
      const drop = st.length - KEEP_STEPS;
      this.states = st.slice(drop);
      this.first += drop;
    }
    return this.states[k - this.first];
  }

  /** PV power the array could give at t (W), before the controller limits it. */
  pvAvailable(t: number): number {
    const tt = traceTime(this.trace, t + this.shift);
    const kWp = this.d.array_kWp;
    if (this.trace.cols.pv_W) return Math.max(0, ((valueAt(this.trace, "pv_W", tt) || 0) / this.peak_W) * kWp * 1000);
    if (this.trace.cols.irradiance_Wm2) return Math.max(0, ((valueAt(this.trace, "irradiance_Wm2", tt) || 0) / 1000) * kWp * 1000 * this.d.derate);
    return 0;
  }

  private measured(col: keyof Trace["cols"], t: number): number {
    return this.trace.cols[col] ? valueAt(this.trace, col, traceTime(this.trace, t + this.shift)) : NaN;
  }

  private step(t: number): SiteState {
    const d = this.d;
    const b = d.battery;
    const c = chemistries[b.chemistry as Chemistry];
    const dt = d.step_s;
    const cells = Math.round(b.system_V / c.cellNominal_V); // 12 V: 6 lead-acid cells, 4 LiFePO4
    const cap_Ah = (b.kWh * 1000) / b.system_V;
    const R = (c.r_OhmAh / cap_Ah) * cells;
    const hour = Math.floor(((((t / 3600 + d.utcOffset_h) % 24) + 24) % 24));

    const pvAvail = this.pvAvailable(t);
    let dc_W = 0;
    let ac_W = 0;
    const feederW = d.feeders.map((f) => {
      const w = this.loadOn ? Math.max(0, f.profile_W[hour] * (1 + d.loadNoise * (2 * this.rand() - 1))) : 0;
      if (f.kind === "ac") ac_W += w;
      else dc_W += w;
      return w;
    });
    // an inverter at its rating limits what it gives (the feeders get their share)
    const acScale = ac_W > d.inverter.rating_W ? d.inverter.rating_W / ac_W : 1;
    ac_W *= acScale;
    const invIn_W = this.loadOn ? ac_W / d.inverter.efficiency + d.inverter.idle_W : 0;
    const load_W = dc_W + invIn_W;

    // charge stages (a new day starts in bulk)
    if (pvAvail < 1) this.stage = "night";
    else if (this.stage === "night") [this.stage, this.stageSince] = ["bulk", t];
    const ocv = ocvPerCell(c, this.soc) * cells;
    const iMax = c.maxCharge_Crate * cap_Ah;
    const Rch = R * chargeResistanceFactor(c, this.soc);
    const hold = (v_cell: number) => Math.max(0, (v_cell * cells - ocv) / Rch);
    if (this.stage === "bulk" && hold(c.absorption_V) <= iMax) [this.stage, this.stageSince] = ["absorption", t];
    if (this.stage === "absorption" && (t - this.stageSince >= c.absorption_h * 3600 || hold(c.absorption_V) < c.tail_Crate * cap_Ah)) [this.stage, this.stageSince] = ["float", t];
    const iLimit = Math.min(iMax, hold(this.stage === "float" ? c.float_V : c.absorption_V));
    const surplus = pvAvail - load_W;
    let I: number;
    if (surplus > 0 && this.stage !== "night") I = Math.min(surplus / ocv, iLimit);
    else I = Math.min(0, surplus) / ocv;
    if (this.soc <= 0 && I < 0) I = 0;
    const V = ocv + I * (I > 0 ? Rch : R);
    const pv_W = this.stage === "night" ? 0 : Math.max(0, Math.min(pvAvail, load_W + I * V));
    this.soc += ((I > 0 ? I * c.chargeEff : I) * dt) / 3600 / cap_Ah * 100;
    this.soc = Math.min(100, Math.max(0, this.soc));

    // low-voltage disconnect (held lvdHold_s) and reconnect
    if (this.loadOn && (V < c.lvd_V * cells || this.soc <= 0)) {
      if (this.lowSince < 0) this.lowSince = t;
      if (t - this.lowSince >= d.lvdHold_s) this.loadOn = false;
    } else this.lowSince = -1;
    if (!this.loadOn && V >= c.lvr_V * cells) this.loadOn = true;

    const sun = Math.min(1, pvAvail / (d.array_kWp * 1000));
    const s: SiteState = {
      pv_W,
      pv_V: pvAvail > 1 ? b.system_V * 1.45 + 2 * sun : 1.97,
      battery_V: V,
      battery_A: I,
      soc_pct: this.soc,
      load_W,
      feeders: [],
      ct_A: [],
      stage: this.stage,
      loadOn: this.loadOn,
      pvAvailable_W: pvAvail,
      inverterLoss_W: invIn_W - ac_W,
      system_V: b.system_V,
      capacity_Ah: cap_Ah,
    };
    d.feeders.forEach((f, k) => {
      if (f.kind === "ac") s.ct_A.push((feederW[k] * acScale) / d.inverter.ac_V);
      else s.feeders.push({ bus_V: V, current_A: feederW[k] / V });
    });
    // a real log's own values come first
    for (const col of ["pv_W", "battery_V", "battery_A", "soc_pct", "load_W"] as const) {
      const m = this.measured(col, t);
      if (!Number.isNaN(m) && !(col === "pv_W" && this.trace.cols.battery_V === undefined)) s[col] = m;
    }
    const pvV = this.measured("pv_V", t);
    if (!Number.isNaN(pvV)) s.pv_V = pvV;
    return s;
  }
}

/** The model as the function of Unix time the device models read. */
export function siteModelFn(desc: SiteDescription, trace: Trace, o: SiteModelOptions = {}): (t: number) => SiteState {
  const m = new SiteModel(desc, trace, o);
  return (t) => m.at(t);
}
