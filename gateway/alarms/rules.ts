// Pure evaluation of the alarm rules for one node: frames of readings in, raise/clear transitions out. No database,
// no clock, no bus: the alarm service feeds it what the store holds (rules.test feeds synthetic series).
import type { RuleTiming, SiteAlarmsConfig, Severity } from "./config";
import { Condition, DebounceState, highCondition, lowCondition, newDebounce, step } from "./debounce";
import { expectedPv_W } from "./solar";

/** One channel's value in a frame; q is the quality letter (o ok, s stale, e estimated, f sensor failed). */
export interface Reading {
  v: number | null;
  q: string;
}

/**
 * The readings of one row time of a node. r is keyed by channel key for the channel's main aggregation
 * ("battery_V": the mean) and by "key:agg" for every channel ("battery_V:min").
 */
export interface Frame {
  ts: number;
  span_ms: number;
  r: { [key: string]: Reading };
}

export interface Transition {
  rule: string;
  kind: "raised" | "cleared";
  ts: number;
  severity: Severity;
  message: string;
  value: number | null;
}

interface Snapshot {
  ts: number;
  pv: number;
  chg: number;
  dis: number;
  load: number;
}

const energyKeys = ["pv_Wh", "battery_charge_Wh", "battery_discharge_Wh", "load_Wh"];

function usable(r: Reading | undefined): number | null {
  return r && r.q !== "f" && r.v !== null ? r.v : null;
}

function fmt(v: number): string {
  return String(Math.round(v * 100) / 100);
}

/** The alarm states of one node of one site, with the state machines of every rule. */
export class NodeAlarms {
  readonly st: { [rule: string]: DebounceState } = {};
  private snaps: Snapshot[] = [];

  /** The nominal bank voltage recognised from the node's first battery voltage reading. */
  private bankV: number | undefined;

  /** activeRules: the rules whose alarm is open in the store, so that a restart neither re-raises nor forgets them. */
  constructor(activeRules: string[] = []) {
    for (const r of activeRules) this.st[r] = newDebounce(true);
  }

  isActive(rule: string): boolean {
    return this.st[rule] !== undefined && this.st[rule].active;
  }

  /** Evaluate every rule over one frame. */
  evaluate(f: Frame, cfg: SiteAlarmsConfig): Transition[] {
    const out: Transition[] = [];
    const soc = usable(f.r.battery_soc_pct);
    const c = cfg.soc_low;
    this.feed(out, f, "soc_low", c, lowCondition(soc, c.raise_below_pct, c.clear_above_pct), soc, (v) => `battery state of charge ${fmt(v)} % (alarm below ${c.raise_below_pct} %)`);

    const batV = usable(f.r.battery_V);
    const bv = cfg.battery_low_V;
    if (this.bankV === undefined && batV !== null) this.bankV = batV < 18 ? 12 : batV < 36 ? 24 : 48;
    const k = bv.toBank ? (cfg.battery_system_V ?? this.bankV ?? 48) / 48 : 1; // the defaults are for a 48 V bank
    const below = Math.round(bv.raise_below_V * k * 100) / 100;
    const above = Math.round(bv.clear_above_V * k * 100) / 100;
    this.feed(out, f, "battery_low_V", bv, lowCondition(batV, below, above), batV, (v) => `battery voltage ${fmt(v)} V (alarm below ${below} V)`);

    for (const name of ["charger_fault", "inverter_fault"] as const) {
      const code = usable(f.r[name]);
      const cond: Condition = code === null ? "unknown" : code !== 0 ? "raise" : "clear";
      this.feed(out, f, name, cfg[name], cond, code, (v) => `${name.replace("_", " ")} code ${v}`);
    }

    const rating = cfg.inverter_rating_W;
    if (rating) {
      const w = usable(f.r.ac_out_W);
      const o = cfg.overload;
      const cond = highCondition(w, rating * o.raise_above_frac, rating * o.clear_below_frac);
      this.feed(out, f, "overload", o, cond, w, (v) => `AC output ${fmt(v)} W over the inverter rating of ${rating} W`);
    }

    this.sensors(out, f, cfg.sensor_failed);
    this.pvLow(out, f, cfg, soc);
    this.energyBalance(out, f, cfg.energy_balance);
    return out;
  }

  /** The node's MQTT state changed (online false: its will or silence). ts: when. */
  nodeState(ts: number, online: boolean, cfg: SiteAlarmsConfig): Transition[] {
    const out: Transition[] = [];
    this.feed(out, { ts, span_ms: 0, r: {} }, "node_offline", cfg.node_offline, online ? "clear" : "raise", null, () => "node offline");
    return out;
  }

  /** Time passes without news: an offline node's alarm raises once raise_after_s is reached. */
  tick(ts: number, cfg: SiteAlarmsConfig): Transition[] {
    const s = this.st.node_offline;
    if (!s || s.active || s.since < 0) return [];
    return this.nodeState(ts, false, cfg);
  }

  /** True while an offline node waits for its alarm (the service ticks only then). */
  offlinePending(): boolean {
    const s = this.st.node_offline;
    return s !== undefined && !s.active && s.since >= 0;
  }

  private feed(out: Transition[], f: Frame, rule: string, t: RuleTiming, cond: Condition, value: number | null, message: (v: number) => string): void {
    if (!t.enabled) return;
    const s = this.st[rule] ?? (this.st[rule] = newDebounce());
    const change = step(s, f.ts, f.span_ms, cond, t);
    if (!change) return;
    // a condition other than "unknown" implies a value for the rules whose message shows one
    out.push({ rule, kind: change, ts: f.ts + f.span_ms, severity: t.severity, message: message(value ?? 0), value });
  }

