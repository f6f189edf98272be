// A site for the uplink tests: a gateway store with one node's birth and batches stored the way ingest stores them,
// announced on the bus as ingest announces them.
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { decodeColumns, stateOf, type RefState } from "../../contracts/uplink-columns";
import { decodeCentral, type BatchItem } from "../../contracts/uplink-wire";
import type { BirthPayload } from "../../firmware/protocol/messages";
import { checkConfig } from "../../gateway/config/load";
import { EventBus } from "../../gateway/events";
import { Store } from "../../gateway/storage/store";
import type { UplinkConfig } from "../../gateway/uplink/config";

export const T0_MS = Date.UTC(2025, 5, 15); // a batch's first row, wall clock

export const channels: BirthPayload["ch"] = [
  [1, "battery_V", "mean", 3],
  [4, "battery_A", "mean", 3],
  [6, "battery_soc_pct", "last", 1],
];

export function birth(boot = 7): BirthPayload {
  return { v: 1, fw: "1.0.0", bd: "pico", boot, rr: "power", cfh: 0, cfg: {}, clk: 1, up: 100, ch: channels };
}

/** Stores batch `seq` (5 rows of 60 s) of node `node` and emits batch.stored, as ingest does. */
export function storeBatch(store: Store, bus: EventBus, node: string, seq: number, site = "s1", boot = 7): void {
  const rows: (number | null)[][] = [];
  const q: string[] = [];
  for (let k = 0; k < 5; k++) {
    rows.push([12800 + seq + k, k === 2 ? null : -1500 - k, 805]);
    q.push(k === 2 ? "ofo" : "ooo");
  }
  const t0 = T0_MS + seq * 300_000;
  const meta = { site, node, boot, seq, receivedAt: t0, t0, intervalS: 60, historical: false, merged: 1, timeEstimated: false };
  store.storeBatch(meta, [1, 4, 6], [3, 3, 1], rows, q);
  bus.emit("batch.stored", { site, node, boot, seq, rows: rows.length });
}

export function addNode(store: Store, bus: EventBus, node: string, site = "s1"): void {
  const b = birth();
  store.saveBirth(site, node, b, T0_MS);
  bus.emit("node.birth", { site, node, birth: b });
}

/** The uplink section with its defaults, and what the test overrides. */
export function uplinkConfig(over: { [k: string]: unknown }): UplinkConfig {
  const r = checkConfig({ uplink: over });
  if (!r.ok) throw new Error(r.errors.join("\n"));
  return r.config.uplink!;
}

/** A self-signed certificate for 127.0.0.1 in dir: cert.pem, key.pem. False when openssl is missing. */
export function makeCert(dir: string): boolean {
  try {
    execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
      "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

export async function waitFor(check: () => boolean, timeoutMs = 10_000, what = "condition"): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error("timed out waiting for " + what);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * The batches of messages as one subscriber received them, in order: mgc/v1 JSON, and mgc/v2 columns decoded
 * against the states of the batches received before (as central does from its database).
 */
export function decodeInOrder(got: { topic: string; payload: Buffer }[]): BatchItem[] {
  const out: BatchItem[] = [];
  const states = new Map<string, RefState>();
  for (const m of got) {
    const d = decodeCentral(m.topic, m.payload);
    if (!d.ok || d.msg.kind !== "t") continue;
    if (!d.msg.columns) {
      out.push(...(d.msg.items as BatchItem[]));
      continue;
    }
    const o = d.msg.columns;
    const key = (b: number, s: number) => `${d.msg.site}/${d.msg.node}/${b}/${s}`;
    const ref = o.ref ? states.get(key(o.ref.boot, o.ref.seq)) : undefined;
    if (o.ref && !ref) throw new Error(`${m.topic}: reference ${o.ref.boot}/${o.ref.seq} was not received before`);
    const { table, items } = decodeColumns(o, ref);
    for (const b of items) states.set(key(b.b, b.s), stateOf(table, b));
    out.push(...items);
  }
  return out;
}
