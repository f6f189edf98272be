// The attack suite's record: every attack test says what it tried, how much of it the product refused, and what
// of the real data was lost (which must be 0). One line each on stdout, and one JSON line in the suite's log
// (MINIGRID_ATTACK_LOG, default <tmp>/minigrid-attacks.jsonl), which `npm run attacks` prints as a table at the end.
import { appendFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface AttackRecord {
  /** Short name, e.g. "client id takeover". */
  attack: string;
  /** What was tried, with its count: "200 CONNECTs with another node's client id". */
  tried: string;
  /** How many of the attempts were refused (or counted as rejected). */
  refused: number;
  /** How many attempts there were. */
  attempts: number;
  /** Real data lost because of the attack (batches, commands): 0 is the goal. */
  lost: number;
  /** A figure worth keeping (a delay, a counter), free text. */
  note?: string;
}

export const attackLog = process.env.MINIGRID_ATTACK_LOG || join(tmpdir(), "minigrid-attacks.jsonl");

export function recordAttack(r: AttackRecord): void {
  console.log(`attack: ${r.attack}: tried ${r.tried}; refused ${r.refused} of ${r.attempts}; lost ${r.lost}${r.note ? "; " + r.note : ""}`);
  appendFileSync(attackLog, JSON.stringify(r) + "\n");
}
