// The central path end to end: nodes -> site gateway (embedded broker, SQLite, uplink outbox) -> mosquitto ->
// two `minigrid central` instances sharing one MQTT 5 subscription -> PostgreSQL. The uplink is cut for a
// simulated day (the node keeps reporting; the gateway stores and holds the day in its outbox, across a gateway
// restart), then restored and cut again mid-drain (messages in flight go again): every batch is in PostgreSQL
// exactly once, with its samples. The link is cut between gateway and broker (link-proxy.ts): the central broker
// keeps running, as a cluster does when one site goes dark.
import type { MqttClient } from "mqtt";
import pg from "pg";
import { afterAll, beforeAll, describe, expect } from "vitest";
import type { BatchPayload } from "../../firmware/protocol/messages";
import { Central } from "../../central/service";
import { Gateway } from "../../gateway/gateway";
import { Uplink } from "../../gateway/uplink/uplink";
import { birth, nodeClient, tempDir, testConfig, topic, waitFor } from "../gateway/fixture";
import { mosquittoMissing, startMosquitto, type Mosquitto } from "../helpers/mosquitto";
import { postgresMissing, startPostgres, type Postgres } from "../helpers/postgres";
import { uplinkConfig } from "../uplink/site";
import { startLinkProxy, type LinkProxy } from "./link-proxy";
import { needs } from "../helpers/prerequisites";

const missing = mosquittoMissing || postgresMissing;
const DAY_T0 = Date.UTC(2025, 5, 15) / 1000; // s
const ROWS = 5; // 1-minute rows per node batch
const PER_DAY = (24 * 60) / ROWS; // 288 batches per node per day

function dayBatch(seq: number): BatchPayload {
  const r: (number | null)[][] = [];
  const q: string[] = [];
  for (let k = 0; k < ROWS; k++) {
    const m = seq * ROWS + k;
    r.push([12000 + (m % 900), m % 7 === 0 ? null : -1000 + m, 500 + (m % 400)]);
    q.push(m % 7 === 0 ? "ofo" : "ooo");
  }
  return { b: 7, s: seq, t: DAY_T0 + seq * ROWS * 60, ts: 1, i: 60, r, q };
}

let broker: Mosquitto | undefined;
let link: LinkProxy | undefined;
let db: Postgres | undefined;
const centrals: Central[] = [];

beforeAll(async () => {
  if (missing) return;
  db = await startPostgres();
  // queues raised for QoS 1 fan-in (docs/design.md guarantee 1)
  broker = await startMosquitto({ conf: ["max_queued_messages 100000"] });
  link = await startLinkProxy(broker!.port);
  for (const i of [1, 2]) {
    const c = new Central({
      broker: broker!.url,
      group: "ingest",
      clientId: `central-${i}`,
      database: { ...db!.conn },
      http: i === 1 ? { host: "127.0.0.1", port: 0, token: "central-token-0123" } : undefined,
    });
    await c.start();
    centrals.push(c);
  }
});

afterAll(async () => {
  for (const c of centrals) await c.stop();
  await link?.close();
  await broker?.close();
  await db?.stop();
});

async function publishAll(n: MqttClient, node: string, from: number, to: number): Promise<void> {
  for (let s = from; s < to; s++) await n.publishAsync(topic(node, "t"), JSON.stringify(dayBatch(s)), { qos: 1 });
}

