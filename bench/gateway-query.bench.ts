// History query on a year of 1-minute data: 525,600 rows per channel, three channels of one node, in a real SQLite
// file. Figures: the time to build the data set (samples and rollups), and the median time of the history query
// downsampling the year of one channel to 1,000 points (target under 50 ms).
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { Store } from "../gateway/storage/store";
import { ensureRollupSchema, updateRollups } from "../gateway/api/rollup";
import { historyQuery } from "../gateway/api/history";

const rows = 525_600;
const channels = [1, 6, 22];
const t0 = Date.UTC(2025, 0, 1);

export async function bench(): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), "minigrid-gwq-"));
  // the gateway's own store (WAL, its schema); NORMAL sync only to keep the build short
  const store = Store.open(join(dir, "gateway.db"), { synchronous: "NORMAL" });
  const db = store.db;
  try {
    ensureRollupSchema(db);
    const started = performance.now();
    db.prepare("INSERT INTO nodes (site, node, first_seen, last_seen, online) VALUES ('bench', 'n1', ?, ?, 1)").run(t0, t0 + rows * 60_000);
    for (const id of channels) db.prepare("INSERT INTO channels VALUES ('bench', 'n1', ?, ?, 'mean', 1)").run(id, "ch" + id + "_W");
    const ins = db.prepare("INSERT INTO samples (site, node, channel_id, ts, value, quality) VALUES ('bench', 'n1', ?, ?, ?, 'o')");
    // one batch a day, as a node that reports each minute would, stored and rolled up in one transaction each
    for (let day = 0; day < 365; day++) {
      db.transaction(() => {
        for (const id of channels)
          for (let k = day * 1440; k < (day + 1) * 1440; k++) ins.run(id, t0 + k * 60_000, Math.round((1000 + 800 * Math.sin(k / 229) + id) * 10) / 10);
      })();
      updateRollups(db, "bench", "n1", t0 + day * 86_400_000, t0 + (day + 1) * 86_400_000);
    }
    const build_ms = performance.now() - started;
    const times: number[] = [];
    let points = 0;
    for (let i = 0; i < 7; i++) {
      const s = performance.now();
      const r = historyQuery(db, "bench", "n1", channels[i % channels.length], t0, t0 + rows * 60_000, 1000);
      times.push(performance.now() - s);
      points = r.points.length;
    }
    times.sort((a, b) => a - b);
    const narrow = performance.now();
    historyQuery(db, "bench", "n1", 1, t0 + 100 * 86_400_000, t0 + 107 * 86_400_000, 1000);
    const week_ms = performance.now() - narrow;
    return {
      "gateway.history.year1min.ms": Math.round(times[3] * 100) / 100,
      "gateway.history.year1min.points": points,
      "gateway.history.week1min.ms": Math.round(week_ms * 100) / 100,
      "gateway.history.build.s": Math.round(build_ms / 10) / 100,
    };
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
