// GET .../export.csv?from=&to=[&channels=1,pv_W][&progress=1]: a node's samples as CSV, one line per time, a value
// and a quality column per channel. Streamed in chunks of six hours so that a year never sits in memory; the writer
// waits for the socket to drain between chunks and stops when the client goes away. With progress=1 the reply is
// Server-Sent Events instead: "progress" events {rows, total} after each chunk that holds samples, the CSV text in
// "csv" events (one SSE data line per CSV line) and a final "done" {rows}. Exports over 100,000 samples also log
// their progress. The range, the samples, the work between two turns of the event loop and the time of one request
// are bounded (export-limits.ts): ingest shares this thread.
import { ApiError, timeParam, badParam, flagParam } from "./http";
import { Budget, checkRange, checkSamples, defaultExportLimits, ExportLimits, yieldToLoop } from "./export-limits";
import { Ctx, route, Route } from "./router";
import { ChannelRow, channelOf, nodeOf } from "./routes-nodes";
import { siteZone } from "./deps";
import { isoIn, offsetCache } from "../time/zone";
import { historyQueryDoc, nodeParam, siteParam } from "../../contracts/api-routes";

const chunk_ms = 6 * 3_600_000;

function csvValue(v: number | null): string {
  return v === null ? "" : String(v);
}

async function writeChunk(ctx: Ctx, text: string): Promise<void> {
  if (ctx.res.write(text)) return;
  await new Promise<void>((resolve) => {
    const done = () => {
      ctx.res.off("drain", done);
      ctx.res.off("close", done);
      resolve();
    };
    ctx.res.on("drain", done);
    ctx.res.on("close", done);
  });
}

type Sample = { channel_id: number; ts: number; value: number | null; quality: string };

async function exportCsv(ctx: Ctx): Promise<void> {
  const { site, node } = nodeOf(ctx);
  const { db, now, log } = ctx.deps;
  const lim: ExportLimits = { ...defaultExportLimits, ...ctx.deps.exportLimits };
  const q = ctx.query;
  const to = timeParam(q, "to", now());
  const from = timeParam(q, "from", to - 86_400_000);
  if (from >= to) throw badParam("from", "must be before to");
  checkRange(from, to, lim);
  const progress = flagParam(q, "progress");
  const spec = q.get("channels");
  const chans: ChannelRow[] = spec
    ? spec.split(",").map((s) => channelOf(db, site, node, s.trim(), "channels"))
    : (db.prepare("SELECT channel_id, key, agg, scale FROM channels WHERE site = ? AND node = ? ORDER BY channel_id").all(site, node) as ChannelRow[]);
  const leave = ctx.deps.exportSlots?.enter(lim);
  try {
    await stream(ctx, site, node, chans, from, to, progress, lim, log);
  } finally {
    leave?.();
  }
}

