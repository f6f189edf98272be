// The controller's application: sensors -> sampler -> a row every report interval -> batches in the flash queue ->
// MQTT; commands from the gateway; time sync; watchdog. Hardware and the interpreter's globals come in as `deps`.
// One function whose closures share the node's state: a board pays per function definition, not per line.
import { RuntimeBoard } from "../boards/types";
import { NodeSettings, applyConfig, saveSettings } from "./node-settings";
import { channelTable } from "./channel-table";
import { createSampler } from "./sampler";
import { startSensors, SensorHardware } from "./sensors";
import { openQueue } from "./queue/flash-queue";
import { QueueItem, QueueStore } from "./queue/types";
import type { StorageApi } from "../hal/storage";
import { createMqttClient } from "./mqtt/client";
import { AckResult, BirthPayload } from "../protocol/messages";
import { nodeTopics, protocolVersion, topicRoot } from "../protocol/topics";
import { NetConnectFn, NetLink } from "../hal/types";
import { keepLinkUp } from "../net/link";

export const firmwareVersion = "0.1.0";

/** Set by the build: true on a board with room for updates over the air (update/room.ts); the code that serves them
 *  is left out of the others. */
declare const MG_OTA: boolean;

/** The part of require("Storage") the node uses: the queue's, and JSON files for its boot counter and settings. */
export type NodeStore = QueueStore & Pick<StorageApi, "readJSON" | "writeJSON">;

/** The interpreter's globals the node uses; on a board, E.CRC32, E.reboot... themselves. */
export interface NodeDeps {
  board: RuntimeBoard;
  /** The node's settings and the Storage module (names the build may shorten, as for every field here). */
  conf: NodeSettings;
  flash: NodeStore;
  hw: SensorHardware;
  /** getTime() and setTime(t): the interpreter's clock, s (named so that the build may shorten them). */
  wall: () => number;
  setWall: (t: number) => void;
  crc: (s: string) => number;
  restartBoard: () => void;
  /** E.enableWatchdog(seconds, false) and E.kickWatchdog. */
  watchdog: (seconds: number, auto: boolean) => void;
  kick: () => void;
  /** The network link (firmware/net/), joined before MQTT; absent where the host's network is up (Linux build). */
  link?: NetLink;
  /** MQTT over TLS (net/tls.ts), on the boards whose interpreter has it. */
  tls?: (broker: NodeSettings["broker"]) => NetConnectFn;
  /** The simulator's ledger probe (MG_PROBE): told of every batch written to the queue. */
  probe?: (kind: string, a: number, b: number) => void;
}

/** Files in Storage: energy totals (Wh by counter key); boot counter {n} and the reason noted for the next boot {r}. */
const energyFile = "mg.energy";
const bootFile = "mg.boot";
/** Unix seconds before which a clock is taken as never set (2020-09-13). */
const wallClockFloor = 1.6e9;
/** QoS 1 batches in flight at once. */
const batchWindow = 4;
/** How long a cfg that changed the network or the broker has to reach a CONNACK, s, and on how many boots. */
const trialLimit_s = 300;
const trialBootsMax = 3;
/** How often the link's signal is read and reported (evt "link"), s. */
const linkReport_s = 600;

