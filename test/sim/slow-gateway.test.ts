// A replay against a gateway that answers late: a real TCP proxy in front of a real gateway holds every byte the
// gateway sends for some real time (and the first CONNACK for longer than the firmware's 10 s limit). At full speed
// a board's virtual time would otherwise pass the firmware's 10 s CONNACK/PINGRESP and 30 s PUBACK limits while the
// answer is on its way; held, the run has no reconnect and the same ledger as a paced run against a prompt gateway.
// A link cut by the fault script (a silent one: the connection stays open, nothing gets through) still ends the
// connection by the firmware's own timeout.
import { createServer, Server, Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { EmbeddedGateway } from "../../sim/fleet/embedded-gateway";
import { runReplay } from "../../sim/fleet/replay";
import { fleetSpecs } from "../../sim/fleet/sites";
import { StoreLedger, StoreLedgerRow } from "../../sim/site/store-ledger";
import { expandFaults } from "../../sim/faults/script";

const trace = new URL("../fixtures/real/traces/serf_east_1min_ac_power.csv", import.meta.url).pathname;

/** A TCP proxy to `to` that delays what comes back by `delayMs(n)` real ms for the n-th chunk of a connection, in order. */
async function slowProxy(to: { host: string; port: number }, delayMs: (connection: number, chunk: number) => number): Promise<{ port: number; server: Server; chunks: number }> {
  const sockets = new Set<Socket>();
  let connections = 0;
  const state = { chunks: 0 };
  const server = createServer((client) => {
    const c = connections++;
    let n = 0;
    let last = 0;
    const up = new Socket();
    sockets.add(client).add(up);
    up.connect(to.port, to.host);
    client.pipe(up);
    up.on("data", (buf) => {
      state.chunks++;
      // in order: never before the chunk ahead of it
      const at = Math.max(Date.now() + delayMs(c, n++), last);
      last = at;
      setTimeout(() => client.writable && client.write(buf), at - Date.now());
    });
    const end = () => {
      client.destroy();
      up.destroy();
    };
    client.on("close", end).on("error", end);
    up.on("close", () => setTimeout(end, Math.max(0, last - Date.now()))).on("error", end);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const close = server.close.bind(server);
  server.close = ((cb?: (e?: Error) => void) => {
    for (const s of sockets) s.destroy();
    return close(cb);
  }) as typeof server.close;
  return {
    port: (server.address() as { port: number }).port,
    server,
    get chunks() {
      return state.chunks;
    },
  };
}

const specs = () => fleetSpecs({ name: "slow", array_kWp: 1.5, utcOffset_h: -7, battery: { kWh: 3, chemistry: "lifepo4" }, trace }, { sites: 2, seed: 11, shift_h: 3 });
const strip = (rows: StoreLedgerRow[]) => rows.map(({ node, produced, acknowledged, stored, alone, merged, duplicated, covered, queued, lost }) => ({ node, produced, acknowledged, stored, alone, merged, duplicated, covered, queued, lost }));

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function replayThrough(delayMs: ((c: number, n: number) => number) | undefined, o: { speed?: number; replyWaitMs?: number; faults?: unknown[]; untilMs?: number; workers?: number } = {}) {
  const gateway = await EmbeddedGateway.start();
  cleanup.push(() => gateway.close());
  let broker = gateway.broker;
  if (delayMs) {
    const proxy = await slowProxy(gateway.broker, delayMs);
    cleanup.push(() => new Promise((r) => proxy.server.close(r)));
    broker = { host: "127.0.0.1", port: proxy.port };
  }
  const ledger = new StoreLedger();
  const untilMs = o.untilMs ?? 40 * 60_000;
  const faults = o.faults ? expandFaults(o.faults, untilMs) : [];
  const r = await runReplay({ specs: specs(), untilMs, drainMs: 5 * 60_000, broker, ledger, speed: o.speed, replyWaitMs: o.replyWaitMs, faults, workers: o.workers ?? 0 });
  await gateway.down();
  return { r, rows: ledger.rows(gateway.dbPath) };
}

describe("a replay against a slow gateway", () => {
  it("holds each board's clock while its answer is late (a CONNACK 11 s late, every reply 150 ms): no reconnect, the ledger of a paced run", async () => {
    // every chunk 150 ms late; a connection's first chunk (its CONNACK) 11 s late: past the firmware's 10 s limit
    // in real time, not only in virtual time
    const slow = await replayThrough((c, n) => (c === 0 && n === 0 ? 11_000 : 150));
    const paced = await replayThrough(undefined, { speed: 300 });
    expect(slow.r.reconnects).toBe(0);
    expect(slow.r.replyTimeouts).toBe(0);
    expect(paced.r.reconnects).toBe(0);
    expect(slow.r.resets).toBe(0);
    expect(strip(slow.rows)).toEqual(strip(paced.rows));
    for (const row of slow.rows) {
      expect(row.produced).toBeGreaterThanOrEqual(40);
      expect(row.lost + row.duplicated + row.queued).toBe(0);
      expect(row.acknowledged).toBe(row.produced);
    }
    // in worker threads too
    const inWorker = await replayThrough(() => 150, { workers: 1 });
    expect(inWorker.r.reconnects).toBe(0);
    expect(strip(inWorker.rows)).toEqual(strip(paced.rows));
  }, 240_000);

  it("without the hold (a board that waits 50 ms) the same gateway makes the nodes time out and reconnect", async () => {
    const r = await replayThrough(() => 150, { replyWaitMs: 50, untilMs: 15 * 60_000 });
    expect(r.r.reconnects).toBeGreaterThan(0);
    expect(r.r.replyTimeouts).toBeGreaterThan(0);
  }, 240_000);

  it("a silent link cut while the gateway is slow: the firmware's PUBACK or PINGRESP timeout ends the connection, nothing is lost", async () => {
    const cut = [{ kind: "wifi-down", silent: true, node: "slow-1/n1", at: "10m30s", for: "3m" }];
    const slow = await replayThrough(() => 150, { faults: cut });
    const paced = await replayThrough(undefined, { speed: 300, faults: cut });
    // the cut node's connection ends by the firmware's timeout (nothing closed it), then it reconnects once the
    // link is back; the other node never
    expect(slow.r.replyTimeouts).toBe(1);
    expect(slow.r.reconnects).toBe(1);
    expect(paced.r.replyTimeouts).toBe(1);
    expect(strip(slow.rows)).toEqual(strip(paced.rows));
    for (const row of slow.rows) expect(row.lost + row.duplicated + row.queued).toBe(0);
  }, 240_000);
});
