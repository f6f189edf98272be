// One alarm's state machine (per rule + site + node): raise when the raise condition has held for raise_after_s,
// clear when the clear condition has held for clear_after_s. Between the two thresholds (hysteresis band) a pending
// change is abandoned; without data (`unknown`) nothing changes, so a gap neither raises nor clears.

/** What one reading says: past the raise threshold, past the clear threshold, in between, or nothing known. */
export type Condition = "raise" | "clear" | "between" | "unknown";

export interface DebounceState {
  active: boolean;
  /** Start (Unix ms) of the current run of readings that would change the state, or -1. */
  since: number;
  /** End (Unix ms) of the last reading seen: readings at or before it are ignored (a backlog is not re-judged). */
  last: number;
}

export interface Timing {
  raise_after_s: number;
  clear_after_s: number;
}

export function newDebounce(active = false): DebounceState {
  return { active, since: -1, last: -Infinity };
}

/**
 * Feed one reading covering [ts, ts + span_ms). The condition counts as held from the start of the first reading
 * of the run to the end of this one, so with 60 s rows and raise_after_s = 300 the fifth row raises.
 * Returns "raised" or "cleared" on a change, else null. Mutates `st`.
 */
export function step(st: DebounceState, ts: number, span_ms: number, cond: Condition, timing: Timing): "raised" | "cleared" | null {
  if (ts < st.last) return null;
  st.last = ts + span_ms;
  if (cond === "unknown") return null;
  const wants = st.active ? "clear" : "raise";
  if (cond !== wants) {
    st.since = -1;
    return null;
  }
  if (st.since < 0) st.since = ts;
  const need_ms = (st.active ? timing.clear_after_s : timing.raise_after_s) * 1000;
  if (ts + span_ms - st.since < need_ms) return null;
  st.active = !st.active;
  st.since = -1;
  return st.active ? "raised" : "cleared";
}

/** Condition of a "too low" reading with hysteresis: raise below `raise`, clear above `clear` (clear > raise). */
export function lowCondition(v: number | null | undefined, raise: number, clear: number): Condition {
  if (v === null || v === undefined || v !== v) return "unknown";
  if (v < raise) return "raise";
  if (v > clear) return "clear";
  return "between";
}

/** Condition of a "too high" reading with hysteresis: raise above `raise`, clear below `clear` (clear < raise). */
export function highCondition(v: number | null | undefined, raise: number, clear: number): Condition {
  if (v === null || v === undefined || v !== v) return "unknown";
  if (v > raise) return "raise";
  if (v < clear) return "clear";
  return "between";
}
