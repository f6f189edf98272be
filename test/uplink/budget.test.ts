// Byte budgets per day and month, the alarm before a budget runs out, and a spent budget closing the link.
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AlarmEvent } from "../../gateway/alarms/service";
import { EventBus } from "../../gateway/events";
import { Store } from "../../gateway/storage/store";
import { Budget, nextMonthStart } from "../../gateway/uplink/budget";
import { budgetRule, Uplink } from "../../gateway/uplink/uplink";
import { startMosquitto, type Mosquitto } from "../helpers/mosquitto";
import { addNode, storeBatch, uplinkConfig, waitFor } from "./site";
import { needs } from "../helpers/prerequisites";

const day = (d: number, h = 0) => Date.UTC(2025, 5, d, h);

describe("uplink budget accounting", () => {
  it("adds bytes per UTC day and month, warns once at alarm_at_pct and once when spent", () => {
    const store = Store.open(":memory:");
    const b = new Budget(store.db, { day_bytes: 1000, month_bytes: 2500, alarm_at_pct: 80 });
    expect(b.add(700, day(1, 1))).toEqual([]);
    const warn = b.add(150, day(1, 2));
    expect(warn).toEqual([{ period: "day", key: "d:2025-06-01", used_bytes: 850, limit_bytes: 1000, level: "warn" }]);
    expect(b.add(10, day(1, 3))).toEqual([]); // already warned this day
    expect(b.spent(day(1, 3))).toBeUndefined();
    const spent = b.add(200, day(1, 4));
    expect(spent.map((x) => x.level)).toEqual(["spent"]);
    expect(b.spent(day(1, 5))).toEqual({ period: "day", until: day(2) });
    // the next day starts from zero; the month keeps counting
    expect(b.spent(day(2, 1))).toBeUndefined();
    expect(b.use(day(2, 1))).toMatchObject({ day_bytes: 0, month_bytes: 1060 });
    const m = b.add(950, day(2, 2));
    expect(m.map((x) => `${x.period}:${x.level}`)).toEqual(["day:warn", "month:warn"]);
    b.add(500, day(3));
    expect(b.spent(day(3, 1))).toEqual({ period: "month", until: nextMonthStart(day(3)) });
    expect(nextMonthStart(day(3))).toBe(Date.UTC(2025, 6, 1));
    store.close();
  });

  it("keeps its count in the store across a restart", () => {
    const store = Store.open(":memory:");
    new Budget(store.db, { day_bytes: 0, month_bytes: 0, alarm_at_pct: 80 }).add(1234, day(5));
    expect(new Budget(store.db, { day_bytes: 0, month_bytes: 0, alarm_at_pct: 80 }).use(day(5, 12)).day_bytes).toBe(1234);
    store.close();
  });
});

describe("uplink on a metered link", () => {
  let broker: Mosquitto | undefined;
  beforeAll(async () => {
    broker = await startMosquitto();
  });
  afterAll(async () => {
    await broker?.close();
  });

  needs("mosquitto").it("raises the alarm before the day budget runs out, then closes the link and keeps the rest in the outbox", async () => {
    const store = Store.open(":memory:");
    const bus = new EventBus();
    const alarms: AlarmEvent[] = [];
    bus.on("alarm", (a) => alarms.push(a));
    const seen: string[] = [];
    const sub = mqtt.connect(broker!.url, { reconnectPeriod: 0 });
    sub.on("message", (t) => seen.push(t));
    await sub.subscribeAsync("mgc/v1/#", { qos: 1 });
    const cfg = uplinkConfig({ url: broker!.url, clientId: "gw-budget", budget: { day_bytes: 3000, alarm_at_pct: 50 }, batching: { max_messages: 1, max_delay_s: 0 }, compression: false, format: 1, inflight: 1, reconnect_s: 0.05 });
    const up = new Uplink({ bus, store }, cfg, { site: "s1", tickMs: 20 });
    up.start();
    addNode(store, bus, "n1");
    for (let s = 1; s <= 40; s++) storeBatch(store, bus, "n1", s);
    await waitFor(() => up.status().pausedUntil !== null, 10_000, "the budget to be spent");
    await new Promise((r) => setTimeout(r, 200));
    const st = up.status();
    expect(st.connected).toBe(false);
    expect(st.outbox).toBeGreaterThan(0);
    expect(st.entriesAcked).toBeGreaterThan(0);
    // each message is booked when it is sent, so the overrun is at most one message and its PUBACK (~500 bytes here)
    expect(st.wireBytes).toBeGreaterThanOrEqual(3000);
    expect(st.wireBytes).toBeLessThan(3000 + 600);
    const rules = alarms.filter((a) => a.rule === budgetRule.day).map((a) => `${a.severity}:${a.state}`);
    expect(rules).toEqual(["warning:raised", "warning:cleared", "critical:raised"]);
    const stored = store.db.prepare("SELECT severity, cleared_at FROM alarms WHERE rule = ? ORDER BY id").all(budgetRule.day) as { severity: string; cleared_at: number | null }[];
    expect(stored.map((r) => r.severity)).toEqual(["warning", "critical"]);
    expect(stored[1].cleared_at).toBeNull();
    // the warning went to the central broker before the budget ran out
    expect(seen).toContain("mgc/v1/s1/uplink/a");
    const waiting = st.outbox;
    await new Promise((r) => setTimeout(r, 300));
    expect(up.status().outbox).toBe(waiting);
    expect(up.status().connects).toBe(1);
    await up.stop();
    sub.end(true);
    store.close();
  });
});
