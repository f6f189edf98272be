import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AlarmService, AlarmEvent } from "../../gateway/alarms/service";
import { listAlarms } from "../../gateway/alarms/store";
import type { Store } from "../../gateway/storage/store";
import type { EventBus } from "../../gateway/events";
import { addBatch, makeStore, T0 } from "./api-fixture";

const MIN = 60_000;
const healthy = { 1: 51.5, 2: 51.0, 6: 70, 22: 400, 26: 0, 41: 300 };
const config = { enabled: true, defaults: {}, sites: { "site-a": { inverter_rating_W: 1000 } } };

let store: Store;
let bus: EventBus;
let events: AlarmEvent[];

function service(publish?: (t: string, p: string) => void | Promise<void>): AlarmService {
  return new AlarmService({ db: store.db, bus, config, publish, now: () => T0 });
}

beforeEach(() => {
  ({ store, bus } = makeStore());
  events = [];
  bus.on("alarm", (e) => void events.push(e));
});

afterEach(() => store.close());

describe("alarm service", () => {
  it("raises from stored batches, stores, emits, and stop() removes its listeners", () => {
    const before = bus.listenerCount("batch.stored") + bus.listenerCount("node.state");
    const s = service();
    s.start();
    addBatch(store, bus, { t0: T0, rows: [{ ...healthy, 41: 1500 }, { ...healthy, 26: 3 }] });
    expect(events.map((e) => [e.rule, e.state])).toEqual([
      ["overload", "raised"],
      ["charger_fault", "raised"],
    ]);
    expect(listAlarms(store.db, { active: true }).map((a) => a.rule)).toEqual(["charger_fault", "overload"]);
    s.stop();
    expect(bus.listenerCount("batch.stored") + bus.listenerCount("node.state")).toBe(before);
    addBatch(store, bus, { t0: T0 + 2 * MIN, rows: [{ ...healthy, 26: 9 }] });
    expect(events).toHaveLength(2);
  });
  it("after a restart, an open alarm is neither raised twice nor forgotten: it clears", () => {
    const first = service();
    first.start();
    addBatch(store, bus, { t0: T0, rows: [{ ...healthy, 26: 3 }] });
    first.stop();
    const second = service();
    second.start();
    addBatch(store, bus, { t0: T0 + MIN, rows: [{ ...healthy, 26: 3 }] });
    expect(events.filter((e) => e.state === "raised")).toHaveLength(1);
    addBatch(store, bus, { t0: T0 + 2 * MIN, rows: [{ ...healthy }, { ...healthy }] });
    expect(events[events.length - 1]).toMatchObject({ rule: "charger_fault", state: "cleared", ts: T0 + 3 * MIN });
    expect(listAlarms(store.db, { active: true })).toEqual([]);
    second.stop();
  });
  it("a batch older than what was already judged (backlog) raises nothing", () => {
    const s = service();
    s.start();
    addBatch(store, bus, { t0: T0 + 60 * MIN, rows: [{ ...healthy }] });
    addBatch(store, bus, { t0: T0, rows: [{ ...healthy, 26: 5 }] });
    expect(events).toEqual([]);
    s.stop();
  });
  it("publishes raised and cleared alarms as JSON on the site's _gw/alarm topic; a failed publish is counted", async () => {
    const topics: string[] = [];
    const s = service((t) => {
      topics.push(t);
      return Promise.reject(new Error("broker down"));
    });
    s.start();
    addBatch(store, bus, { t0: T0, rows: [{ ...healthy, 26: 3 }] });
    await new Promise((r) => setTimeout(r, 10));
    expect(topics).toEqual(["mg/v1/site-a/_gw/alarm"]);
    expect(s.publishFailures).toBe(1);
    expect(listAlarms(store.db)).toHaveLength(1);
    s.stop();
  });
  it("alarms can be switched off per rule or entirely", () => {
    const off = new AlarmService({ db: store.db, bus, config: { enabled: true, defaults: { charger_fault: { enabled: false } }, sites: {} }, now: () => T0 });
    off.start();
    addBatch(store, bus, { t0: T0, rows: [{ ...healthy, 26: 3 }] });
    off.stop();
    const none = new AlarmService({ db: store.db, bus, config: { enabled: false, defaults: {}, sites: {} }, now: () => T0 });
    none.start();
    addBatch(store, bus, { t0: T0 + MIN, rows: [{ ...healthy, 6: 5 }, { ...healthy, 6: 5 }, { ...healthy, 6: 5 }, { ...healthy, 6: 5 }, { ...healthy, 6: 5 }, { ...healthy, 6: 5 }] });
    none.stop();
    expect(events).toEqual([]);
  });
});