  /**
   * sensor_failed:<device>: one alarm per device, not one per channel (an unplugged battery monitor fails nine
   * channels at once): raised when any of the device's channels has quality 'f' for raise_after_s, cleared when none
   * has for clear_after_s. The message names the failed channels.
   */
  private sensors(out: Transition[], f: Frame, t: RuleTiming): void {
    // the failed channels of each device in the frame (an empty list: the device reported, nothing failed)
    const failed: { [device: string]: string[] } = {};
    for (const k of Object.keys(f.r)) {
      if (k.indexOf(":") >= 0) continue;
      const list = (failed[sensorDevice(k)] ??= []);
      if (f.r[k]!.q === "f") list.push(k);
    }
    const devices = Object.keys(failed);
    for (const rule of Object.keys(this.st)) if (rule.startsWith("sensor_failed:") && !failed[rule.slice(14)]) devices.push(rule.slice(14));
    for (const d of devices) {
      const list = failed[d];
      const cond: Condition = !list ? "unknown" : list.length > 0 ? "raise" : "clear";
      this.feed(out, f, "sensor_failed:" + d, t, cond, null, () => `${deviceNames[d] ?? d} failed (${(list ?? []).join(", ")})`);
    }
  }

  /** pv_low: in daylight, PV power below a fraction of the expectation, unless the battery is nearly full. */
  private pvLow(out: Transition[], f: Frame, cfg: SiteAlarmsConfig, soc: number | null): void {
    const p = cfg.pv_low;
    if (!cfg.pv_kWp || cfg.latitude_deg === undefined || cfg.longitude_deg === undefined) return;
    const pv = usable(f.r.pv_W);
    const mid = f.ts + f.span_ms / 2;
    const expected = expectedPv_W(mid, { ...p, kWp: cfg.pv_kWp, latitude_deg: cfg.latitude_deg, longitude_deg: cfg.longitude_deg });
    let cond: Condition = "unknown";
    if (pv !== null && expected !== null && !(soc !== null && soc >= p.skip_above_soc_pct)) {
      const ratio = pv / expected;
      cond = ratio < p.raise_below_frac ? "raise" : ratio > p.clear_above_frac ? "clear" : "between";
    }
    this.feed(out, f, "pv_low", p, cond, pv, (v) => `PV ${fmt(v)} W, expected about ${fmt(expected ?? 0)} W`);
  }

  /**
   * energy_balance over a sliding window of window_s, from the Wh counters: losses = (PV + battery discharge) -
   * (load + battery charge). Raised when losses are negative beyond the tolerance (energy from nowhere: a counter or
   * a wiring fault) or above max_loss_frac of the energy in plus the tolerance (an unmetered load, a failing part).
   */
  private energyBalance(out: Transition[], f: Frame, e: SiteAlarmsConfig["energy_balance"]): void {
    if (!e.enabled) return;
    const vals = energyKeys.map((k) => usable(f.r[k]));
    let cond: Condition = "unknown";
    let loss: number | null = null;
    let inWh = 0;
    if (vals.every((v) => v !== null)) {
      const now: Snapshot = { ts: f.ts + f.span_ms, pv: vals[0]!, chg: vals[1]!, dis: vals[2]!, load: vals[3]! };
      const last = this.snaps[this.snaps.length - 1];
      if (last && (now.pv < last.pv || now.chg < last.chg || now.dis < last.dis || now.load < last.load)) this.snaps = [];
      this.snaps.push(now);
      const cut = now.ts - e.window_s * 1000;
      let k = -1;
      for (let i = 0; i < this.snaps.length && this.snaps[i].ts <= cut; i++) k = i;
      if (k > 0) this.snaps.splice(0, k);
      if (k >= 0) {
        const s0 = this.snaps[0];
        inWh = now.pv - s0.pv + (now.dis - s0.dis);
        loss = inWh - (now.load - s0.load + (now.chg - s0.chg));
        if (inWh >= e.min_in_Wh) {
          const tol = Math.max(e.tolerance_Wh, e.tolerance_frac * inWh);
          cond = loss < -tol || loss > e.max_loss_frac * inWh + tol ? "raise" : "clear";
        }
      }
    }
    this.feed(out, f, "energy_balance", e, cond, loss, (v) => `energy balance off by ${fmt(v)} Wh of ${fmt(inWh)} Wh in over ${e.window_s / 3600} h`);
  }
}

/** Human names of the devices sensorDevice() returns. */
const deviceNames: { [device: string]: string } = { battery: "battery monitor", charger: "charge controller", inverter: "inverter" };

/**
 * The device a channel key comes from (firmware/protocol/channels.ts): battery_* the battery monitor, pv_*, charge_*,
 * charger_* and load_* the charge controller, ac_out_* and inverter_* the inverter, feeder<n>_* an INA226, ct<n>_*
 * a CT clamp; anything else is its own device.
 */
export function sensorDevice(key: string): string {
  const m = /^(feeder\d+|ct\d+)_/.exec(key);
  if (m) return m[1];
  const head = key.split("_")[0];
  if (head === "battery") return "battery";
  if (head === "pv" || head === "charge" || head === "charger" || head === "load") return "charger";
  if (head === "ac" || head === "inverter") return "inverter";
  return key;
}
