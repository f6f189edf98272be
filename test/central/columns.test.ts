// mgc/v2 batches in columns: every batch of a replayed day (the firmware's own channel table and values, from the
// simulator) comes back exactly, in one-minute and fifteen-minute messages, with and without a reference; a
// malformed payload is a clear rejection; and in PostgreSQL a message that arrives before the batch it is written
// against is held, then written when that batch arrives.
import { isDeepStrictEqual } from "node:util";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeColumns, encodeColumns, openColumns, stateOf } from "../../contracts/uplink-columns";
import { columnsTopic, decodeCentral, type BatchItem, type CentralMessage } from "../../contracts/uplink-wire";
import { ensureSchema } from "../../central/schema";
import { writeMessage } from "../../central/write";
import { ColumnsEncoder } from "../../gateway/uplink/columns-state";
import { replayedSiteDay, type SiteDay } from "../../bench/site-day";
import { postgresMissing, startPostgres, type Postgres } from "../helpers/postgres";
import { needs } from "../helpers/prerequisites";
import { decodeInOrder } from "../uplink/site";

let day: SiteDay;
beforeAll(async () => {
  day = await replayedSiteDay();
}, 120_000);

function messages(per: number, keyframeBatches = 60): { topic: string; payload: Buffer }[] {
  const enc = new ColumnsEncoder(keyframeBatches);
  const out: { topic: string; payload: Buffer }[] = [];
  for (let k = 0; k < day.items.length; k += per) {
    // a reconnect every 200 batches: the next message carries its table again
    if (k % 200 < per && k > 0) enc.reset();
    out.push({ topic: columnsTopic("s1", "n1"), payload: enc.encode("s1", "n1", { c: day.c, x: day.scales }, day.items.slice(k, k + per)) });
  }
  return out;
}

describe("mgc/v2 columns", () => {
  it("every batch of a replayed day decodes to the values the node sent, at 1 and 15 batches per message", () => {
    expect(day.items.length).toBeGreaterThanOrEqual(1400);
    expect(day.c.length).toBeGreaterThan(30);
    // the day has nulls and qualities other than "o" (a battery temperature the monitor does not have)
    expect(day.items.some((b) => b.q && b.r.some((row) => row.includes(null)))).toBe(true);
    for (const per of [1, 15]) {
      const msgs = messages(per);
      const back = decodeInOrder(msgs);
      expect(back.length).toBe(day.items.length);
      const bad = back.findIndex((b, k) => !isDeepStrictEqual(b, day.items[k]));
      expect(bad, `batch ${bad} at ${per} per message`).toBe(-1);
      // most messages are written against the one before (no table)
      const withRef = msgs.filter((m) => openColumns(m.payload).ref).length;
      expect(withRef).toBeGreaterThan(msgs.length / 2);
    }
  });

  it("keeps merged summaries, historical batches, irregular starts and large counters exact", () => {
    const table = { c: [1, 100], x: [3, 1] };
    const items: BatchItem[] = [
      { b: 3, s: 10, t: 1_750_000_000.5, i: 60, r: [[12800, 2 ** 40]], h: 1 },
      { b: 3, s: 11, t: 1_750_000_060.5, i: 60, r: [[null, 2 ** 40 + 7], [-5, null]], q: ["fo", "os"], m: 4, e: 14 },
      { b: 4, s: 0, t: 1_749_999_000, i: 0.5, r: [[1, 2]] },
    ];
    const first = encodeColumns(table, items);
    const d = decodeColumns(openColumns(first));
    expect(d.items).toEqual(items);
    const next: BatchItem[] = [{ b: 4, s: 1, t: 1_749_999_000.5, i: 0.5, r: [[3, 4]] }];
    const ref = stateOf(table, items[2]);
    const second = encodeColumns(table, next, { ref });
    expect(decodeColumns(openColumns(second), ref).items).toEqual(next);
    expect(() => decodeColumns(openColumns(second))).toThrow(/reference 4\/0/);
  });

  it("rejects a malformed payload with a reason, never a throw", () => {
    const good = messages(15)[0].payload;
    const topic = columnsTopic("s1", "n1");
    expect(decodeCentral(topic, good)).toMatchObject({ ok: true });
    expect(decodeCentral(topic, Buffer.from([7, 1, 2]))).toMatchObject({ ok: false, reason: "columns" });
    expect(decodeCentral(topic, Buffer.from([1, 0xff, 0xff, 0xff]))).toMatchObject({ ok: false, reason: "columns" });
    expect(decodeCentral("mgc/v2/s1/n1/b", good)).toMatchObject({ ok: false, reason: "topic" });
    // a payload cut short opens (its head is whole) but does not decode
    const plain = encodeColumns({ c: day.c, x: day.scales }, day.items.slice(0, 15), { deflate: false });
    const cut = decodeCentral(topic, plain.subarray(0, plain.length - 3));
    expect(cut.ok && (() => decodeColumns((cut.msg as CentralMessage).columns!))).toThrow();
    // a header that claims a million rows in a few bytes is refused before any row is built
    const huge = Buffer.from([0, 2, 1, 1, 3, 1, 1 | 2 | 4 | 8, 1, 1, 0, 120, 0x80, 0x89, 0x7a, 0, 0]);
    const h = decodeCentral(topic, huge);
    expect(h.ok && (() => decodeColumns((h.msg as CentralMessage).columns!))).toThrow(/rows|values in/);
  });
});

