// The node's MQTT client built as firmware and run INSIDE the virtual Espruino, against real brokers on real TCP
// ports: aedes 1.2 in this process and mosquitto (test/helpers/mosquitto.ts). One suite, run against both
// (docs/style.md 6). Between the board and the broker sits a small TCP relay that reads what the node sends (to see the
// DUP flags on the wire) and can hold the broker's replies back, so that messages are in flight when the broker
// goes away. A gateway-side observer (MQTT.js, persistent session) checks what the broker delivered.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer, connect, Server, Socket, AddressInfo } from "node:net";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { Aedes } from "aedes";
import mqtt, { MqttClient as ObserverClient } from "mqtt";
import mqttPacket from "mqtt-packet";
import { bundleFirmwareProgram } from "../helpers/firmware-bundle";
import { startMosquitto, mosquittoMissing, freePort, Mosquitto } from "../helpers/mosquitto";
import { needs } from "../helpers/prerequisites";
import { VirtualEspruino } from "../../sim/vm/espruino-vm";
import { findBoard } from "../../firmware/boards/index";
import { MQTT_COUNTERS, type MqttClient } from "../../firmware/app/mqtt/client";

const PRE = "mg/v1/s1/n1/";
const USER = "n1";
const PASS = "n1-secret";

// A small firmware program: the client, plus a stand-in for the flash queue that offers numbered batches and
// keeps every one the client refused until it takes it. MQF counts the QoS 1 publishes waiting for their PUBACK.
const ENTRY = `
import { createMqttClient } from "./app/mqtt/client";
var P = MQ.pre, next = 1, pending = [];
MQF = 0;
var c = createMqttClient({
  host: "127.0.0.1", port: MQ.port, id: "mg-s1-n1", user: MQ.user, pass: MQ.pass,
  will: { topic: P + "state", msg: "offline", qos: 1, retain: true },
  keepalive_s: 30, subs: [P + "cmd"], window: 4,
  onConnect: function (sp) {
    console.log("up " + (sp ? 1 : 0) + " " + Math.round(getTime() * 1000));
    if (c.publish(P + "state", "online", { qos: 1, retain: true }, function () { MQF--; })) MQF++;
  },
  onMessage: function (t, p) { console.log("msg " + t + " " + p); },
  onDown: function (w) { console.log("down " + Math.round(getTime() * 1000) + " " + w); }
});
function acked(n) { return function () { MQF--; console.log("ack " + n); }; }
function pump() {
  while (pending.length && c.publish(P + "t", JSON.stringify({ seq: pending[0] }), { qos: 1 }, acked(pending[0]))) {
    pending.shift();
    MQF++;
  }
}
setInterval(function () {
  if (next <= MQ.batches) pending.push(next++);
  pump();
}, 2000);
c.start();
MQC = c;
`;

let program = "";
beforeAll(async () => {
  program = await bundleFirmwareProgram(ENTRY);
});

describe("the client as built for a board", () => {
  it("stays small: the test program (client, codec and a 30-line harness) minifies to under 3.6 KB", () => {
    // Measured at this commit: 3.3 KB with the harness; client and codec alone 2.6 KB (bench: mqtt.client.bytes).
    expect(program.length).toBeGreaterThan(2000);
    expect(program.length).toBeLessThan(3600);
    expect(program).toContain('"MQTT"'); // CONNECT made it into the bundle
  });
});

/** Forwards TCP to the broker; records every PUBLISH the node sends; can hold back what the broker answers. */
class Relay {
  port = 0;
  hold = false;
  readonly sent: { topic: string; payload: string; dup: boolean; id?: number }[] = [];
  private server: Server | undefined;
  private socks = new Set<Socket>();
  constructor(private upstream: () => number) {}

  async listen(port = 0): Promise<void> {
    const server = createServer((down) => {
      const up = connect(this.upstream(), "127.0.0.1");
      const parser = mqttPacket.parser({ protocolVersion: 4 });
      parser.on("packet", (p) => {
        if (p.cmd === "publish") this.sent.push({ topic: p.topic, payload: p.payload.toString(), dup: p.dup, id: p.messageId });
      });
      parser.on("error", () => {});
      for (const s of [down, up]) {
        this.socks.add(s);
        s.on("error", () => {});
        s.on("close", () => {
          this.socks.delete(s);
          down.destroy();
          up.destroy();
        });
      }
      down.on("data", (d) => {
        parser.parse(d);
        up.write(d);
      });
      up.on("data", (d) => {
        if (!this.hold) down.write(d);
      });
    });
    this.server = server;
    await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
    this.port = (server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const s of this.socks) s.destroy();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((r) => server.close(() => r()));
  }
}

