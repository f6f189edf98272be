// The bounds of a CSV export (gateway/api/export-limits.ts) over real HTTP: a range longer than a year is refused
// naming the limit, too many samples get 413, a third export beyond maxConcurrent gets 503, a request past its time
// budget ends with an error event saying where to go on from, and a dense chunk is read in slices.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startApi, RunningApi, StartApiOptions } from "../../gateway/api/server";
import type { Store } from "../../gateway/storage/store";
import type { EventBus } from "../../gateway/events";
import { addBatch, makeStore, T0 } from "./api-fixture";

const DAY = 86_400_000;
let store: Store;
let bus: EventBus;
let api: RunningApi | undefined;
const logs: string[] = [];

async function start(o: Partial<StartApiOptions> = {}): Promise<void> {
  api = await startApi({ store, bus, config: { port: 0 }, now: () => T0 + DAY, log: (l) => logs.push(l), ...o });
}

const path = (q: string) => `http://127.0.0.1:${api!.port}/api/sites/site-a/nodes/ctl-1/export.csv?${q}`;

async function get(q: string): Promise<{ status: number; text: string }> {
  const r = await fetch(path(q));
  return { status: r.status, text: await r.text() };
}

beforeEach(() => {
  ({ store, bus } = makeStore());
  // one day of minutes, channel battery_V
  addBatch(store, bus, { t0: T0, rows: Array.from({ length: 1440 }, (_, k) => ({ 1: 50 + k / 1000 })) });
  logs.length = 0;
});

afterEach(async () => {
  await api?.stop();
  api = undefined;
  store.close();
});

describe("CSV export limits", () => {
  it("refuses a range over 366 days with 400 naming `to` and the limit; a year is accepted", async () => {
    await start();
    const r = await get(`from=0&to=${Date.UTC(5000, 0, 1)}&channels=1`);
    expect(r.status).toBe(400);
    expect(JSON.parse(r.text).error).toMatchObject({ code: "bad-parameter", param: "to" });
    expect(JSON.parse(r.text).error.message).toMatch(/at most 366 days/);
    const year = await get(`from=${T0 - 365 * DAY}&to=${T0 + DAY}&channels=1`);
    expect(year.status).toBe(200);
    expect(year.text.trim().split("\n")).toHaveLength(1441);
  });

  it("refuses an export of more samples than maxSamples with 413", async () => {
    await start({ exportLimits: { maxSamples: 1000 } });
    const r = await get(`from=${T0}&to=${T0 + DAY}&channels=1`);
    expect(r.status).toBe(413);
    expect(JSON.parse(r.text).error.message).toMatch(/holds at least \d+ samples; an export returns at most 1000/);
  });

  it("reads a dense chunk in slices of samplesPerSlice and still returns every line once, in order", async () => {
    await start({ exportLimits: { samplesPerSlice: 7 } });
    const r = await get(`from=${T0}&to=${T0 + DAY}&channels=1`);
    const ts = r.text.trim().split("\n").slice(1).map((l) => Number(l.split(",")[0]));
    expect(ts).toHaveLength(1440);
    expect(ts.every((t, i) => i === 0 || t - ts[i - 1] === 60_000)).toBe(true);
  });

  it("answers 503 when maxConcurrent exports are running", async () => {
    await start({ exportLimits: { maxConcurrent: 1, samplesPerSlice: 10 } });
    const first = await fetch(path(`from=${T0}&to=${T0 + DAY}&channels=1`)); // headers: it is streaming its 144 slices
    const second = await get(`from=${T0}&to=${T0 + DAY}&channels=1`);
    expect(second.status).toBe(503);
    expect(JSON.parse(second.text).error.code).toBe("busy");
    expect((await first.text()).trim().split("\n")).toHaveLength(1441);
    expect((await get(`from=${T0}&to=${T0 + DAY}&channels=1`)).status).toBe(200); // the slot is free again
  });

  it("ends an export past its time budget with an error event naming where to go on", async () => {
    let tick = 0;
    await start({ exportLimits: { budgetMs: 10, samplesPerSlice: 100 }, monotonic: () => tick++ });
    const r = await get(`from=${T0}&to=${T0 + DAY}&channels=1&progress=1`);
    expect(r.status).toBe(200);
    const err = /event: error\ndata: (.*)\n/.exec(r.text);
    expect(err).not.toBeNull();
    const e = JSON.parse(err![1]);
    expect(e.code).toBe("time-budget");
    expect(e.next_from).toBeGreaterThan(T0);
    expect(r.text).not.toContain("event: done");
    expect(logs.some((l) => l.includes("ran past its budget"))).toBe(true);
  });
});