async function stream(ctx: Ctx, site: string, node: string, chans: ChannelRow[], from: number, to: number, progress: boolean, lim: ExportLimits, log: (l: string) => void): Promise<void> {
  const { db } = ctx.deps;
  const budget = new Budget(lim.budgetMs, ctx.deps.monotonic);
  const col: { [id: number]: number } = {};
  chans.forEach((c, i) => (col[c.channel_id] = i));
  const ids = chans.map((c) => c.channel_id);
  const inList = ids.map(() => "?").join(",");
  const where = `site = ? AND node = ? AND channel_id IN (${inList}) AND ts >= ? AND ts < ?`;
  const countSt = db.prepare(`SELECT COUNT(*) AS n FROM samples WHERE ${where}`);
  const rowsSt = db.prepare(`SELECT channel_id, ts, value, quality FROM samples WHERE ${where}`);

  // first the samples per chunk (an index count, one chunk per turn of the event loop): the total for progress and
  // the limit, and how finely each chunk is read
  const counts: number[] = [];
  let total = 0;
  for (let a = from; a < to && ids.length; a += chunk_ms) {
    const n = (countSt.get(site, node, ...ids, a, Math.min(to, a + chunk_ms)) as { n: number }).n;
    counts.push(n);
    total += n;
    if (total > lim.maxSamples) break;
    if (budget.spent) throw new ApiError(503, "time-budget", `counting the samples took longer than the export's budget of ${lim.budgetMs / 1000} s: narrow the range`);
    await yieldToLoop();
    if (ctx.res.destroyed) return;
  }
  checkSamples(total, lim);

  // time_local: ISO 8601 with the offset of the site's time zone at that instant (gateway settings sites.<site>.timezone)
  const zone = siteZone(ctx.deps, site);
  const offset = offsetCache(zone);
  const header = ["ts_ms", "time_utc", "time_local", ...chans.flatMap((c) => [c.key + "." + c.agg, c.key + "." + c.agg + ".q"])].join(",") + "\n";
  const name = `${site}-${node}-${new Date(from).toISOString().slice(0, 10)}.csv`;
  if (progress) {
    ctx.res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-store" });
  } else {
    ctx.res.writeHead(200, { "content-type": "text/csv; charset=utf-8", "content-disposition": `attachment; filename="${name}"`, "cache-control": "no-store" });
  }
  const emit = (text: string) => (progress ? writeChunk(ctx, "event: csv\n" + text.replace(/\n$/, "").split("\n").map((l) => "data: " + l + "\n").join("") + "\n") : writeChunk(ctx, text));
  await emit(header);
  let done = 0;
  let nextLog = 0.1;
  for (let c = 0; c < counts.length && !ctx.res.destroyed; c++) {
    if (counts[c] === 0) continue;
    const a0 = from + c * chunk_ms;
    const b0 = Math.min(to, a0 + chunk_ms);
    // a dense chunk is read in slices of about samplesPerSlice samples, each followed by a turn of the event loop
    const slices = Math.ceil(counts[c] / lim.samplesPerSlice);
    for (let k = 0; k < slices && !ctx.res.destroyed; k++) {
      const a = a0 + Math.floor(((b0 - a0) * k) / slices);
      const b = k === slices - 1 ? b0 : a0 + Math.floor(((b0 - a0) * (k + 1)) / slices);
      const lines: { [ts: number]: string[] } = {};
      for (const r of rowsSt.iterate(site, node, ...ids, a, b) as IterableIterator<Sample>) {
        const cells = lines[r.ts] ?? (lines[r.ts] = new Array(chans.length * 2).fill(""));
        cells[2 * col[r.channel_id]] = csvValue(r.value);
        cells[2 * col[r.channel_id] + 1] = r.quality;
        done++;
      }
      const tss = Object.keys(lines).map(Number).sort((x, y) => x - y);
      if (tss.length) await emit(tss.map((ts) => ts + "," + new Date(ts).toISOString() + "," + isoIn(ts, zone, offset(ts)) + "," + lines[ts].join(",")).join("\n") + "\n");
      if (budget.spent && (c < counts.length - 1 || k < slices - 1)) return cutOff(ctx, progress, b, lim, log, `${site}/${node}`);
      await yieldToLoop();
    }
    if (progress) await writeChunk(ctx, `event: progress\ndata: ${JSON.stringify({ rows: done, total })}\n\n`);
    if (total > 100_000 && done / total >= nextLog) {
      log(`export ${site}/${node}: ${done} of ${total} samples (${Math.round((100 * done) / total)} %)`);
      nextLog += 0.1;
    }
  }
  if (progress) await writeChunk(ctx, `event: done\ndata: ${JSON.stringify({ rows: done })}\n\n`);
  ctx.res.end();
}

/** Past the time budget: an `error` event saying where to go on from, or (plain CSV) the connection closed unfinished. */
function cutOff(ctx: Ctx, progress: boolean, nextFrom: number, lim: ExportLimits, log: (l: string) => void, who: string): void {
  const message = `the export ran past its budget of ${lim.budgetMs / 1000} s; ask again from ${nextFrom}`;
  log(`export ${who}: ${message}`);
  if (!progress) {
    ctx.res.destroy(); // a chunked reply without its last chunk: the client sees it unfinished, never a short file
    return;
  }
  ctx.res.end(`event: error\ndata: ${JSON.stringify({ code: "time-budget", message, next_from: nextFrom })}\n\n`);
}

export const exportRoutes: Route[] = [
  route(
    "GET /api/sites/:site/nodes/:node/export.csv",
    {
      tag: "values",
      summary: "A node's samples as CSV, one line per time: ts_ms, time_utc, time_local, then a value and a quality column per channel",
      params: { site: siteParam, node: nodeParam },
      query: {
        from: historyQueryDoc.from,
        to: historyQueryDoc.to,
        channels: { description: "comma-separated channel ids or keys (default: all)", schema: { type: "string" } },
        progress: { description: "1: Server-Sent Events instead (progress {rows, total}, csv, done)", schema: { type: "string", enum: ["0", "1"] } },
        access_token: { description: "the bearer token, for download links that cannot set headers", schema: { type: "string" } },
      },
      replies: { 200: { description: "the CSV (or, with progress=1, an event stream)", contentType: "text/csv", schema: { type: "string" } } },
      errors: { 400: "a bad from, to (over 366 days) or channel", 404: "no such node", 413: "over the export's sample limit", 503: "busy: too many exports at once" },
    },
    exportCsv,
  ),
];
