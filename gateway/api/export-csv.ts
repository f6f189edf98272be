// GET .../export.csv?from=&to=[&channels=1,pv_W][&progress=1]: a node's samples as CSV, one line per time, a value
// and a quality column per channel. Streamed in chunks of six hours so that a year never sits in memory; the writer
// waits for the socket to drain between chunks and stops when the client goes away. With progress=1 the reply is
// Server-Sent Events instead: "progress" events {rows, total} after each chunk, the CSV text in "csv" events (one
// SSE data line per CSV line) and a final "done" {rows}. Exports over 100,000 samples also log their progress.
import { timeParam, badParam, flagParam } from "./http";
import { Ctx, route, Route } from "./router";
import { ChannelRow, channelOf, nodeOf } from "./routes-nodes";

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

async function exportCsv(ctx: Ctx): Promise<void> {
  const { site, node } = nodeOf(ctx);
  const { db, now, log } = ctx.deps;
  const q = ctx.query;
  const to = timeParam(q, "to", now());
  const from = timeParam(q, "from", to - 86_400_000);
  if (from >= to) throw badParam("from", "must be before to");
  const progress = flagParam(q, "progress");
  const spec = q.get("channels");
  const chans: ChannelRow[] = spec
    ? spec.split(",").map((s) => channelOf(db, site, node, s.trim(), "channels"))
    : (db.prepare("SELECT channel_id, key, agg, scale FROM channels WHERE site = ? AND node = ? ORDER BY channel_id").all(site, node) as ChannelRow[]);
  const col: { [id: number]: number } = {};
  chans.forEach((c, i) => (col[c.channel_id] = i));
  const ids = chans.map((c) => c.channel_id);
  const inList = ids.map(() => "?").join(",");
  const countSt = db.prepare(`SELECT COUNT(*) AS n FROM samples WHERE site = ? AND node = ? AND channel_id IN (${inList}) AND ts >= ? AND ts < ?`);
  const total = ids.length ? (countSt.get(site, node, ...ids, from, to) as { n: number }).n : 0;
  const rowsSt = db.prepare(`SELECT channel_id, ts, value, quality FROM samples WHERE site = ? AND node = ? AND channel_id IN (${inList}) AND ts >= ? AND ts < ?`);

  const header = ["ts_ms", "time_utc", ...chans.flatMap((c) => [c.key + "." + c.agg, c.key + "." + c.agg + ".q"])].join(",") + "\n";
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
  for (let a = from; a < to && ids.length && !ctx.res.destroyed; a += chunk_ms) {
    const b = Math.min(to, a + chunk_ms);
    const lines: { [ts: number]: string[] } = {};
    for (const r of rowsSt.iterate(site, node, ...ids, a, b) as IterableIterator<{ channel_id: number; ts: number; value: number | null; quality: string }>) {
      const cells = lines[r.ts] ?? (lines[r.ts] = new Array(chans.length * 2).fill(""));
      cells[2 * col[r.channel_id]] = csvValue(r.value);
      cells[2 * col[r.channel_id] + 1] = r.quality;
      done++;
    }
    const tss = Object.keys(lines).map(Number).sort((x, y) => x - y);
    if (tss.length) await emit(tss.map((ts) => ts + "," + new Date(ts).toISOString() + "," + lines[ts].join(",")).join("\n") + "\n");
    if (progress) await writeChunk(ctx, `event: progress\ndata: ${JSON.stringify({ rows: done, total })}\n\n`);
    if (total > 100_000 && done / total >= nextLog) {
      log(`export ${site}/${node}: ${done} of ${total} samples (${Math.round((100 * done) / total)} %)`);
      nextLog += 0.1;
    }
  }
  if (progress) await writeChunk(ctx, `event: done\ndata: ${JSON.stringify({ rows: done })}\n\n`);
  ctx.res.end();
}

export const exportRoutes: Route[] = [route("GET /api/sites/:site/nodes/:node/export.csv", exportCsv)];
