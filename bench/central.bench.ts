// Central ingest rate: uplink messages (15 one-minute batches of 25 channels each, deflated, as a gateway sends
// them) published to mosquitto and written to PostgreSQL by one ingest instance, then by two side by side on one
// shared subscription. Each run starts from empty tables; the rate counts until the last batch is committed.
//   central.ingest.batchesPerSecond.1   one instance
//   central.ingest.batchesPerSecond.2   two instances
// Needs mosquitto and PostgreSQL's server binaries (the test helpers start both); figures are left out without them.
import mqtt from "mqtt";
import pg from "pg";
import { Central } from "../central/service";
import { encodeCentral, type BatchItem } from "../contracts/uplink-wire";
import { mosquittoMissing, startMosquitto } from "../test/helpers/mosquitto";
import { postgresMissing, startPostgres } from "../test/helpers/postgres";
import { siteDay } from "./uplink.bench";

const SITES = 40;
const MESSAGES_PER_SITE = 24; // 6 hours of one node per site at 15 batches per message
const PER_MESSAGE = 15;

async function run(instances: number, conn: pg.PoolConfig, brokerUrl: string, run: number): Promise<number> {
  const admin = new pg.Pool({ ...conn, max: 1 });
  const centrals: Central[] = [];
  try {
    for (let i = 0; i < instances; i++) {
      const c = new Central({ broker: brokerUrl, group: `bench${run}`, clientId: `bench${run}-${i}`, database: conn, sessionExpiry_s: 0 });
      await c.start();
      centrals.push(c);
    }
    await admin.query("TRUNCATE batches, samples, channels, nodes");
    const day = siteDay();
    const c = day.keys.map((_, j) => j + 1);
    const pub = mqtt.connect(brokerUrl, { reconnectPeriod: 0 });
    await new Promise<void>((resolve) => pub.once("connect", () => resolve()));
    const msgs: { topic: string; payload: Buffer }[] = [];
    for (let s = 0; s < SITES; s++)
      for (let m = 0; m < MESSAGES_PER_SITE; m++) {
        const items: BatchItem[] = [];
        for (let k = 0; k < PER_MESSAGE; k++) {
          const minute = m * PER_MESSAGE + k;
          items.push({ b: 1, s: minute, t: 1_750_000_000 + minute * 60, i: 60, r: [day.rows[minute]] });
        }
        msgs.push(encodeCentral({ site: `site-${s}`, node: "ctl", kind: "t", c, x: day.scales, items }, true));
      }
    const total = SITES * MESSAGES_PER_SITE * PER_MESSAGE;
    const t0 = performance.now();
    await Promise.all(msgs.map((m) => pub.publishAsync(m.topic, m.payload, { qos: 1 })));
    const stored = () => centrals.reduce((a, x) => a + (x.ingest?.counters.batches ?? 0), 0);
    while (stored() < total) {
      if (performance.now() - t0 > 120_000) throw new Error(`central bench: ${stored()} of ${total} batches after 2 minutes`);
      await new Promise((r) => setTimeout(r, 5));
    }
    const s = (performance.now() - t0) / 1000;
    pub.end(true);
    return Math.round(total / s);
  } finally {
    for (const c of centrals) await c.stop();
    await admin.end();
  }
}

export async function bench(): Promise<Record<string, number>> {
  if (mosquittoMissing || postgresMissing) {
    console.error(`central bench: ${mosquittoMissing || postgresMissing}`);
    return {};
  }
  const db = await startPostgres();
  const broker = await startMosquitto({ conf: ["max_queued_messages 100000", "max_inflight_messages 100"] });
  try {
    const conn = { ...db!.conn };
    return {
      "central.ingest.batchesPerSecond.1": await run(1, conn, broker!.url, 1),
      "central.ingest.batchesPerSecond.2": await run(2, conn, broker!.url, 2),
    };
  } finally {
    await broker?.close();
    await db?.stop();
  }
}