interface TestBroker {
  port: number;
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

/** aedes with an authenticate hook; stop/start closes and reopens its listener, the sessions stay (as with a
 *  persistent store). */
async function startAedes(): Promise<TestBroker> {
  const broker = await Aedes.createBroker({
    authenticate: (_client, user, pass, done) => done(null, user === USER && pass?.toString() === PASS),
  });
  const port = await freePort();
  let server: Server | undefined;
  const socks = new Set<Socket>();
  const start = async () => {
    const s = createServer((sock) => {
      socks.add(sock);
      sock.on("close", () => socks.delete(sock));
      broker.handle(sock);
    });
    server = s;
    await new Promise<void>((r) => s.listen(port, "127.0.0.1", r));
  };
  const stop = async () => {
    for (const s of socks) s.destroy();
    const s = server;
    server = undefined;
    if (s) await new Promise<void>((r) => s.close(() => r()));
  };
  await start();
  return {
    port,
    start,
    stop,
    close: async () => {
      await stop();
      await new Promise<void>((r) => broker.close(() => r()));
    },
  };
}

/** mosquitto with a password file and persistence; stop/start is a real process restart. */
async function startMosquittoBroker(): Promise<TestBroker | undefined> {
  // As root, mosquitto drops to its own user and can then neither read the password file nor save its
  // persistence file in the helper's private temp dir: keep it root.
  const m: Mosquitto | undefined = await startMosquitto(); // the helper runs it as root when the tests are root
  if (!m) return undefined;
  // Restart with credentials required: the helper's config allows anonymous clients.
  const pw = join(m.dir, "passwd");
  writeFileSync(pw, "");
  execFileSync("/usr/bin/mosquitto_passwd", ["-b", pw, USER, PASS]);
  execFileSync("/usr/bin/mosquitto_passwd", ["-b", pw, "observer", "obs"]);
  const conf = join(m.dir, "mosquitto.conf");
  writeFileSync(conf, readFileSync(conf, "utf8").replace("allow_anonymous true", `allow_anonymous false\npassword_file ${pw}`));
  await m.stop();
  await m.start();
  return { port: m.port, start: m.start, stop: m.stop, close: m.close };
}

const realDelay = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Env {
  broker: TestBroker;
  relay: Relay;
  observer: ObserverClient;
  seen: { topic: string; payload: string }[];
  esp?: VirtualEspruino;
}

async function makeEnv(broker: TestBroker, observerCreds: { username: string; password: string }): Promise<Env> {
  const relay = new Relay(() => broker.port);
  await relay.listen();
  const seen: Env["seen"] = [];
  const observer = mqtt.connect(`mqtt://127.0.0.1:${broker.port}`, {
    clientId: "gw-observer-" + Math.random().toString(16).slice(2),
    clean: false,
    reconnectPeriod: 100,
    ...observerCreds,
  });
  observer.on("message", (topic, payload) => seen.push({ topic, payload: payload.toString() }));
  observer.on("error", () => {});
  await new Promise<void>((resolve, reject) => {
    observer.once("connect", () => observer.subscribe(PRE + "#", { qos: 1 }, (err) => (err ? reject(err) : resolve())));
  });
  return { broker, relay, observer, seen };
}

function boot(env: Env, cfg: { batches: number; pass?: string }): VirtualEspruino {
  const esp = new VirtualEspruino({ board: findBoard("pico")! });
  const mq = { pre: PRE, port: env.relay.port, user: USER, pass: cfg.pass ?? PASS, batches: cfg.batches };
  esp.load(`var MQ = ${JSON.stringify(mq)};\n` + program);
  env.esp = esp;
  return esp;
}

const clientOf = (esp: VirtualEspruino) => (esp as unknown as { ctx: { MQC: MqttClient } }).ctx.MQC;
/** The client's counters by name (MQTT_COUNTERS). */
const countersOf = (esp: VirtualEspruino) => Object.fromEntries(MQTT_COUNTERS.map((n, i) => [n, clientOf(esp).counters[i]]));
/** QoS 1 publishes waiting for their PUBACK, as the harness counts them. */
const inflightOf = (esp: VirtualEspruino) => (esp as unknown as { ctx: { MQF: number } }).ctx.MQF;
const lines = (esp: VirtualEspruino, start: string) => esp.output.filter((l) => l.startsWith(start));

/** Run virtual time in steps, letting real I/O happen between them, until `done` or `maxMs` of virtual time. */
async function runUntil(esp: VirtualEspruino, done: () => boolean, maxMs: number, stepMs = 500): Promise<boolean> {
  for (let t = 0; t < maxMs; t += stepMs) {
    if (done()) return true;
    await esp.runFor(stepMs);
    await realDelay(2);
  }
  return done();
}

async function waitReal(done: () => boolean, ms = 3000): Promise<boolean> {
  const until = Date.now() + ms;
  while (!done() && Date.now() < until) await realDelay(10);
  return done();
}

const acks = (esp: VirtualEspruino) => esp.output.filter((l) => l.startsWith("ack ")).map((l) => Number(l.slice(4)));
const seqsSeen = (env: Env) => env.seen.filter((m) => m.topic === PRE + "t").map((m) => JSON.parse(m.payload).seq as number);

const brokers: [string, () => Promise<TestBroker | undefined>, { username: string; password: string }][] = [
  ["aedes 1.2", startAedes, { username: USER, password: PASS }],
  ["mosquitto", startMosquittoBroker, { username: "observer", password: "obs" }],
];

describe.each(brokers)("the client in the virtual Espruino against %s", (name, startBroker, observerCreds) => {
  let env: Env | undefined;
  const itOn = name === "mosquitto" ? needs("mosquitto").it : it;

  afterEach(async () => {
    if (!env) return;
    env.esp?.powerCut();
    env.observer.end(true);
    await env.relay.close();
    await env.broker.close();
    env = undefined;
  });

  async function setup(): Promise<Env> {
    const broker = await startBroker();
    if (!broker) throw new Error(mosquittoMissing);
    env = await makeEnv(broker, observerCreds);
    return env;
  }

  itOn("connects with credentials, publishes QoS 1 and gets every PUBACK; a wrong password is refused", async () => {
    const e = await setup();
    const esp = boot(e, { batches: 5 });
    expect(await runUntil(esp, () => acks(esp).length === 5, 30_000)).toBe(true);
    expect(acks(esp)).toEqual([1, 2, 3, 4, 5]);
    expect(esp.output[0]).toMatch(/^up 0 /);
    expect(await waitReal(() => seqsSeen(e).length === 5)).toBe(true);
    expect(seqsSeen(e)).toEqual([1, 2, 3, 4, 5]);
    // one connection, no failure, every publish (5 batches and the online state) acknowledged, none sent twice
    expect(lines(esp, "up ")).toHaveLength(1);
    expect(lines(esp, "down ")).toEqual([]);
    expect(inflightOf(esp)).toBe(0);
    expect(e.relay.sent.filter((p) => p.dup)).toEqual([]);
    expect(e.relay.sent.length).toBeGreaterThanOrEqual(6);
    expect(countersOf(esp)).toEqual({ rejected: 0, subFails: 0, errors: 0 });
    expect(esp.uncaught).toEqual([]);

    const bad = new VirtualEspruino({ board: findBoard("pico")! });
    bad.load(`var MQ = ${JSON.stringify({ pre: PRE, port: e.relay.port, user: USER, pass: "wrong", batches: 0 })};\n` + program);
    expect(await runUntil(bad, () => bad.output.some((l) => l.startsWith("down ")), 10_000, 100)).toBe(true);
    expect(bad.output.find((l) => l.startsWith("down "))).toMatch(/ (4|5)$/); // refused, 3.2.2.3: bad user name or password, not authorized
    expect(lines(bad, "up ")).toEqual([]);
    bad.powerCut();
    await bad.runFor(10);
  });

  itOn("receives a command on its subscription and acknowledges it", async () => {
    const e = await setup();
    const esp = boot(e, { batches: 0 });
    expect(await runUntil(esp, () => esp.output.some((l) => l.startsWith("up ")), 10_000, 100)).toBe(true);
    await runUntil(esp, () => false, 1000, 100); // SUBACK
    e.observer.publish(PRE + "cmd", '{"id":17,"op":"reboot"}', { qos: 1 });
    expect(await runUntil(esp, () => esp.output.some((l) => l.startsWith("msg ")), 10_000, 100)).toBe(true);
    expect(esp.output.filter((l) => l.startsWith("msg "))).toEqual([`msg ${PRE}cmd {"id":17,"op":"reboot"}`]);
    expect(countersOf(esp)).toEqual({ rejected: 0, subFails: 0, errors: 0 }); // the SUBACK granted the filter
  });

  itOn("a dropped link: the broker sends the will (offline), the client backs off in virtual time, then comes back online", async () => {
    const e = await setup();
    const esp = boot(e, { batches: 0 });
    expect(await runUntil(esp, () => esp.output.some((l) => l.startsWith("up ")), 10_000, 100)).toBe(true);
    const states = () => e.seen.filter((m) => m.topic === PRE + "state").map((m) => m.payload);
    expect(await waitReal(() => states().includes("online"))).toBe(true);
    expect(await runUntil(esp, () => inflightOf(esp) === 0, 5000, 10)).toBe(true); // its PUBACK is in
    esp.net.setLinkUp(false);
    expect(await waitReal(() => states().includes("offline"))).toBe(true);
    await runUntil(esp, () => false, 300_000, 1000);
    const downs = esp.output.filter((l) => l.startsWith("down ")).map((l) => Number(l.split(" ")[1]));
    const gaps = downs.slice(1).map((t, i) => (t - downs[i]) / 1000);
    expect(gaps.length).toBeGreaterThanOrEqual(8);
    gaps.forEach((g, i) => {
      const d = Math.min(60, 2 ** i);
      expect(g).toBeGreaterThanOrEqual(d / 2);
      expect(g).toBeLessThanOrEqual(d + 1);
    });
    // the drop of the one connection, then attempts that failed, each with the socket closed (0)
    expect(lines(esp, "up ")).toHaveLength(1);
    expect(lines(esp, "down ").every((l) => l.endsWith(" 0"))).toBe(true);
    esp.net.setLinkUp(true);
    const t0 = esp.getTime();
    expect(await runUntil(esp, () => esp.output.filter((l) => l.startsWith("up ")).length === 2, 70_000, 500)).toBe(true);
    expect(esp.getTime() - t0).toBeLessThanOrEqual(61);
    expect(await waitReal(() => states().slice(-1)[0] === "online")).toBe(true);
    expect(states()).toEqual(["online", "offline", "online"]);
  });

  itOn("messages in flight when the broker stops are sent again with DUP after it restarts: nothing lost", async () => {
    const e = await setup();
    const esp = boot(e, { batches: 12 });
    expect(await runUntil(esp, () => acks(esp).length >= 4, 30_000)).toBe(true);
    e.relay.hold = true; // the broker's PUBACKs no longer reach the board
    const before = acks(esp).length;
    await runUntil(esp, () => false, 6000);
    expect(inflightOf(esp)).toBeGreaterThan(0);
    const inflightAtStop = inflightOf(esp);
    await e.broker.stop();
    await e.relay.close();
    await runUntil(esp, () => false, 30_000, 1000);
    expect(clientOf(esp).state()).toBe(0);
    expect(acks(esp).length).toBe(before);
    await e.broker.start();
    e.relay.hold = false;
    await e.relay.listen(e.relay.port);
    expect(await runUntil(esp, () => acks(esp).length === 12, 180_000, 1000)).toBe(true);
    expect([...acks(esp)].sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(inflightOf(esp)).toBe(0);
    // on the wire: every batch sent more than once went again with DUP and its first packet id
    const batches = e.relay.sent.filter((p) => p.topic === PRE + "t");
    const bySeq = new Map<number, typeof batches>();
    for (const p of batches) {
      const seq = JSON.parse(p.payload).seq as number;
      bySeq.set(seq, [...(bySeq.get(seq) ?? []), p]);
    }
    const resent = [...bySeq.values()].filter((l) => l.length > 1);
    expect(resent.length).toBeGreaterThanOrEqual(inflightAtStop - 1); // the online state may take a slot
    for (const l of resent) {
      expect(l[0].dup).toBe(false);
      expect(l.slice(1).every((p) => p.dup && p.id === l[0].id)).toBe(true);
    }
    // at the gateway side: every batch arrived; duplicates allowed
    expect(await waitReal(() => new Set(seqsSeen(e)).size === 12, 5000)).toBe(true);
  });
});
