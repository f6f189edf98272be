// A fleet update in waves (docs/updates.md "Rollouts"): a share of the nodes at a time; the next wave begins once
// every update of the current one has ended, unless the wave's failures (failed or rolled back) passed the
// threshold: then the rollout stops, and the nodes not yet reached keep the firmware they run.
import type { UpdateRecord, UpdateService } from "./service";

export interface RolloutOptions {
  /** Share of the nodes in each wave, 0..1 (at least one node a wave). */
  waveShare: number;
  /** Share of a wave's nodes that may fail (failed or rolled back) for the rollout to go on, 0..1. */
  maxFailureShare: number;
  force?: boolean;
}

export type RolloutState = "running" | "done" | "stopped";

export interface RolloutRecord {
  image: { version: string };
  waves: string[][];
  /** The wave under way (0-based), or the last one once the rollout has ended. */
  wave: number;
  state: RolloutState;
  /** "site/node" to its update's outcome: updated, rolled-back, failed, or refused (with the reason). */
  outcome: { [node: string]: { state: string; why?: string } };
  why?: string;
}

/** The waves for `nodes` ("site/node"), in order: ceil(share x count) nodes each. */
export function planWaves(nodes: string[], waveShare: number): string[][] {
  if (!(waveShare > 0 && waveShare <= 1)) throw new RangeError("waveShare must be in (0, 1]");
  const size = Math.max(1, Math.ceil(waveShare * nodes.length));
  const waves: string[][] = [];
  for (let i = 0; i < nodes.length; i += size) waves.push(nodes.slice(i, i + size));
  return waves;
}

const ended = (s: string) => s === "updated" || s === "rolled-back" || s === "failed";

/**
 * Run a rollout of `image` (the text of a built file) to `nodes`; resolves with its record once it has ended.
 * `poll` waits between looks at the wave's updates (a timer in the gateway, virtual time in a simulation).
 */
export async function rollout(updates: UpdateService, nodes: string[], image: string, o: RolloutOptions, poll: () => Promise<void>, onChange?: (r: RolloutRecord) => void): Promise<RolloutRecord> {
  if (!(o.maxFailureShare >= 0 && o.maxFailureShare <= 1)) throw new RangeError("maxFailureShare must be in [0, 1]");
  const version = /^\/\*minigrid \S+ (\S+)\*\//.exec(image)?.[1] ?? "?";
  const r: RolloutRecord = { image: { version }, waves: planWaves(nodes, o.waveShare), wave: 0, state: "running", outcome: {} };
  for (; r.wave < r.waves.length; r.wave++) {
    const wave = r.waves[r.wave];
    for (const key of wave) {
      const [site, node] = key.split("/");
      try {
        await updates.start(site, node, image, { force: o.force });
      } catch (e) {
        r.outcome[key] = { state: "refused", why: (e as Error).message };
      }
    }
    onChange?.(r);
    for (;;) {
      let open = 0;
      for (const key of wave) {
        if (r.outcome[key]?.state === "refused") continue;
        const [site, node] = key.split("/");
        const u: UpdateRecord | undefined = updates.get(site, node);
        if (u && ended(u.state)) r.outcome[key] = { state: u.state, why: u.why };
        else open++;
      }
      if (open === 0) break;
      await poll();
    }
    const failures = wave.filter((k) => r.outcome[k].state !== "updated").length;
    onChange?.(r);
    if (failures / wave.length > o.maxFailureShare) {
      r.state = "stopped";
      r.why = `wave ${r.wave + 1}: ${failures} of ${wave.length} nodes not updated, over the ${Math.round(o.maxFailureShare * 100)} % allowed`;
      onChange?.(r);
      return r;
    }
  }
  r.wave = r.waves.length - 1;
  r.state = "done";
  onChange?.(r);
  return r;
}
