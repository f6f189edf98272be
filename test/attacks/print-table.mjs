// Prints the attack suite's log (test/attacks/record.ts) as a table, then removes it. Run by `npm run attacks`.
import { existsSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const log = process.env.MINIGRID_ATTACK_LOG || join(tmpdir(), "minigrid-attacks.jsonl");
const rows = existsSync(log) ? readFileSync(log, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l)) : [];
rmSync(log, { force: true });
const head = ["attack", "tried", "refused", "lost", "note"];
const cells = rows.map((r) => [r.attack, r.tried, `${r.refused}/${r.attempts}`, String(r.lost), r.note ?? ""]);
const width = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
const line = (c) => c.map((x, i) => x.padEnd(width[i])).join(" | ");
console.log(line(head));
console.log(width.map((w) => "-".repeat(w)).join("-|-"));
for (const c of cells) console.log(line(c));
const lost = rows.reduce((a, r) => a + r.lost, 0);
console.log(`\n${rows.length} attacks, ${lost} lost`);
process.exitCode = lost > 0 ? 1 : 0;