export function startNode(d: NodeDeps): void {
  const s = d.conf;
  const st = d.flash;
  const prefix = topicRoot + "/" + s.site + "/" + s.node + "/";

  // Honest time (docs/design.md guarantee 4): uptime and boot counter until the gateway has set the clock, wall-clock
  // time after. getTime() jumps when setTime() is called, so uptime counts from t0, moved by every such jump.
  // A soft reboot keeps the real-time clock: a time after the floor was set before and is still right.
  let t0 = d.wall();
  // 1 once the clock is set (birth clk, batch and event ts), else 0
  let synced: 0 | 1 = t0 > wallClockFloor ? 1 : 0;
  function uptime(): number {
    return d.wall() - t0;
  }

  // Boot counter and reset reason: the boot counter is part of every batch key (boot, seq), so it is written
  // before anything is sent. Without a note written before an intended restart, the board lost power, crashed or
  // was reset by the watchdog.
  const rec = st.readJSON(bootFile, true) || {};
  const boot = (rec.n > 0 ? rec.n : 0) + 1;
  // boots of the settings on trial so far (t), and the CRC of a cfg whose trial failed (x: not applied again)
  const trialBoots = s.tr ? (rec.t | 0) + 1 : 0;
  st.writeJSON(bootFile, { n: boot, t: trialBoots, x: rec.x });
  const rr: string = rec.r || (boot === 1 ? "first" : "power-or-watchdog");

  // The channel table as the birth lists it ([id, key, aggregation, scale]...) and the aggregations the queue
  // merges by; `chCrc` goes in every batch so the gateway recognises rows of an older table.
  const table = channelTable(s);
  // The table as the birth lists it, JSON, made again for every birth rather than kept: kept, the text held about
  // 90 variables on a Pico for as long as the node ran. The aggregations as one string of words, which the queue
  // splits only to merge.
  function channelsJson(): string {
    // a node with no sensor configured has an empty table: "".split(" ") is [""], not []
    const w = table ? table.split(" ") : [];
    let r = "";
    for (let i = 0; i < w.length; i += 4) r += (i ? ",[" : "[") + +w[i] + ',"' + w[i + 1] + '","' + w[i + 2] + '",' + +w[i + 3] + "]";
    return "[" + r + "]";
  }
  let aggs = "";
  let words = table.split(" ");
  for (let i = 2; i < words.length; i += 4) aggs += (i > 2 ? " " : "") + words[i];
  words = []; // the closures below keep this scope: not the table's words
  const chCrc = d.crc(channelsJson());
  const sampler = createSampler(table, s.sample_s * 3 + 5, st.readJSON(energyFile, true) || {});

  // The batch being filled: rows and qualities as the JSON text they take in it (one string each, not arrays of
  // numbers), its time anchor and row count; then the next seq of this boot.
  let rowsJson = "";
  let qualityJson = "";
  let rowCount = 0;
  let batchT = 0;
  let batchTs = 0;
  let seq = 0;
  let reports = 0;
  // the count of implausible readings (sampler.bad) at which the next reading.implausible event goes out
  let badNext = 1;
  // Batches the MQTT client holds in flight, by "boot.seq".
  const inFlight: { [key: string]: boolean } = {};
  let nInFlight = 0;

  /** The time anchor for a batch or event: wall clock when set (ts 1), else uptime (ts 0); rounded to ms. */
  function now(): number {
    return Math.round((synced ? d.wall() : uptime()) * 1000) / 1000;
  }
  function publish(leaf: string, payload: string, retain?: boolean): boolean {
    return mqtt.publish(prefix + leaf, payload, { qos: 1, retain: retain });
  }

  /** Who the node is and what its batches mean (made fresh at every connection: clock state and uptime change). */
  function birth(): string {
    const b: BirthPayload = {
      v: protocolVersion, fw: firmwareVersion, bd: d.board.id, boot: boot, rr: rr, cfh: d.crc(JSON.stringify(s)),
      cfg: { report_s: s.report_s, sample_s: s.sample_s, rows: s.rows, off: s.off }, clk: synced, up: Math.round(uptime()),
      ch: [],
    };
    // the table goes in as the text it was hashed from; qcap and qs last, as the contract lists them: the queue's
    // backlog (records, page files) and its flash wear (page files created this boot, torn records skipped at boot)
    const text = JSON.stringify(b);
    const q = queue.stats();
    // why the last update over the air was rolled back (boot.ts), until the next one proves itself
    const why = MG_OTA && st.read("mg.why");
    return text.slice(0, -3) + channelsJson() + ',"qcap":' + q.maxPages + ',"qs":[' + q.records + "," + q.pages + "," + q.pagesCreated + "," + q.torn + "]" +
      (rssi === undefined ? "" : ',"rssi":' + rssi) + (why ? ',"upd":' + JSON.stringify(why) : "") + "}";
  }

  /** An evt (faults, queue merges, clock set) at QoS 1; best effort: dropped while the link is down. */
  function event(ev: { e: string; d?: any }): void {
    publish(nodeTopics.event, JSON.stringify({ b: boot, t: now(), ts: synced, e: ev.e, d: ev.d }));
  }

  /** Save what the next boot needs (settings after a cfg, energy totals, why it restarts), then reboot. A failed
   *  trial ("cfg-trial") erases the settings on trial instead, so that the ones before them load. */
  function restart(reason: string): void {
    if (reason.indexOf("cfg") === 0) saveSettings(st, s, +(reason !== "cfg"));
    st.writeJSON(energyFile, sampler.energy());
    st.writeJSON(bootFile, { n: boot, r: reason, t: trialBoots, x: rec.x });
    setTimeout(d.restartBoard, 2000);
  }

  /**
   * A cfg (the retained one, or a command's): refused with the reason, or applied. One that changes the network
   * or the broker goes on trial (s.tr: the change's CRC) until a CONNACK; a change whose trial failed is refused.
   */
  function configure(change: any): string | undefined {
    const crc = d.crc(JSON.stringify(change)) || 1;
    const was = JSON.stringify([s.net, s.broker]);
    const err = crc === rec.x ? "failed its trial: the settings before it were restored" : applyConfig(s, change);
    if (!err && JSON.stringify([s.net, s.broker]) !== was) s.tr = crc;
    return err;
  }

  /**
   * Store and forward (docs/design.md guarantee 1): every batch is in the flash queue before it is published, and leaves
   * the queue only on its PUBACK. The live batch goes first; backlog (oldest first, marked historical) fills the
   * rest of the window, so an outage drains while live data keeps flowing.
   */
  function pump(): void {
    if (mqtt.state() !== 2) return;
    const live = queue.live();
    if (live) send(live);
    if (nInFlight >= batchWindow) return;
    const items = queue.next(batchWindow + nInFlight);
    for (let i = 0; i < items.length; i++) send(items[i]);
  }

  /** A queued batch (boot b, seqs s..e, text t) unless it is in flight already or the window is full. */
  function send(q: QueueItem): void {
    const key = q.b + "." + q.s;
    if (nInFlight >= batchWindow || inFlight[key]) return;
    if (mqtt.publish(prefix + nodeTopics.batch, q.t, { qos: 1 }, function () {
      delete inFlight[key];
      nInFlight--;
      queue.ack(q.b, q.s, q.e);
      pump();
    })) {
      inFlight[key] = true;
      nInFlight++;
    }
    q.t = ""; // the client holds the packet: the item, kept by the callback until the PUBACK, need not
  }

  /** Close the report interval: a row; every `rows` rows a batch into the queue, then publish. */
  function report(): void {
    const row = sampler.row();
    // readings refused as implausible (protocol/plausible.ts; failed in their rows): an event when their count since
    // boot reaches 1, 2, 4, 8..., so that a sensor gone wrong for good does not flood the link
    const bad = sampler.bad;
    if (bad >= badNext) {
      badNext = 2 * bad;
      event({ e: "reading.implausible", d: { n: bad } });
    }
    rowsJson += (rowCount ? "," : "") + row[0];
    qualityJson += (rowCount ? ',"' : '"') + row[1] + '"';
    if (++rowCount >= s.rows) {
      // exactly JSON.stringify of a BatchPayload {b, s, t, ts, i, r, q, ch}
      const text = '{"b":' + boot + ',"s":' + seq + ',"t":' + batchT + ',"ts":' + batchTs + ',"i":' + s.report_s +
        ',"r":[' + rowsJson + '],"q":[' + qualityJson + '],"ch":' + chCrc + "}";
      rowsJson = qualityJson = "";
      rowCount = 0;
      const pushed = queue.push(boot, seq, text);
      // refused (larger than a page, flash write failed): the seq is used again; the simulator's ledger counts it
      if (d.probe) d.probe(pushed ? "push" : "refused", boot, seq);
      if (pushed) seq++;
      batchT = now();
      batchTs = synced;
      pump();
    }
    // energy totals: once an hour of reports (flash wear), and the queue holds the latest in every batch
    if (++reports % Math.max(1, Math.round(3600 / s.report_s)) === 0) st.writeJSON(energyFile, sampler.energy());
  }

  /**
   * The retained desired configuration (cfg) and commands (cmd), each acknowledged by id. A payload that is not
   * JSON throws: the MQTT client catches what onMessage throws and counts it (MQTT_COUNTERS "errors").
   */
  function message(topic: string, payload: string): void {
    const p = JSON.parse(payload);
    let up: any;
    if (topic === prefix + nodeTopics.config) {
      // retained: it comes again at every connection; only a change of what is applied restarts the node
      const before = JSON.stringify(s);
      const refused = configure(p);
      if (refused) event({ e: "cfg.refused", d: { why: refused } });
      else if (JSON.stringify(s) !== before) restart("cfg");
      return;
    }
    // else the only other topic subscribed: a command
    if (!p || typeof p.id !== "string") return;
    // one refusal per command, checked in this order; a valid cfg is applied by the check itself
    const c = p.c;
    const a = p.a || {};
    const err =
      typeof c !== "string" || typeof p.x !== "number" ? "command must have id, c and x"
      // (ends in "." so that no needle runs past its end: the interpreter's indexOf would find it there)
      : (" cfg time resend reboot" + (MG_OTA ? " fw" : "") + " .").indexOf(" " + c + " ") < 0 ? "unknown command " + c
      : synced && p.x < d.wall() ? "expired"
      : c === "time" && !(a.t > wallClockFloor) ? "a.t must be Unix seconds"
      : c === "cfg" ? configure(a)
      : MG_OTA && c === "fw" && typeof (up = update(a)) === "string" ? up
      : undefined;
    const wasSynced = synced;
    let r: AckResult | string | undefined = err || (c === "cfg" ? { applied: a } : up);
    if (!err && c === "time") {
      t0 += a.t - d.wall();
      d.setWall(a.t);
      synced = 1;
      // the offset wall - uptime (s) the gateway uses to re-anchor what was sent before
      r = { off: Math.round((a.t - uptime()) * 1000) / 1000 };
    } else if (!err && c === "resend") {
      // batches of this boot with seq in [from, to] still in flash go out again (the gateway drops duplicates),
      // counted from the queue's index, not by reading their texts
      r = { queued: queue.count(boot, a.from, a.to) };
      pump();
    }
    // the ack {id, ok, r}: r is the refusal or the command's result
    publish(nodeTopics.ack, JSON.stringify({ id: p.id, ok: !err, r: r }));
    if (err) return;
    if (synced && !wasSynced) {
      event({ e: "clock.synced", d: r });
      publish(nodeTopics.birth, birth(), true);
    }
    if (c === "cfg" || c === "reboot") restart(c === "cfg" ? c : "cmd");
  }

  /**
   * An update's begin or chunk (command fw, docs/updates.md): handed to the update receiver, which is evaluated from
   * Storage (mg.rx) at the first and dropped once it has staged the image or refused it, so that it costs nothing
   * while no update runs.
   */
  let rx: any;
  function update(a: any): any {
    // global.eval: a direct eval would keep the build from shortening any name of the program
    if (!rx) rx = (global as any).eval(st.read("mg.rx") || "0") && (global as any).MG_RX(st, d.crc, d.board.id, restart);
    const r = rx ? rx(a) : "no mg.rx";
    if (typeof r === "string" || r.ok) rx = 0;
    return r;
  }

  const queue = openQueue(st, { crc: d.crc, aggs: aggs, ch: chCrc, onEvent: event });
  // The network (firmware/net/link.ts): joined first; MQTT starts once it is up and connects through it. The
  // link's signal (dBm) goes into birth and, every linkReport_s, into an evt "link".
  let rssi: number | undefined;
  const link = d.link;
  /** Reads the link's signal; with `report`, sends it as an evt "link". */
  function signal(report?: number) {
    if (link!.rssi)
      link!.rssi(function (v) {
        rssi = v;
        if (report && v !== undefined) event({ e: "link", d: { rssi: v } });
      });
  }
  const br = s.broker;
  // MQTT over TLS (broker.tls), on the boards whose build has it (the settings' check refuses it elsewhere)
  const tlsOpen = br.tls && d.tls ? d.tls(br) : undefined;
  const keeper = link && keepLinkUp(link, function (up, why) {
    console.log("net " + (up ? "up" : "down " + why));
    if (up) {
      signal();
      mqtt.start();
    }
  }, tlsOpen);
  if (link && link.rssi) setInterval(signal, linkReport_s * 1000, 1);
  const mqtt = createMqttClient({
    host: br.host,
    port: br.port,
    id: s.site + "." + s.node,
    user: br.user,
    pass: br.pass,
    will: { topic: prefix + nodeTopics.state, msg: "offline", qos: 1, retain: true },
    subs: [prefix + nodeTopics.command, prefix + nodeTopics.config],
    // longer than two reports: every report and its PUBACK already prove the link (3.1.2.10), so a PINGREQ only
    // goes out when reports stop, and a cellular link does not pay for a ping round trip every minute
    keepalive_s: Math.min(1800, Math.max(120, 2 * s.report_s)),
    // room for birth and state besides the batches
    window: batchWindow + 2,
    connect: keeper ? keeper.connect : tlsOpen,
    onConnect: function () {
      if (keeper) keeper.mqtt(1);
      if (s.tr) {
        // the settings on trial reached the broker: they become the node's
        s.tr = undefined;
        saveSettings(st, s);
        event({ e: "cfg.trial", d: { ok: 1 } });
      }
      // in flight before the drop: the client sends them again itself (DUP, same packet id)
      publish(nodeTopics.birth, birth(), true);
      publish(nodeTopics.state, "online", true);
      // a new image on trial (update/boot.ts) has proved itself: it becomes the node's
      if (MG_OTA && (global as any).MG_OK) (global as any).MG_OK();
      pump();
    },
    onMessage: message,
    // for a technician on the console: why the link went down (client.ts onDown: 1..255 the broker's refusal)
    onDown: function (why: number) {
      if (keeper) keeper.mqtt(0);
      console.log("mqtt down " + why);
    },
  });
  // settings on trial that reach no CONNACK in trialLimit_s, or have restarted too often, are given up
  if (s.tr)
    setTimeout(function () {
      if (!s.tr) return;
      rec.x = s.tr;
      restart("cfg-trial");
    }, trialBoots > trialBootsMax ? 0 : trialLimit_s * 1000);
  startSensors(d.board, s, d.hw, { seconds: uptime }, sampler.add);
  batchT = now();
  batchTs = synced;
  setInterval(report, s.report_s * 1000);
  // kicked every second; a hang longer than three reports (at least 30 s) resets the board
  d.watchdog(Math.max(30, s.report_s * 3), false);
  setInterval(d.kick, 1000);
  // The first connection is opened from a timer, outside the boot's call chain: a net.connect that throws (refused
  // on Linux) gets a stack with the source text of every frame, and the boot's outermost frame is the whole
  // program, which on a build with a Pico's 5,100 variables ran out of memory.
  // With a link to join, MQTT starts when it is up (above).
  if (!link) setTimeout(mqtt.start, 0);
  console.log("minigrid " + firmwareVersion + " " + d.board.id + " boot " + boot + " (" + rr + ")");
}
