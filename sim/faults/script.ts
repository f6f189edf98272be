// Fault scripts for a replay: a JSON or YAML file, a list under "faults". Times are durations from the start of the
// replay ("90s", "20m", "8h", "1d", or ms as a number). Each entry is one of:
//   { "kind": "gateway-down", "at": "8h", "for": "6h" }           the gateway (and its broker) stopped for a window
//   { "kind": "wifi-down", "at": "20m", "for": "5m", "every": "1h", "to": "24h" }  TCP lost beyond the board; "every" repeats it
//                                                                   (until "to", or the end of the run)
//   { "kind": "power-cut", "at": "3h" }                             the controller loses power, back at once
//   { "kind": "power-cut", "at": "3h", "inWrite": 120 }             ...in the middle of a flash write, 120 bytes on
//                                                                   (in the firmware's own writes: a Storage compaction
//                                                                   is not power-safe on a board: docs/firmware.md "Flash wear and power cuts")
//   { "kind": "power-cut", "random": 50, "from": "30m", "to": "23h30m", "inWriteEvery": 3, "seed": 20261128 }
//                                                                   50 cuts at seeded random instants, every 3rd in a write
//   { "kind": "unplug", "sensor": "vedirect" | "modbus" | "ina", "at": "2h", "for": "30m" }
//   { "kind": "serial-noise", "sensor": "vedirect", "rate": 0.001, "at": "1h", "for": "2h" }  corrupt bytes at a rate
//   { "kind": "clock-jump", "at": "5h", "by": "-1d" }               a time command with a wrong time (wall clock + by)
// Link faults change the site's network (sim/vm/site-network.ts) for a window ("at", "for", and "every", "to" as
// wifi-down), on the nodes whose board has that kind of network:
//   { "kind": "wifi-lost", "at": "3h", "for": "10m" }               the access point off the air (Wi-Fi boards)
//   { "kind": "wifi-wrong-password", "at": "5h", "for": "20m" }     the access point's password changed: the station
//                                                                   is dropped and its joins refused (Wi-Fi boards)
//   { "kind": "dhcp-slow", "at": "6h", "for": "1h", "delay": "20s" } the DHCP server answers after "delay"
//   { "kind": "dhcp-none", "at": "7h", "for": "15m" }               no DHCP server (joins get no address)
//   { "kind": "cable-out", "at": "9h", "for": "5m" }                the Ethernet cable pulled (Ethernet boards)
// wifi-down, by contrast, cuts TCP beyond the board (the site's router or uplink), whatever the board's network;
// with "silent": true the board's open connections are not closed, nothing gets through them (an uplink gone without
// a reset), and the firmware finds out by its own PUBACK and PINGRESP timeouts.
// "node": "n1" (or a list) limits an entry to those nodes; without it, every node of the run.
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { xorshift32 } from "../random";
import { JsonSchema, schemaErrors } from "../file-schema";

export type FaultAction =
  | { what: "gateway-down" | "gateway-up" }
  | { what: "wifi-down"; silent?: boolean }
  | { what: "wifi-up" }
  | { what: "power-cut"; inWrite?: number }
  | { what: "unplug" | "plug"; sensor: "vedirect" | "modbus" | "ina" }
  | { what: "noise"; sensor: "vedirect"; rate: number }
  | { what: "clock-jump"; by_s: number }
  | { what: "link"; change: LinkChange; on: boolean; delay_s?: number };

/** What a link fault changes of the site's network (sim/vm/site-network.ts). */
export type LinkChange = "ap" | "password" | "dhcp-slow" | "dhcp-none" | "cable";
export const linkChanges: LinkChange[] = ["ap", "password", "dhcp-slow", "dhcp-none", "cable"];

