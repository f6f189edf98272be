// Central ingest rate: uplink messages (15 one-minute batches of the replayed site-day's 38 channels, bench/site-day.ts,
// in mgc/v2 columns as a gateway sends them) published to mosquitto and written to PostgreSQL by one ingest
// instance, then by two side by side on one shared subscription. Each run starts from empty tables; the rate
// counts until the last batch is committed.
//   central.ingest.batchesPerSecond.1   one instance
//   central.ingest.batchesPerSecond.2   two instances
//   central.cost.decodeUs / .dbUs       per batch, in one instance: decoding (topic, inflate) and PostgreSQL (the
//                                       transaction, with the columns' decode against their state)
//   central.broker.messagesPerSecond    the same messages through mosquitto to a bare QoS 1 shared subscriber
//   central.pg.usPerBatch.v2 / .v1      PostgreSQL alone: the messages written one after another on one connection
//                                       (no broker, no waiting for a pooled connection), in mgc/v2 and in mgc/v1 JSON
// Needs mosquitto and PostgreSQL's server binaries (the test helpers start both); figures are left out without them.
import mqtt from "mqtt";
import pg from "pg";
import { Central } from "../central/service";
import { columnsTopic, decodeCentral, encodeCentral, sharedSubscriptions } from "../contracts/uplink-wire";
import { ensureSchema } from "../central/schema";
import { writeMessage } from "../central/write";
import { ColumnsEncoder } from "../gateway/uplink/columns-state";
import { mosquittoMissing, startMosquitto } from "../test/helpers/mosquitto";
import { postgresMissing, startPostgres } from "../test/helpers/postgres";
import { replayedSiteDay, type SiteDay } from "./site-day";

const SITES = 40;
const MESSAGES_PER_SITE = 24; // 6 hours of one node per site at 15 batches per message
const PER_MESSAGE = 15;

function messages(day: SiteDay, format: 1 | 2 = 2): { topic: string; payload: Buffer }[] {
  const msgs: { topic: string; payload: Buffer }[] = [];
  for (let s = 0; s < SITES; s++) {
    const enc = new ColumnsEncoder();
    for (let m = 0; m < MESSAGES_PER_SITE; m++) {
      const items = day.items.slice(m * PER_MESSAGE, (m + 1) * PER_MESSAGE);
      const site = `site-${s}`;
      msgs.push(
        format === 2
          ? { topic: columnsTopic(site, day.node), payload: enc.encode(site, day.node, { c: day.c, x: day.scales }, items) }
          : encodeCentral({ site, node: day.node, kind: "t", c: day.c, x: day.scales, items }, true),
      );
    }
  }
  return msgs;
}

/** µs of PostgreSQL per batch: every message decoded and written in turn on one connection; bytes per sample stored. */
async function pgOnly(conn: pg.PoolConfig, format: 1 | 2, size?: { bytesPerSample: number }): Promise<number> {
  const pool = new pg.Pool({ ...conn, max: 1 });
  try {
    await ensureSchema(pool);
    await pool.query("TRUNCATE batches, samples, channels, nodes, channel_tables, pending_messages");
    const msgs = messages(await replayedSiteDay(), format);
    const c = await pool.connect();
    let us = 0;
    try {
      for (const m of msgs) {
        const d = decodeCentral(m.topic, m.payload);
        if (!d.ok) throw new Error(d.detail);
        const t0 = performance.now();
        await writeMessage(c, d.msg, "bench", m.payload);
        us += (performance.now() - t0) * 1000;
      }
      if (size) {
        await c.query("VACUUM ANALYZE samples");
        const r = await c.query("SELECT pg_total_relation_size('samples')::float8 / count(*) AS b FROM samples");
        size.bytesPerSample = Math.round(r.rows[0].b);
      }
    } finally {
      c.release();
    }
    return Math.round(us / (msgs.length * PER_MESSAGE));
  } finally {
    await pool.end();
  }
}

/** Messages/s through the broker alone: a QoS 1 subscriber of the shared subscription that stores nothing. */
async function brokerOnly(brokerUrl: string, msgs: { topic: string; payload: Buffer }[]): Promise<number> {
  const sub = await mqtt.connectAsync(brokerUrl, { protocolVersion: 5, clean: true, reconnectPeriod: 0 });
  let got = 0;
  sub.on("message", () => got++);
  await sub.subscribeAsync(sharedSubscriptions("bare"), { qos: 1 });
  const pub = await mqtt.connectAsync(brokerUrl, { reconnectPeriod: 0 });
  const t0 = performance.now();
  await Promise.all(msgs.map((m) => pub.publishAsync(m.topic, m.payload, { qos: 1 })));
  while (got < msgs.length) await new Promise((r) => setTimeout(r, 2));
  const s = (performance.now() - t0) / 1000;
  await pub.endAsync();
  await sub.endAsync();
  return Math.round(msgs.length / s);
}

async function run(instances: number, conn: pg.PoolConfig, brokerUrl: string, run: number, cost?: { decodeUs: number; dbUs: number }): Promise<number> {
  const admin = new pg.Pool({ ...conn, max: 1 });
  const centrals: Central[] = [];
  try {
    for (let i = 0; i < instances; i++) {
      const c = new Central({ broker: brokerUrl, group: `bench${run}`, clientId: `bench${run}-${i}`, database: conn, sessionExpiry_s: 0 });
      await c.start();
      centrals.push(c);
    }
    await admin.query("TRUNCATE batches, samples, channels, nodes, channel_tables, pending_messages");
    const msgs = messages(await replayedSiteDay());
    const pub = mqtt.connect(brokerUrl, { reconnectPeriod: 0 });
    await new Promise<void>((resolve) => pub.once("connect", () => resolve()));
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
    if (cost) {
      const k = centrals[0].ingest!.counters;
      cost.decodeUs = Math.round((k.decode_ms * 1000) / total);
      cost.dbUs = Math.round((k.db_ms * 1000) / total);
    }
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
    const cost = { decodeUs: 0, dbUs: 0 };
    const one = await run(1, conn, broker!.url, 1, cost);
    const two = await run(2, conn, broker!.url, 2);
    const bare = await brokerOnly(broker!.url, messages(await replayedSiteDay()));
    const size = { bytesPerSample: 0 };
    const pg2 = await pgOnly(conn, 2, size);
    const pg1 = await pgOnly(conn, 1);
    return {
      "central.ingest.batchesPerSecond.1": one,
      "central.ingest.batchesPerSecond.2": two,
      "central.cost.decodeUs": cost.decodeUs,
      "central.cost.dbUs": cost.dbUs,
      "central.broker.messagesPerSecond": bare,
      "central.broker.batchesPerSecond": bare * PER_MESSAGE,
      "central.pg.usPerBatch.v2": pg2,
      "central.pg.usPerBatch.v1": pg1,
      "central.pg.bytesPerSample": size.bytesPerSample,
    };
  } finally {
    await broker?.close();
    await db?.stop();
  }
}
