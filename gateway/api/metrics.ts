// GET /metrics: Prometheus text exposition format 0.0.4. The gateway core passes an object whose snapshot() gives
// its counters (the ingest's GatewayCounters has this shape); nodes online and open alarms come from the store.
import type { HistogramSnapshot } from "../ingest/latency";
import type { CheckpointStats } from "../storage/checkpointer";
import type { Db } from "../storage/db";
import { esc, type LatestCache } from "./latest-cache";

/** What the API reads from the core at each scrape. Optional fields are left out of the text when absent. */
export interface MetricsSnapshot {
  received?: { [kind: string]: number };
  batchesStored: number;
  rowsStored: number;
  samplesStored?: number;
  duplicates?: number;
  covered?: number;
  rejects: { [reason: string]: number };
  commitErrors?: number;
  /** The longest ingest commit so far, ms. */
  maxFlushMs?: number;
  /** Batches stored per second over the core's sliding window. */
  ingestBatchesPerSecond?: number;
  /** Messages waiting for the next commit. */
  queueDepth?: number;
  /** Batches kept until their time can be anchored. */
  pendingDepth?: number;
  clientsConnected?: number;
  /** CONNECTs per node ("site/node") after its first. */
  reconnects?: { [node: string]: number };
  /** Seconds from a QoS 1 PUBLISH arriving to its PUBACK (sent after the commit). */
  pubackSeconds?: HistogramSnapshot;
  /** Event-loop delay since the previous scrape, seconds. */
  eventLoopLagSeconds?: { p50: number; p99: number; max: number };
  /** The WAL and its checkpoint thread. */
  wal?: CheckpointStats;
}

export interface MetricsSource {
  snapshot(now?: number): MetricsSnapshot;
}


class Text {
  lines: string[] = [];
  metric(name: string, type: "counter" | "gauge" | "histogram", help: string, samples: [string, number][] | number | undefined): void {
    if (samples === undefined) return;
    this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    if (typeof samples === "number") this.lines.push(`${name} ${samples}`);
    else for (const [labels, v] of samples) this.lines.push(`${name}${labels} ${v}`);
  }
}

/** A histogram's samples: cumulative `_bucket{le}` up to +Inf, then `_sum` and `_count`. */
function histogram(h: HistogramSnapshot | undefined): [string, number][] | undefined {
  if (!h) return undefined;
  return [
    ...h.bounds.map((b, i): [string, number] => [`_bucket{le="${b}"}`, h.cumulative[i]]),
    ['_bucket{le="+Inf"}', h.count],
    ["_sum", h.sum],
    ["_count", h.count],
  ];
}

function labelled(label: string, o: { [k: string]: number } | undefined): [string, number][] | undefined {
  if (!o) return undefined;
  return Object.entries(o).map(([k, v]) => [`{${label}="${esc(k)}"}`, v]);
}

/**
 * Every channel's newest value (setting http.metrics.channels): energy counters (aggregation "counter", the Wh
 * totals) as the counter minigrid_channel_total, every other channel as the gauge minigrid_channel_value, labelled
 * site, node, key, agg and unit; and the time of each value (minigrid_channel_updated_seconds, Unix s), so that a
 * dashboard can tell a value that stopped. A channel without a value yet, or whose newest reading failed, is left
 * out rather than given a number it never had.
 */
function channelMetrics(cache: LatestCache, t: Text): void {
  const values: [string, number][] = [];
  const totals: [string, number][] = [];
  const updated: [string, number][] = [];
  for (const v of cache.all()) {
    if (v.value === null || !Number.isFinite(v.ts)) continue;
    (v.agg === "counter" ? totals : values).push([v.labels, v.value]);
    updated.push([v.labels, v.ts / 1000]);
  }
  t.metric("minigrid_channel_value", "gauge", "Newest value of each channel, in its unit (label unit).", values);
  t.metric("minigrid_channel_total", "counter", "Newest total of each energy counter channel (Wh), monotonic.", totals);
  t.metric("minigrid_channel_updated_seconds", "gauge", "Time of each channel's newest value, Unix seconds.", updated);
}