// Each kind's keys as a JSON schema (sim/file-schema.ts): an unknown or misspelt key is an error naming the entry,
// the key and the keys the kind takes; durations are read by parseDurationMs, which names the key when one is wrong.
const duration: JsonSchema = { type: ["string", "number"], fix: "must be a duration like 90s, 20m, 8h, 23h30m or 1d" };
const count = (fix: string, minimum: number): JsonSchema => ({ type: "integer", minimum, fix });
const windowKeys: JsonSchema = { at: duration, for: duration, every: duration, to: duration };
const sensor: JsonSchema = { type: "string", fix: 'must be "vedirect", "modbus" or "ina"' };
const keysOf: Record<string, JsonSchema> = {
  "gateway-down": windowKeys,
  "wifi-down": { ...windowKeys, silent: { type: "boolean", fix: "must be true (open connections go quiet) or false (they close at the cut, the default)" } },
  "power-cut": {
    at: duration,
    inWrite: count("must be the byte of the write the power fails at, >= 1", 1),
    random: count("must be how many cuts to make at random instants, >= 1", 1),
    from: duration,
    to: duration,
    inWriteEvery: count("must be n: every n-th random cut falls in a write (0: none)", 0),
    seed: count("must be the seed of the random instants, an integer", 0),
  },
  unplug: { ...windowKeys, sensor },
  "serial-noise": { ...windowKeys, sensor, rate: { type: "number", fix: "must be the share of bytes corrupted, in (0, 1]" } },
  "clock-jump": { at: duration, by: duration },
  "wifi-lost": windowKeys,
  "wifi-wrong-password": windowKeys,
  "dhcp-slow": { ...windowKeys, delay: duration },
  "dhcp-none": windowKeys,
  "cable-out": windowKeys,
};
const nodeFix = 'must be a node id ("n1", or "site/node") or a list of them';
const entrySchemas: Record<string, JsonSchema> = Object.fromEntries(
  Object.entries(keysOf).map(([kind, props]) => [
    kind,
    {
      type: "object",
      name: kind,
      additionalProperties: false,
      properties: {
        ...props,
        node: { type: ["string", "array"], items: { type: "string", fix: nodeFix }, fix: nodeFix },
        kind: { type: "string" },
      },
    },
  ]),
);
const linkKinds: Record<string, LinkChange> = { "wifi-lost": "ap", "wifi-wrong-password": "password", "dhcp-slow": "dhcp-slow", "dhcp-none": "dhcp-none", "cable-out": "cable" };

export interface ScheduledFault {
  atMs: number;
  action: FaultAction;
  nodes?: string[];
}

export function parseDurationMs(x: unknown, key: string): number {
  if (typeof x === "number" && x >= 0) return x;
  const text = typeof x === "string" ? x.trim() : "";
  const m = /^(-?)((?:\d+(?:\.\d+)?(?:ms|s|m|h|d)?)+)$/.exec(text);
  if (!m) throw new Error(`${key}: a duration like 90s, 20m, 8h, 23h30m or 1d (got ${JSON.stringify(x)})`);
  const unit = { ms: 1, s: 1e3, m: 60e3, h: 3600e3, d: 86400e3 };
  let total = 0;
  for (const p of m[2].matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)?/g)) total += Number(p[1]) * unit[(p[2] ?? "s") as "ms"];
  return m[1] ? -total : total;
}

const prng = (seed: number) => xorshift32(seed);

