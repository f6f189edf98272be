// Attack: CSV exports over ranges that once held the gateway's only thread (a range reaching the year 5000 looped
// through millions of empty chunks: every node waited hours for its PUBACK). Real parts: the gateway with its
// embedded aedes broker and a SQLite file, the HTTP API over TCP, a node publishing with the `mqtt` client.
// Asserted on order, not on wall-clock thresholds: the node's PUBACKs keep arriving between the export's progress
// events while an export of the longest allowed range (366 days, 52,704 samples) runs.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MqttClient } from "mqtt";
import { startApi, RunningApi } from "../../gateway/api/server";
import { Gateway } from "../../gateway/gateway";
import { batch, birth, nodeClient, tempDir, testConfig, topic } from "../gateway/fixture";
import { recordAttack } from "./record";

const DAY = 86_400_000;
const STEP = 30 * 60_000;
let gw: Gateway;
let api: RunningApi;
let node: MqttClient;
const end = Math.floor(Date.now() / STEP) * STEP;
const start = end - 366 * DAY;

const exportUrl = (q: string) => `http://127.0.0.1:${api.port}/api/sites/s1/nodes/n1/export.csv?${q}`;

beforeAll(async () => {
  gw = new Gateway(testConfig(tempDir("mg-attack-export-")));
  await gw.start();
  api = await startApi({ store: gw.store, bus: gw.bus, counters: gw.counters, config: { port: 0 }, log: () => {} });
  node = await nodeClient(gw.brokerUrl, "n1");
  await node.publishAsync(topic("n1", "birth"), JSON.stringify(birth()), { qos: 1 });
  // a year of half-hourly values on the node's three channels, written straight into the database
  const ins = gw.store!.db.prepare("INSERT INTO samples (site, node, channel_id, ts, value, quality) VALUES ('s1', 'n1', ?, ?, ?, 'o')");
  gw.store!.db.transaction(() => {
    for (let t = start; t < end; t += STEP) for (const ch of [1, 4, 6]) ins.run(ch, t, 12 + (t % 1000) / 1000);
  })();
}, 60_000);

afterAll(async () => {
  node?.end(true);
  await api?.stop();
  await gw?.stop();
});

describe("attack: export ranges", () => {
  it("refuses ranges beyond 366 days with the limit named; nothing stored is touched", async () => {
    const tries = [`from=0&to=${Date.UTC(5000, 0, 1)}`, `from=${start - DAY}&to=${end}`, `from=-8640000000000000&to=8640000000000000`, `from=1970-01-01&to=4000-01-01`];
    let refused = 0;
    for (const q of tries) {
      const r = await fetch(exportUrl(q));
      const body = (await r.json()) as { error: { param: string; message: string } };
      if (r.status === 400 && body.error.param === "to" && /at most 366 days/.test(body.error.message)) refused++;
    }
    const samples = (gw.store!.db.prepare("SELECT count(*) AS n FROM samples").get() as { n: number }).n;
    recordAttack({ attack: "export range beyond the limit", tried: `${tries.length} CSV exports reaching 1970..year 5000`, refused, attempts: tries.length, lost: 366 * 48 * 3 - samples });
    expect(refused).toBe(tries.length);
    expect(samples).toBe(366 * 48 * 3);
  });

  it("a node's PUBACKs keep flowing while an export of the longest allowed range runs", async () => {
    const res = await fetch(exportUrl(`from=${start}&to=${end}&progress=1`));
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const dec = new TextDecoder();
    let text = "";
    let progressEvents = 0;
    let finished = false;
    const reading = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        text += dec.decode(value, { stream: true });
        progressEvents = (text.match(/event: progress\n/g) ?? []).length;
      }
      finished = true;
    })();
    // one batch at a time, each waiting for its PUBACK, for as long as the export runs
    const pubacksAt: number[] = [];
    let seq = 1;
    let slowest = 0;
    while (!finished) {
      const t = performance.now();
      await node.publishAsync(topic("n1", "t"), JSON.stringify(batch(seq++)), { qos: 1 });
      slowest = Math.max(slowest, performance.now() - t);
      if (!finished) pubacksAt.push(progressEvents);
    }
    await reading;
    const published = seq - 1;
    const stored = (gw.store!.db.prepare("SELECT count(*) AS n FROM batches WHERE node = 'n1'").get() as { n: number }).n;
    const total = (text.match(/event: progress\n/g) ?? []).length;
    const between = pubacksAt.filter((p) => p > 0 && p < total).length;
    recordAttack({
      attack: "export of the longest range during ingest",
      tried: `1 export of 366 days (${366 * 48 * 3} samples) while a node published ${published} batches`,
      refused: 0,
      attempts: 1,
      lost: published - stored,
      note: `${between} PUBACKs between the export's first and last progress events; slowest PUBACK ${Math.round(slowest)} ms`,
    });
    expect(text).toContain(`event: done\ndata: {"rows":${366 * 48 * 3}}`);
    expect(stored).toBe(published);
    // PUBACKs arrived while the export was under way, not only before or after it
    expect(between).toBeGreaterThanOrEqual(3);
  }, 120_000);
});
