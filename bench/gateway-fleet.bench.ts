// The gateway as its own process (`minigrid gateway`, as a site runs it: the systemd unit's Node options, embedded
// broker, SQLite with FULL sync) holding a long history, with 500 nodes publishing in real time, one batch a second
// each at QoS 1:
//   gateway.fleet.nodes, .seconds            the load: MG_BENCH_GW_NODES nodes (500) for MG_BENCH_GW_SECONDS s (60)
//   gateway.fleet.history.days, .rows_M      the history in the database before the run: MG_BENCH_GW_DAYS days (365)
//                                            of every node, one row per channel every MG_BENCH_GW_EVERY_S s (900),
//                                            and the sample rows that makes (millions)
//   gateway.fleet.history.db_MB, .build_s    its file size, and the time to write it
//   gateway.fleet.idleRss_MB                 the gateway's resident memory after start, before any node connects
//   gateway.fleet.peakRss_MB                 its peak while the nodes publish (sampled every 200 ms, the process and
//                                            its children summed; target under 200 MB)
//   gateway.fleet.puback.p50_ms, .p99_ms     PUBLISH to PUBACK as the nodes see it (target p99 under 100 ms)
//   gateway.fleet.gwPuback.p50_ms, .p99_ms   the same as the gateway measured it (minigrid_puback_latency_seconds,
//                                            the upper bound of the bucket holding the quantile): close to the
//                                            nodes' figures when the delay is the gateway's, far under them when the
//                                            bench process was late to read its PUBACKs
//   gateway.fleet.gwLoopLagMax_ms            the gateway's longest event-loop delay during the load
//                                            (minigrid_event_loop_lag_seconds, quantile 1, scraped every second):
//                                            its thread was blocked. MG_BENCH_GW_TRACE=1 prints each second's
//                                            scrape (lag, longest commit, PUBACKs over 100 ms, WAL pages) to stderr
//   gateway.fleet.gwCommitMax_ms             its longest ingest commit (minigrid_commit_max_seconds): a blocked
//                                            thread inside a commit is SQLite's work (a checkpoint), outside it GC
//                                            or other work
//   gateway.fleet.benchLoopDelay.p99_ms, .max_ms   this process's own event-loop delay during the load (500
//                                            clients in one Node process): high when its PUBACK times are its own
//   gateway.fleet.published, .stored,        batches sent, rows of the live boot in `batches`, and the ones not
//   gateway.fleet.missing, .duplicated       stored / stored more than once (the duplicates counter): both must be 0
//   gateway.fleet.cpuPerBatch_ms             the gateway's CPU time (user + system) per batch, connections and births
//                                            included: what a core must give for 500 batches a second, whatever
//                                            else loads the machine
//   gateway.fleet.mainThreadCpuPerBatch_ms   the part of it on the gateway's own thread, where every PUBACK waits
//                                            its turn (the rest: the checkpoint thread, libuv's fsyncs, the GC)
//   gateway.fleet.refused, .reconnects       batches the gateway refused or dropped as covered; reconnects it saw
//   gateway.fleet.load1                      the machine's 1-minute load average at the end (2 cores)
// MG_BENCH_GATEWAY_NODE_ARGS passes Node options to the gateway's process alone, e.g. "--cpu-prof
// --cpu-prof-dir=/tmp/prof" for a CPU profile of its threads under the load.
// How the history is built: straight into the gateway's own schema (Store.open runs the migrations) with multi-row
// INSERTs in primary-key order, one transaction per node, journal and sync off while building (it is a fixture, not
// an ingest): nodes, channels, one `batches` row per interval and a sample per channel, then each node's history
// rollups, marked built as the running gateway keeps them (else it rebuilds them at start), then the file synced to
// the disk. The file lives in a temp directory, removed at the end. At 1-minute density a year of 500 nodes of 3 channels is 788 million sample rows
// (about 40 GB): set MG_BENCH_GW_EVERY_S=60 to build that on a machine with the disk for it. MG_BENCH_GW_SYNC sets
// storage.synchronous (default the gateway's own, FULL).
import { closeSync, fsyncSync, mkdtempSync, openSync, readFileSync, rmSync, statSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { join } from "node:path";
import mqtt, { type MqttClient } from "mqtt";
import Database from "better-sqlite3";
import { Store } from "../gateway/storage/store";
import { ensureRollupSchema, updateRollups } from "../gateway/api/rollup";
import { freePort } from "../sim/fleet/embedded-gateway";
import { birth, channels } from "../test/gateway/fixture";
import { serviceNodeOptions, startGatewayProcess, treeRssBytes } from "./process-tree";

const NODES = Number(process.env.MG_BENCH_GW_NODES ?? 500);
const SECONDS = Number(process.env.MG_BENCH_GW_SECONDS ?? 60);
const DAYS = Number(process.env.MG_BENCH_GW_DAYS ?? 365);
const EVERY_S = Number(process.env.MG_BENCH_GW_EVERY_S ?? 900);
const SITE = "fleet";
const LIVE_BOOT = 2;

const nodeName = (k: number) => "n" + (k + 1);

/** The history: `DAYS` days before now for every node. Returns the sample rows written. */
function buildHistory(path: string): number {
  Store.open(path, { synchronous: "NORMAL" }).close(); // the gateway's schema, migrated
  const db = new Database(path);
  db.pragma("journal_mode = OFF");
  db.pragma("synchronous = OFF");
  db.pragma("cache_size = -262144");
  const end = Math.floor(Date.now() / 1000 / EVERY_S) * EVERY_S - EVERY_S;
  const n = Math.floor((DAYS * 86400) / EVERY_S);
  const start = end - n * EVERY_S;
  const chIds = channels.map((c) => c[0]);
  const per = 150; // tuples per INSERT (6 bound values each: under 999)
  const sampleSql = (k: number) => "INSERT INTO samples(site,node,channel_id,ts,value,quality) VALUES" + Array(k).fill("(?,?,?,?,?,'o')").join(",");
  const batchSql = (k: number) => "INSERT INTO batches(site,node,boot,seq,seq_last,received_at,t0,interval_s,rows,historical,merged,time_estimated) VALUES" + Array(k).fill("(?,?,1,?,?,?,?,?,1,0,1,0)").join(",");
  const sFull = db.prepare(sampleSql(per));
  const bFull = db.prepare(batchSql(per));
  let rows = 0;
  const insertNode = db.transaction((node: string) => {
    db.prepare("INSERT INTO nodes(site,node,first_seen,last_seen,online,fw,board,boot) VALUES (?,?,?,?,0,'1.0.0','pico',1)").run(SITE, node, start * 1000, end * 1000);
    for (const c of channels) db.prepare("INSERT INTO channels(site,node,channel_id,key,agg,scale) VALUES (?,?,?,?,?,?)").run(SITE, node, c[0], c[1], c[2], c[3]);
    // batches in seq order, then each channel's samples in time order: the primary keys' order, appends only
    for (let i = 0; i < n; i += per) {
      const k = Math.min(per, n - i);
      const args: unknown[] = [];
      for (let j = i; j < i + k; j++) args.push(SITE, node, j, j, (start + j * EVERY_S) * 1000 + 500, (start + j * EVERY_S) * 1000, EVERY_S);
      (k === per ? bFull : db.prepare(batchSql(k))).run(args);
    }
    for (const ch of chIds)
      for (let i = 0; i < n; i += per) {
        const k = Math.min(per, n - i);
        const args: unknown[] = [];
        for (let j = i; j < i + k; j++) args.push(SITE, node, ch, (start + j * EVERY_S) * 1000, Math.round((12800 + 400 * Math.sin(j / 40) + ch) * 10) / 10);
        (k === per ? sFull : db.prepare(sampleSql(k))).run(args);
        rows += k;
      }
  });
  ensureRollupSchema(db);
  for (let k = 0; k < NODES; k++) {
    insertNode(nodeName(k));
    // the history rollups a gateway keeps up to date as it stores (gateway/api/rollup.ts), marked as built
    updateRollups(db, SITE, nodeName(k), start * 1000, (end + EVERY_S) * 1000, Date.now());
  }
  db.close();
  // on the disk before the gateway starts, as a running site's history is: written with sync off, much of it was
  // still in the OS's dirty pages, and the gateway's first sync of the file (its first checkpoint) wrote it all
  const fd = openSync(path, "r");
  fsyncSync(fd);
  closeSync(fd);
  return rows;
}

const treeRssKb = (pid: number) => treeRssBytes(pid) / 1024;

/** CPU seconds (user + system) the process has used, from /proc/<pid>/stat (fields 14 and 15, in clock ticks of 1/100 s). */
function cpuSeconds(pid: number, stat = `/proc/${pid}/stat`): number {
  const fields = readFileSync(stat, "utf8").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** The metric's values summed over its label sets (0 when absent). */
function metricSum(text: string, name: string): number {
  return [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)`, "gm"))].reduce((a, m) => a + Number(m[1]), 0);
}

/** A histogram's cumulative buckets {le: count} in the Prometheus text. */
function buckets(text: string, name: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const m of text.matchAll(new RegExp(`^${name}_bucket\\{le="([^"]+)"\\} (\\S+)`, "gm"))) out.set(m[1] === "+Inf" ? Infinity : Number(m[1]), Number(m[2]));
  return out;
}

/** The upper bound (ms) of the bucket holding quantile q of the observations between two scrapes. */
function bucketQuantileMs(before: Map<number, number>, after: Map<number, number>, q: number): number {
  const les = [...after.keys()].sort((a, b) => a - b);
  const total = (after.get(Infinity) ?? 0) - (before.get(Infinity) ?? 0);
  for (const le of les) if ((after.get(le) ?? 0) - (before.get(le) ?? 0) >= q * total) return le * 1000;
  return Infinity;
}

async function connect(url: string, clientId: string): Promise<MqttClient> {
  const c = mqtt.connect(url, { clientId, reconnectPeriod: 0, connectTimeout: 30_000, clean: false, keepalive: 120 });
  await new Promise<void>((resolve, reject) => {
    c.once("connect", () => resolve());
    c.once("error", reject);
  });
  return c;
}

export async function bench(): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), "minigrid-gwfleet-"));
  const db = join(dir, "gateway.db");
  const built = performance.now();
  const historyRows = buildHistory(db);
  const build_s = (performance.now() - built) / 1000;
  const db_MB = statSync(db).size / 1e6;
  const port = await freePort();
  const httpPort = await freePort();
  const gw = await startGatewayProcess(dir, `demo: true\nbroker: { host: 127.0.0.1, port: ${port} }\nstorage: { path: ${JSON.stringify(db)}${process.env.MG_BENCH_GW_SYNC ? `, synchronous: ${process.env.MG_BENCH_GW_SYNC}` : ""} }\nhttp: { host: 127.0.0.1, port: ${httpPort} }\n`, serviceNodeOptions()).catch((e) => {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  });
  const clients: MqttClient[] = [];
  let sampler: NodeJS.Timeout | undefined;
  try {
    await new Promise((r) => setTimeout(r, 2000));
    const idleKb = treeRssKb(gw.proc.pid!);
    let peakKb = idleKb;
    sampler = setInterval(() => (peakKb = Math.max(peakKb, treeRssKb(gw.proc.pid!))), 200);
    const cpu0 = cpuSeconds(gw.proc.pid!);
    // the gateway's own thread (its task id is the process id): the broker, ingest and the API share it
    const mainCpu = () => cpuSeconds(gw.proc.pid!, `/proc/${gw.proc.pid}/task/${gw.proc.pid}/stat`);
    const mainCpu0 = mainCpu();
    const url = `mqtt://127.0.0.1:${port}`;
    for (let k = 0; k < NODES; k += 50) clients.push(...(await Promise.all(Array.from({ length: Math.min(50, NODES - k) }, (_, j) => connect(url, `${SITE}.${nodeName(k + j)}`)))));
    await Promise.all(clients.map((c, k) => c.publishAsync(`mg/v1/${SITE}/${nodeName(k)}/birth`, JSON.stringify(birth({ boot: LIVE_BOOT })), { qos: 1 })));
    // this scrape resets the gateway's loop-lag gauge and marks where the load's PUBACK histogram starts
    const scrape = async () => (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
    const pubacksBefore = buckets(await scrape(), "minigrid_puback_latency_seconds");
    const benchLoop = monitorEventLoopDelay({ resolution: 10 });
    benchLoop.enable();
    // each scrape resets the gateway's lag gauge: one a second tells when in the run its thread was blocked
    let lagMaxS = 0;
    const loadStart = Date.now();
    let scraping = Promise.resolve();
    const trace = process.env.MG_BENCH_GW_TRACE ? (line: string) => process.stderr.write(line + "\n") : undefined;
    const scraper = setInterval(() => {
      scraping = scraping.then(async () => {
        const text = await scrape().catch(() => "");
        const lag = Number(/^minigrid_event_loop_lag_seconds\{quantile="1"\} (\S+)/m.exec(text)?.[1] ?? 0);
        lagMaxS = Math.max(lagMaxS, lag);
        const b = buckets(text, "minigrid_puback_latency_seconds");
        trace?.(`gateway-fleet ${((Date.now() - loadStart) / 1000).toFixed(0)} s: lag max ${(lag * 1000).toFixed(0)} ms, commit max ${(metricSum(text, "minigrid_commit_max_seconds") * 1000).toFixed(0)} ms, PUBACKs ${b.get(Infinity) ?? 0} (over 100 ms ${(b.get(Infinity) ?? 0) - (b.get(0.1) ?? 0)}), WAL ${metricSum(text, "minigrid_wal_pages")} pages`);
      });
    }, 1000);
    // one batch a second each, spread over the second as independent nodes' clocks are
    const latencies: number[] = [];
    let published = 0;
    const sends: Promise<void>[] = [];
    const t0 = Date.now();
    await new Promise<void>((done) => {
      let finished = 0;
      clients.forEach((c, k) => {
        let seq = 0;
        const send = () => {
          if (Date.now() - t0 >= SECONDS * 1000) {
            if (++finished === NODES) done();
            return;
          }
          const s = seq++;
          const t = Math.floor(t0 / 1000) + s; // the node's clock: one batch a second
          const payload = JSON.stringify({ b: LIVE_BOOT, s, t, ts: 1, i: 1, r: [[12800 + (s % 100), -1500, 805]], q: ["ooo"] });
          const at = performance.now();
          published++;
          sends.push(c.publishAsync(`mg/v1/${SITE}/${nodeName(k)}/t`, payload, { qos: 1 }).then(() => void latencies.push(performance.now() - at)));
          setTimeout(send, 1000 * (s + 1) - (Date.now() - t0 - (k * 1000) / NODES));
        };
        setTimeout(send, (k * 1000) / NODES);
      });
    });
    await Promise.all(sends);
    clearInterval(scraper);
    await scraping;
    benchLoop.disable();
    const cpu = cpuSeconds(gw.proc.pid!) - cpu0;
    const cpuMain = mainCpu() - mainCpu0;
    clearInterval(sampler);
    // the gateway's own count of batches it dropped as already stored, its PUBACK times, loop lag and commits
    const metrics = await scrape();
    const metric = (name: string) => metricSum(metrics, name);
    const pubacksAfter = buckets(metrics, "minigrid_puback_latency_seconds");
    lagMaxS = Math.max(lagMaxS, Number(/^minigrid_event_loop_lag_seconds\{quantile="1"\} (\S+)/m.exec(metrics)?.[1] ?? 0));
    const duplicated = metric("minigrid_duplicates_total");
    const refused = metric("minigrid_rejects_total") + metric("minigrid_covered_total");
    for (const c of clients) c.end(true);
    clients.length = 0;
    await gw.stop();
    trace?.(gw.log());
    const check = new Database(db, { readonly: true });
    const stored = (check.prepare("SELECT count(*) AS n FROM batches WHERE site = ? AND boot = ?").get(SITE, LIVE_BOOT) as { n: number }).n;
    const samples = (check.prepare("SELECT count(*) AS n FROM samples WHERE site = ? AND ts >= ?").get(SITE, t0 - 5000) as { n: number }).n;
    check.close();
    latencies.sort((a, b) => a - b);
    const q = (p: number) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] * 10) / 10;
    if (samples !== stored * channels.length) process.stderr.write(`gateway-fleet: ${samples} samples for ${stored} batches of ${channels.length} channels\n`);
    return {
      "gateway.fleet.nodes": NODES,
      "gateway.fleet.seconds": SECONDS,
      "gateway.fleet.history.days": DAYS,
      "gateway.fleet.history.rows_M": Math.round(historyRows / 1e5) / 10,
      "gateway.fleet.history.db_MB": Math.round(db_MB),
      "gateway.fleet.history.build_s": Math.round(build_s),
      "gateway.fleet.idleRss_MB": Math.round((idleKb * 1024) / 1e6),
      "gateway.fleet.peakRss_MB": Math.round((peakKb * 1024) / 1e6),
      "gateway.fleet.puback.p50_ms": q(0.5),
      "gateway.fleet.puback.p99_ms": q(0.99),
      "gateway.fleet.gwPuback.p50_ms": bucketQuantileMs(pubacksBefore, pubacksAfter, 0.5),
      "gateway.fleet.gwPuback.p99_ms": bucketQuantileMs(pubacksBefore, pubacksAfter, 0.99),
      "gateway.fleet.gwLoopLagMax_ms": Math.round(lagMaxS * 1e4) / 10,
      "gateway.fleet.gwCommitMax_ms": Math.round(metric("minigrid_commit_max_seconds") * 1e4) / 10,
      "gateway.fleet.benchLoopDelay.p99_ms": Math.round(benchLoop.percentile(99) / 1e5) / 10,
      "gateway.fleet.benchLoopDelay.max_ms": Math.round(benchLoop.max / 1e5) / 10,
      "gateway.fleet.published": published,
      "gateway.fleet.stored": stored,
      "gateway.fleet.missing": published - stored,
      "gateway.fleet.duplicated": duplicated,
      "gateway.fleet.refused": refused,
      "gateway.fleet.cpuPerBatch_ms": Math.round((cpu * 1000 * 100) / Math.max(1, published)) / 100,
      "gateway.fleet.mainThreadCpuPerBatch_ms": Math.round((cpuMain * 1000 * 100) / Math.max(1, published)) / 100,
      "gateway.fleet.reconnects": metric("minigrid_node_reconnects_total"),
      "gateway.fleet.load1": Math.round(loadavg()[0] * 10) / 10,
    };
  } finally {
    if (sampler) clearInterval(sampler);
    for (const c of clients) c.end(true);
    await gw.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