/** Expand a script into timed actions, sorted, for a run of `untilMs`. Throws with the entry's index on a mistake. */
export function expandFaults(script: unknown, untilMs: number): ScheduledFault[] {
  const list = Array.isArray(script) ? script : (script as { faults?: unknown })?.faults;
  if (!Array.isArray(list)) throw new Error('a fault script is a list of faults, or { "faults": [...] }');
  // every entry's keys first, all problems at once
  const problems: string[] = [];
  list.forEach((f: unknown, i) => {
    if (f === null || typeof f !== "object" || Array.isArray(f)) problems.push(`faults[${i}]: an object such as { "kind": "wifi-lost", "at": "3h", "for": "10m" }`);
    else if (!(String((f as { kind?: unknown }).kind) in keysOf))
      problems.push(`faults[${i}].kind: one of ${Object.keys(keysOf).join(", ")} (got ${JSON.stringify((f as { kind?: unknown }).kind)})`);
    else problems.push(...schemaErrors(entrySchemas[String((f as { kind: unknown }).kind)], f, `faults[${i}]`));
  });
  if (problems.length) throw new Error(problems.join("\n"));
  const out: ScheduledFault[] = [];
  list.forEach((f: Record<string, unknown>, i) => {
    const key = (k: string) => `faults[${i}].${k}`;
    const kind = String(f.kind);
    const nodes = f.node === undefined ? undefined : Array.isArray(f.node) ? f.node.map(String) : [String(f.node)];
    const push = (atMs: number, action: FaultAction) => {
      if (atMs <= untilMs) out.push({ atMs, action, nodes });
    };
    const windows = (down: FaultAction, up: FaultAction) => {
      const at = parseDurationMs(f.at ?? 0, key("at"));
      const dur = parseDurationMs(f.for, key("for"));
      const every = f.every === undefined ? 0 : parseDurationMs(f.every, key("every"));
      if (every && every <= dur) throw new Error(`${key("every")}: must be longer than 'for'`);
      const to = f.to === undefined ? untilMs : parseDurationMs(f.to, key("to"));
      for (let t = at; t < to; t += every || Infinity) {
        push(t, down);
        push(t + dur, up);
        if (!every) break;
      }
    };
    switch (f.kind) {
      case "gateway-down":
        return windows({ what: "gateway-down" }, { what: "gateway-up" });
      case "wifi-down":
        return windows(f.silent ? { what: "wifi-down", silent: true } : { what: "wifi-down" }, { what: "wifi-up" });
      case "unplug": {
        const sensor = f.sensor as "vedirect" | "modbus" | "ina";
        if (!["vedirect", "modbus", "ina"].includes(sensor)) throw new Error(`${key("sensor")}: "vedirect", "modbus" or "ina"`);
        return windows({ what: "unplug", sensor }, { what: "plug", sensor });
      }
      case "serial-noise": {
        const rate = Number(f.rate);
        if (!(rate > 0 && rate <= 1)) throw new Error(`${key("rate")}: the share of bytes corrupted, in (0, 1]`);
        if ((f.sensor ?? "vedirect") !== "vedirect") throw new Error(`${key("sensor")}: serial noise is modelled on "vedirect"`);
        return windows({ what: "noise", sensor: "vedirect", rate }, { what: "noise", sensor: "vedirect", rate: 0 });
      }
      case "wifi-lost":
      case "wifi-wrong-password":
      case "dhcp-none":
      case "cable-out": {
        const change = linkKinds[kind];
        return windows({ what: "link", change, on: true }, { what: "link", change, on: false });
      }
      case "dhcp-slow": {
        const delay_s = parseDurationMs(f.delay, key("delay")) / 1000;
        if (!(delay_s > 0)) throw new Error(`${key("delay")}: how long the DHCP server takes to answer, e.g. 20s`);
        return windows({ what: "link", change: "dhcp-slow", on: true, delay_s }, { what: "link", change: "dhcp-slow", on: false });
      }
      case "clock-jump":
        return push(parseDurationMs(f.at, key("at")), { what: "clock-jump", by_s: parseDurationMs(f.by, key("by")) / 1000 });
      case "power-cut": {
        if (f.random === undefined) {
          const inWrite = f.inWrite === undefined ? undefined : Number(f.inWrite);
          return push(parseDurationMs(f.at, key("at")), { what: "power-cut", inWrite });
        }
        const rand = prng(Number(f.seed ?? 1));
        const from = parseDurationMs(f.from ?? 0, key("from"));
        const to = parseDurationMs(f.to ?? untilMs, key("to"));
        const every = Number(f.inWriteEvery ?? 0);
        for (let k = 0; k < Number(f.random); k++) {
          const atMs = Math.floor(rand() * (to - from)) + from;
          push(atMs, every && k % every === 0 ? { what: "power-cut", inWrite: 1 + Math.floor(rand() * 300) } : { what: "power-cut" });
        }
        return;
      }
    }
  });
  return out.sort((a, b) => a.atMs - b.atMs);
}

export function loadFaultFile(path: string, untilMs: number): ScheduledFault[] {
  const text = readFileSync(path, "utf8");
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (e) {
    throw new Error(`${path}: not JSON or YAML: ${(e as Error).message}`);
  }
  try {
    return expandFaults(raw, untilMs);
  } catch (e) {
    // the file, then each problem with its entry, key and fix
    const lines = (e as Error).message.split("\n");
    throw new Error(lines.length === 1 ? `${path}: ${lines[0]}` : `${path}: ${lines.length} problems:\n  ${lines.join("\n  ")}`);
  }
}