/** Prometheus text of the core's counters, the nodes online per site and the open alarms per severity. */
export function renderMetrics(
  db: Db,
  source: MetricsSource | undefined,
  extra: { sseClients: number; httpRefused?: { [reason: string]: number }; channels?: LatestCache },
  now: number,
): string {
  const s = source?.snapshot(now);
  const t = new Text();
  if (s) {
    t.metric("minigrid_messages_received_total", "counter", "MQTT messages received, by topic kind.", labelled("kind", s.received));
    t.metric("minigrid_batches_stored_total", "counter", "Batches committed to the store.", s.batchesStored);
    t.metric("minigrid_rows_stored_total", "counter", "Batch rows committed to the store.", s.rowsStored);
    t.metric("minigrid_samples_stored_total", "counter", "Sample values committed to the store.", s.samplesStored);
    t.metric("minigrid_duplicates_total", "counter", "Batches dropped as already stored.", s.duplicates);
    t.metric("minigrid_covered_total", "counter", "Merged summaries dropped because other rows already hold every batch they cover.", s.covered);
    t.metric("minigrid_rejects_total", "counter", "Input refused, by reason.", labelled("reason", s.rejects));
    t.metric("minigrid_commit_errors_total", "counter", "Store commits that failed.", s.commitErrors);
    t.metric("minigrid_commit_max_seconds", "gauge", "Longest ingest commit since the gateway started (the gateway's thread waits for it).", s.maxFlushMs === undefined ? undefined : s.maxFlushMs / 1000);
    t.metric("minigrid_ingest_batches_per_second", "gauge", "Batches stored per second (sliding window).", s.ingestBatchesPerSecond);
    t.metric("minigrid_queue_depth", "gauge", "Depth of the gateway's queues.", [
      ...(s.queueDepth !== undefined ? [['{queue="ingest"}', s.queueDepth] as [string, number]] : []),
      ...(s.pendingDepth !== undefined ? [['{queue="pending-anchor"}', s.pendingDepth] as [string, number]] : []),
    ]);
    t.metric("minigrid_mqtt_clients_connected", "gauge", "MQTT clients connected to the broker.", s.clientsConnected);
    t.metric("minigrid_node_reconnects_total", "counter", "MQTT CONNECTs of a node after its first since the gateway started.", labelled("node", s.reconnects));
    t.metric("minigrid_puback_latency_seconds", "histogram", "Time from a QoS 1 PUBLISH arriving to its PUBACK (sent once the batch is committed).", histogram(s.pubackSeconds));
    const lag = s.eventLoopLagSeconds;
    const w = s.wal;
    t.metric("minigrid_wal_pages", "gauge", "Pages in the database's WAL, written since it last started again; the checkpoint thread keeps them under a bound.", w?.walFrames);
    t.metric("minigrid_wal_checkpoints_total", "counter", "Checkpoint passes the checkpoint thread ran.", w?.passes);
    t.metric("minigrid_wal_checkpoint_rounds_total", "counter", "Checkpoints that copied the whole WAL, so that it starts again from its beginning.", w?.rounds);
    t.metric("minigrid_wal_checkpoint_behind_total", "counter", "Times the WAL reached its bound and commits waited for the checkpoint (the disk is too slow for the load).", w?.behind);
    t.metric("minigrid_wal_checkpoint_hold_seconds_total", "counter", "Time commits waited for checkpoints (the last pass of each, and any behind).", w?.heldSeconds);
    t.metric("minigrid_wal_checkpoint_errors_total", "counter", "Checkpoint passes that failed.", w?.errors);
    t.metric("minigrid_event_loop_lag_seconds", "gauge", "Event-loop delay since the previous scrape (perf_hooks), by quantile.", lag && [['{quantile="0.5"}', lag.p50], ['{quantile="0.99"}', lag.p99], ['{quantile="1"}', lag.max]]);
  }
  const nodes = db.prepare("SELECT site, COUNT(*) AS n, SUM(CASE WHEN online = 1 THEN 1 ELSE 0 END) AS up FROM nodes GROUP BY site ORDER BY site").all() as { site: string; n: number; up: number }[];
  t.metric("minigrid_nodes", "gauge", "Nodes known, per site.", nodes.map((r) => [`{site="${esc(r.site)}"}`, r.n]));
  t.metric("minigrid_nodes_online", "gauge", "Nodes online, per site.", nodes.map((r) => [`{site="${esc(r.site)}"}`, r.up]));
  const alarms = db.prepare("SELECT severity, COUNT(*) AS n FROM alarms WHERE cleared_at IS NULL GROUP BY severity ORDER BY severity").all() as { severity: string; n: number }[];
  t.metric("minigrid_alarms_active", "gauge", "Open alarms, per severity.", alarms.map((r) => [`{severity="${esc(r.severity)}"}`, r.n]));
  const bySite = db.prepare("SELECT site, severity, COUNT(*) AS n FROM alarms WHERE cleared_at IS NULL GROUP BY site, severity ORDER BY site, severity").all() as { site: string; severity: string; n: number }[];
  t.metric("minigrid_site_alarms_active", "gauge", "Open alarms, per site and severity.", bySite.map((r) => [`{site="${esc(r.site)}",severity="${esc(r.severity)}"}`, r.n]));
  if (extra.channels) channelMetrics(extra.channels, t);
  t.metric("minigrid_api_event_clients", "gauge", "Clients on the live event stream.", extra.sseClients);
  t.metric("minigrid_http_refused_total", "counter", "HTTP requests refused, by reason (token: missing or wrong bearer token).", labelled("reason", extra.httpRefused));
  return t.lines.join("\n") + "\n";
}