let db: Postgres | undefined;
describe("mgc/v2 in PostgreSQL", () => {
  beforeAll(async () => {
    if (postgresMissing) return;
    db = await startPostgres();
  }, 60_000);
  afterAll(async () => {
    await db?.stop();
  });

  needs("postgres").it("holds a message that arrives before its reference, and writes it when the reference arrives", async () => {
    const pool = new pg.Pool({ ...db!.conn, max: 2 });
    try {
      await ensureSchema(pool);
      const msgs = messages(15).slice(0, 4); // a keyframe, then three written against the one before
      const decoded = msgs.map((m) => decodeCentral(m.topic, m.payload));
      const write = async (k: number) => {
        const d = decoded[k];
        if (!d.ok) throw new Error(d.detail);
        // each write opens the payload afresh, as each delivery does
        const again = decodeCentral(msgs[k].topic, msgs[k].payload);
        if (!again.ok) throw new Error(again.detail);
        const c = await pool.connect();
        try {
          return await writeMessage(c, again.msg, "t", msgs[k].payload);
        } finally {
          c.release();
        }
      };
      // the last two first: both held (the second waits for the first, which waits for message 1)
      expect(await write(3)).toMatchObject({ held: 1, batches: 0 });
      expect(await write(2)).toMatchObject({ held: 1, batches: 0 });
      expect(await write(0)).toMatchObject({ batches: 15, held: 0 });
      // message 1 arrives: it and the two that waited are written
      expect(await write(1)).toMatchObject({ batches: 45, released: 2 });
      expect(Number((await pool.query("SELECT count(*) AS n FROM pending_messages")).rows[0].n)).toBe(0);
      // a repeat is a duplicate, and the values are the node's
      expect(await write(2)).toMatchObject({ batches: 0, duplicates: 15 });
      const got = await pool.query("SELECT seq, rows FROM batches ORDER BY seq");
      expect(got.rows.map((r) => Number(r.seq))).toEqual(day.items.slice(0, 60).map((b) => b.s));
      const j = day.c.indexOf(1); // battery_V, scale 3
      const v = await pool.query("SELECT value FROM samples WHERE channel_id = 1 ORDER BY ts");
      expect(v.rows.map((r) => Math.round(r.value * 1000))).toEqual(day.items.slice(0, 60).map((b) => b.r[0][j]));
    } finally {
      await pool.end();
    }
  }, 60_000);
});
