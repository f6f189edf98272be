// What the integrations cost the gateway, on its own store (a real SQLite file): a fleet of 500 nodes of 25
// channels each (12,500 channels, a day of 1-minute values each). Figures: a /metrics scrape with every channel's
// newest value (http.metrics.channels: the first, which reads the store, and later ones, from the cache) against one
// without, and its size; the cache's update per stored batch; GET /api/sites/:site/latest for a site of
// 20 nodes; reading a stored batch back for the event stream (15 rows of 25 channels); Home Assistant's discovery
// configs of one node (time and bytes).
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { Store } from "../gateway/storage/store";
import { renderMetrics } from "../gateway/api/metrics";
import { LatestCache } from "../gateway/api/latest-cache";
import { EventBus } from "../gateway/events";
import { latestOf } from "../gateway/api/routes-nodes";
import { storedBatchEvent } from "../gateway/api/live";
import { discoveryConfigs } from "../gateway/homeassistant/discovery";
import { batteryTable, channelDefs, chargerTable, energyTable } from "../firmware/protocol/channels";

const nodesPerSite = 20;
const sites = 25;
const minutes = 1440;
const t0 = Date.UTC(2026, 5, 1);

function median(f: () => void, n = 5): number {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = performance.now();
    f();
    times.push(performance.now() - s);
  }
  times.sort((a, b) => a - b);
  return Math.round(times[n >> 1] * 100) / 100;
}

export async function bench(): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), "minigrid-integ-"));
  const store = Store.open(join(dir, "gateway.db"), { synchronous: "OFF" });
  const db = store.db;
  const channels = [batteryTable, chargerTable, energyTable].flatMap((t) => channelDefs(t)).slice(0, 25);
  try {
    const ins = db.prepare("INSERT INTO samples (site, node, channel_id, ts, value, quality) VALUES (?, ?, ?, ?, ?, 'o')");
    for (let s = 0; s < sites; s++)
      db.transaction(() => {
        for (let n = 0; n < nodesPerSite; n++) {
          const site = `site-${s}`;
          const node = `n${n}`;
          db.prepare("INSERT INTO nodes (site, node, first_seen, last_seen, online, fw, board) VALUES (?, ?, ?, ?, 1, '1.0.0', 'pico')").run(site, node, t0, t0 + minutes * 60_000);
          for (const c of channels) db.prepare("INSERT INTO channels VALUES (?, ?, ?, ?, ?, ?)").run(site, node, c.id, c.key, c.agg, c.scale);
          for (const c of channels) for (let k = 0; k < minutes; k++) ins.run(site, node, c.id, t0 + k * 60_000, 100 + c.id + k / 10);
          db.prepare("INSERT INTO batches (site, node, boot, seq, received_at, t0, interval_s, rows, historical, merged, time_estimated) VALUES (?, ?, 1, 1, ?, ?, 60, 15, 0, 1, 0)").run(
            site,
            node,
            t0 + minutes * 60_000,
            t0 + (minutes - 15) * 60_000,
          );
        }
      })();
    const now = t0 + minutes * 60_000;
    const extra = { sseClients: 0 };
    const plain_ms = median(() => renderMetrics(db, undefined, extra, now));
    // the first scrape reads every channel from the store; later ones format what the cache holds
    const bus = new EventBus();
    const cache = new LatestCache(db, bus);
    cache.start();
    let s = performance.now();
    const text = renderMetrics(db, undefined, { ...extra, channels: cache }, now);
    const first_ms = Math.round((performance.now() - s) * 100) / 100;
    const channels_ms = median(() => renderMetrics(db, undefined, { ...extra, channels: cache }, now));
    // a stored batch brings its node's cached values up to date
    s = performance.now();
    for (let i = 0; i < 20; i++) bus.emit("batch.stored", { site: "site-0", node: "n" + i, boot: 1, seq: 1, rows: 15 });
    const update_ms = Math.round(((performance.now() - s) / 20) * 100) / 100;
    const site_ms = median(() => {
      for (let n = 0; n < nodesPerSite; n++) latestOf(db, "site-0", `n${n}`, now);
    });
    const event_ms = median(() => storedBatchEvent(db, { site: "site-0", node: "n0", boot: 1, seq: 1, rows: 15 }), 21);
    const node = { site: "site-0", node: "n0", fw: "1.0.0", board: "pico", channels: channels.map((c) => ({ id: c.id, key: c.key, agg: c.agg })) };
    const topics = { discoveryPrefix: "homeassistant", stateTopic: "minigrid", version: "0.1.0" };
    const ha_ms = median(() => discoveryConfigs(node, topics), 21);
    const ha = discoveryConfigs(node, topics);
    return {
      "gateway.metrics.plain.ms": plain_ms,
      "gateway.metrics.channels12500.first.ms": first_ms,
      "gateway.metrics.channels12500.ms": channels_ms,
      "gateway.metrics.cacheUpdatePerBatch.ms": update_ms,
      "gateway.metrics.channels12500.kB": Math.round(Buffer.byteLength(text) / 1024),
      "gateway.api.siteLatest20nodes.ms": site_ms,
      "gateway.events.storedBatch15x25.ms": event_ms,
      "gateway.homeassistant.configs25.ms": ha_ms,
      "gateway.homeassistant.configs25.kB": Math.round(ha.reduce((a, c) => a + c.topic.length + c.payload.length, 0) / 102.4) / 10,
    };
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
