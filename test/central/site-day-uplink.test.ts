// A replayed site-day (the firmware in the simulator, from a real PV trace: bench/site-day.ts) forwarded by the
// gateway's uplink in mgc/v2 through a link that is cut twice, to mosquitto and two central instances, one of them
// restarted on the way: central's PostgreSQL then holds every sample the gateway's SQLite holds, with the same
// value and quality.
import { copyFileSync } from "node:fs";
import Database from "better-sqlite3";
import pg from "pg";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { Central } from "../../central/service";
import { Gateway } from "../../gateway/gateway";
import { Uplink } from "../../gateway/uplink/uplink";
import { replayedSiteDayDb } from "../../bench/site-day";
import { tempDir, testConfig, waitFor } from "../gateway/fixture";
import { mosquittoMissing, startMosquitto, type Mosquitto } from "../helpers/mosquitto";
import { postgresMissing, startPostgres, type Postgres } from "../helpers/postgres";
import { needs } from "../helpers/prerequisites";
import { uplinkConfig } from "../uplink/site";
import { startLinkProxy, type LinkProxy } from "./link-proxy";

let broker: Mosquitto | undefined;
let link: LinkProxy | undefined;
let db: Postgres | undefined;
const centrals: Central[] = [];

const central = (i: number) =>
  new Central({ broker: broker!.url, group: "ingest", clientId: `central-${i}`, database: { ...db!.conn }, sessionExpiry_s: 0 });

beforeAll(async () => {
  if (mosquittoMissing || postgresMissing) return;
  db = await startPostgres();
  broker = await startMosquitto({ conf: ["max_queued_messages 100000"] });
  link = await startLinkProxy(broker!.port);
  for (const i of [1, 2]) {
    const c = central(i);
    await c.start();
    centrals.push(c);
  }
}, 60_000);

afterAll(async () => {
  for (const c of centrals) await c.stop();
  await link?.close();
  await broker?.close();
  await db?.stop();
});

type Sample = { site: string; node: string; channel_id: number; ts: number; value: number | null; quality: string };
const key = (s: Sample) => `${s.site}/${s.node}/${s.channel_id}/${s.ts}`;

describe("a replayed day through the uplink", () => {
  needs("mosquitto", "postgres").it("central's PostgreSQL holds the gateway's samples, value for value", async () => {
    const dir = tempDir("mg-siteday-");
    const cfg = testConfig(dir, {}, []);
    copyFileSync(await replayedSiteDayDb(), cfg.storage.path);
    const up = uplinkConfig({ url: link!.url, clientId: "gw-replay", batching: { max_messages: 15, max_delay_s: 0.1 }, reconnect_s: 0.1 });
    const gw = new Gateway(cfg);
    const uplink = new Uplink(gw, up, { site: "replay", tickMs: 20 });
    gw.use(uplink);
    await gw.start();
    const pool = new pg.Pool({ ...db!.conn, max: 2 });
    try {
      const sqlite = new Database(cfg.storage.path, { readonly: true });
      const stored = sqlite.prepare("SELECT site, node, boot, seq, rows FROM batches ORDER BY t0").all() as { site: string; node: string; boot: number; seq: number; rows: number }[];
      expect(stored.length).toBeGreaterThanOrEqual(1400);
      // every stored batch announced as ingest announces it, so the uplink takes it into its outbox
      for (const b of stored) gw.bus.emit("batch.stored", { site: b.site, node: b.node, boot: b.boot, seq: b.seq, rows: b.rows });
      const sent = () => uplink.status().entriesAcked;
      await waitFor(() => sent() > 300, 30_000, "a third of the day sent");
      link!.cut(); // messages written against ones in flight: the next connection starts again with a keyframe
      await new Promise((r) => setTimeout(r, 200));
      link!.restore();
      await waitFor(() => sent() > 800, 30_000, "two thirds sent");
      // a central instance restarts while the rest drains
      await centrals[1].stop();
      centrals[1] = central(2);
      await centrals[1].start();
      link!.cut();
      await new Promise((r) => setTimeout(r, 200));
      link!.restore();
      await waitFor(() => uplink.status().outbox === 0, 60_000, "the outbox to drain");
      const count = async () => Number((await pool.query("SELECT count(*) AS n FROM batches")).rows[0].n);
      for (let i = 0; i < 300 && (await count()) < stored.length; i++) await new Promise((r) => setTimeout(r, 100));
      expect(await count()).toBe(stored.length);
      expect(Number((await pool.query("SELECT count(*) AS n FROM pending_messages")).rows[0].n)).toBe(0);

      const site = sqlite.prepare("SELECT site, node, channel_id, ts, value, quality FROM samples").all() as Sample[];
      sqlite.close();
      const pgRows = (
        await pool.query("SELECT site, node, channel_id, (extract(epoch FROM ts) * 1000)::bigint AS ts, value, quality FROM samples")
      ).rows.map((r) => ({ ...r, ts: Number(r.ts) })) as Sample[];
      expect(pgRows.length).toBe(site.length);
      const byKey = new Map(pgRows.map((s) => [key(s), s]));
      const differ = site.filter((s) => {
        const c = byKey.get(key(s));
        return !c || c.value !== s.value || c.quality !== s.quality;
      });
      expect(differ.slice(0, 3)).toEqual([]);
      // the day came in columns (mgc/v2): every batch keeps the state a later message may be written against
      expect(Number((await pool.query("SELECT count(*) AS n FROM batches WHERE state IS NULL")).rows[0].n)).toBe(0);
    } finally {
      await gw.stop();
      await pool.end();
    }
  }, 240_000);
});