describe("central path", () => {
  needs("mosquitto", "postgres").it("site gateway -> mosquitto -> two ingest instances -> PostgreSQL: a day cut off, then every batch exactly once", async () => {
    const dir = tempDir("mg-central-");
    const cfg = testConfig(dir);
    const up = uplinkConfig({ url: link!.url, clientId: "gw-s1", batching: { max_messages: 12, max_delay_s: 0.2 }, reconnect_s: 0.2 });
    let gw = new Gateway(cfg);
    let uplink = new Uplink(gw, up, { site: "s1", tickMs: 50 });
    gw.use(uplink);
    await gw.start();
    const pool = new pg.Pool({ ...db!.conn, max: 2 });
    const count = async (sql: string) => Number((await pool.query(sql)).rows[0].n);
    try {
      let n1 = await nodeClient(gw.brokerUrl, "n1");
      let n2 = await nodeClient(gw.brokerUrl, "n2");
      await n1.publishAsync(topic("n1", "birth"), JSON.stringify(birth()), { qos: 1, retain: true });
      await n2.publishAsync(topic("n2", "birth"), JSON.stringify(birth()), { qos: 1, retain: true });
      await publishAll(n1, "n1", 0, 10);
      await publishAll(n2, "n2", 0, 10);
      await waitFor(() => uplink.status().outbox === 0, 15_000, "live batches sent");

      // the uplink is cut: half a day is reported, the gateway restarts, the other half is reported
      link!.cut();
      await publishAll(n1, "n1", 10, PER_DAY / 2);
      await publishAll(n2, "n2", 10, PER_DAY / 2);
      n1.end(true);
      n2.end(true);
      await gw.stop();
      gw = new Gateway(cfg);
      uplink = new Uplink(gw, up, { site: "s1", tickMs: 50 });
      gw.use(uplink);
      await gw.start();
      expect(uplink.status().outbox).toBeGreaterThanOrEqual(2 * (PER_DAY / 2 - 10));
      n1 = await nodeClient(gw.brokerUrl, "n1");
      n2 = await nodeClient(gw.brokerUrl, "n2");
      await publishAll(n1, "n1", PER_DAY / 2, PER_DAY);
      await publishAll(n2, "n2", PER_DAY / 2, PER_DAY);
      const held = uplink.status().outbox;
      expect(held).toBeGreaterThanOrEqual(2 * (PER_DAY - 10)); // a day of batches (and births, states) waiting

      // restored, and cut again while the backlog drains: messages in flight go again, the repeats are dropped
      link!.restore();
      await waitFor(() => uplink.status().entriesAcked > 50, 20_000, "the drain to start");
      link!.cut();
      await new Promise((r) => setTimeout(r, 300));
      link!.restore();
      await waitFor(() => uplink.status().outbox === 0, 60_000, "the outbox to drain");
      const expected = 2 * PER_DAY;
      for (let i = 0; i < 600; i++) {
        if ((await count("SELECT count(*) AS n FROM batches")) >= expected) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(await count("SELECT count(*) AS n FROM batches")).toBe(expected);
      expect(await count("SELECT count(*) AS n FROM (SELECT DISTINCT site, node, boot, seq FROM batches) d")).toBe(expected);
      expect(await count("SELECT count(*) AS n FROM samples")).toBe(expected * ROWS * 3);
      // both instances took part
      const per = (await pool.query("SELECT ingest, count(*)::int AS n FROM batches GROUP BY ingest ORDER BY ingest")).rows;
      expect(per.map((r) => r.ingest)).toEqual(["central-1", "central-2"]);
      const stored = centrals.reduce((a, c) => a + c.ingest!.counters.batches, 0);
      expect(stored).toBe(expected);
      // values and qualities as the node sent them: battery_V scale 3
      const v = await pool.query("SELECT value, quality FROM samples WHERE node = 'n2' AND channel_id = 4 AND ts = to_timestamp($1)", [DAY_T0 + 7 * 60]);
      expect(v.rows[0]).toEqual({ value: null, quality: "f" });
      const w = await pool.query("SELECT value FROM samples WHERE node = 'n1' AND channel_id = 1 AND ts = to_timestamp($1)", [DAY_T0 + 100 * 60]);
      expect(w.rows[0].value).toBeCloseTo(12.1, 6);

      // the gateway's API shape, for every site
      const api = async (path: string) => {
        const r = await fetch(centrals[0].httpUrl + path, { headers: { authorization: "Bearer central-token-0123" } });
        return { status: r.status, body: (await r.json()) as any };
      };
      expect((await fetch(centrals[0].httpUrl + "/api/sites")).status).toBe(401);
      const sites = await api("/api/sites");
      expect(sites.body.sites).toMatchObject([{ site: "s1", nodes: 2 }]);
      const nodes = await api("/api/sites/s1/nodes");
      expect(nodes.body.nodes.map((n: { node: string }) => n.node)).toEqual(["n1", "n2"]);
      expect(nodes.body.nodes[0].interval_s).toBe(60);
      const latest = await api("/api/sites/s1/nodes/n1/latest");
      const bv = latest.body.channels.find((c: { key: string }) => c.key === "battery_V");
      expect(bv).toMatchObject({ id: 1, unit: "V", quality: "o", ts: (DAY_T0 + (PER_DAY * ROWS - 1) * 60) * 1000 });
      const from = DAY_T0 * 1000;
      const hist = await api(`/api/sites/s1/nodes/n1/history?channel=battery_V&from=${from}&to=${from + 86_400_000}&points=24`);
      expect(hist.status).toBe(200);
      expect(hist.body.points).toHaveLength(24);
      expect(hist.body.points[0].n).toBe(60);
      expect(hist.body.bucket_ms).toBe(3_600_000);
      expect((await api("/api/sites/s1/nodes/n9/latest")).status).toBe(404);
      expect((await api("/api/sites/S1/nodes")).status).toBe(400);
      n1.end(true);
      n2.end(true);
    } finally {
      await gw.stop();
      await pool.end();
    }
  }, 180_000);
});
