// The controller's application: sensors -> sampler -> a row every report interval -> batches in the flash queue ->
// MQTT; commands from the gateway; time sync; watchdog. Hardware and the interpreter's globals come in as `deps`.
import { RuntimeBoard } from "../boards/types";
import { NodeSettings, applyConfig, settingsFile } from "./node-settings";
import { channelTable } from "./channel-table";
import { Sampler } from "./sampler";
import { Sensors, SensorHardware } from "./sensors";
import { NodeClock } from "./node-clock";
import { nextBoot, noteRebootReason } from "./boot-record";
import { Uplink } from "./uplink";
import { openQueue, FlashQueue } from "./queue/flash-queue";
import { QueueStore } from "./queue/types";
import { MqttConnectFn } from "./mqtt/client";
import { Aggregation, ChannelDef } from "../protocol/channels";
import { BatchPayload, BirthPayload, WireChannel } from "../protocol/messages";
import { checkCommand, parseJson } from "../protocol/validate";
import { parseTopic, protocolVersion } from "../protocol/topics";

export const firmwareVersion = "0.1.0";

export interface NodeDeps {
  board: RuntimeBoard;
  settings: NodeSettings;
  storage: QueueStore & { readJSON(n: string, q?: boolean): any; writeJSON(n: string, d: any): boolean };
  hw: SensorHardware;
  getTime: () => number;
  setTime: (t: number) => void;
  crc: (s: string) => number;
  reboot: () => void;
  watchdog?: { enable(s: number): void; kick(): void };
  connect?: MqttConnectFn;
  rand?: () => number;
  log: (line: string) => void;
  /** The simulator's ledger probe (MG_PROBE): told of every batch written to the queue. */
  probe?: (kind: string, a: number, b: number) => void;
}

const energyFile = "mg.energy";

export class NodeApp {
  d: NodeDeps;
  s: NodeSettings;
  boot = 0;
  rr = "";
  seq = 0;
  ch: ChannelDef[];
  chCrc: number;
  clock: NodeClock;
  sampler: Sampler;
  queue!: FlashQueue;
  uplink!: Uplink;
  sensors: Sensors;
  rows: (number | null)[][] = [];
  qs: string[] = [];
  rowT = 0;
  rowTs: 0 | 1 = 0;
  nRows = 0;

  constructor(d: NodeDeps) {
    this.d = d;
    this.s = d.settings;
    this.clock = new NodeClock(d.getTime, d.setTime);
    this.ch = channelTable(this.s);
    this.chCrc = d.crc(JSON.stringify(this.wireChannels()));
    this.sampler = new Sampler({ channels: this.ch, maxGapS: this.s.sample_s * 3 + 5, energyWh: d.storage.readJSON(energyFile, true) || {} });
    this.sensors = new Sensors(d.board, this.s, d.hw, { seconds: () => this.clock.uptime() }, (k, v, q, t) => this.sampler.add(k, v, q, t));
  }

  wireChannels(): WireChannel[] {
    const out: WireChannel[] = [];
    for (let i = 0; i < this.ch.length; i++) out.push([this.ch[i].id, this.ch[i].key, this.ch[i].agg, this.ch[i].scale]);
    return out;
  }

  start(): void {
    const d = this.d;
    const b = nextBoot(d.storage);
    this.boot = b.boot;
    this.rr = b.rr;
    const aggs: Aggregation[] = [];
    for (let i = 0; i < this.ch.length; i++) aggs.push(this.ch[i].agg);
    this.queue = openQueue(d.storage, { crc: d.crc, aggs: aggs, ch: this.chCrc, onEvent: (ev) => this.event(ev.e, ev.d) });
    this.uplink = new Uplink({
      settings: this.s,
      queue: this.queue,
      birth: () => JSON.stringify(this.birth()),
      onMessage: (t, p) => this.message(t, p),
      connect: d.connect,
      time: () => this.clock.uptime(),
      rand: d.rand,
    });
    this.sensors.start();
    this.rowT = this.stampNow().t;
    this.rowTs = this.stampNow().ts;
    setInterval(() => this.report(), this.s.report_s * 1000);
    if (d.watchdog) {
      d.watchdog.enable(Math.max(30, this.s.report_s * 3));
      setInterval(() => d.watchdog!.kick(), 1000);
    }
    this.uplink.start();
    d.log("minigrid " + firmwareVersion + " " + d.board.id + " " + this.s.site + "/" + this.s.node + " boot " + this.boot + " (" + this.rr + ")");
  }

  stampNow() {
    return this.clock.stamp();
  }

  birth(): BirthPayload {
    const q = this.queue ? this.queue.stats() : undefined;
    return {
      v: protocolVersion, fw: firmwareVersion, bd: this.d.board.id, boot: this.boot, rr: this.rr,
      cfh: this.d.crc(JSON.stringify(this.s)), cfg: { report_s: this.s.report_s, sample_s: this.s.sample_s, rows: this.s.rows, off: this.s.off },
      clk: this.clock.synced ? 1 : 0, up: Math.round(this.clock.uptime()), ch: this.wireChannels(), qcap: q ? q.maxPages : 0,
    };
  }

  /** Close the report interval: a row; every `rows` rows a batch into the queue, then publish. */
  report(): void {
    const row = this.sampler.row();
    this.rows.push(row.r);
    this.qs.push(row.q);
    if (this.rows.length >= this.s.rows) {
      const batch: BatchPayload = { b: this.boot, s: this.seq, t: round3(this.rowT), ts: this.rowTs, i: this.s.report_s, r: this.rows, q: this.qs, ch: this.chCrc };
      if (this.queue.push(this.boot, this.seq, JSON.stringify(batch))) {
        if (this.d.probe) this.d.probe("push", this.boot, this.seq);
        this.seq++;
      }
      else {
        this.d.log("queue refused batch " + this.seq);
        if (this.d.probe) this.d.probe("refused", this.boot, this.seq);
      }
      this.rows = [];
      this.qs = [];
      const st = this.stampNow();
      this.rowT = st.t;
      this.rowTs = st.ts;
      this.uplink.pump();
    }
    // energy totals: once an hour of reports (flash wear), and the queue holds the latest in every batch
    if (++this.nRows % Math.max(1, Math.round(3600 / this.s.report_s)) === 0) this.d.storage.writeJSON(energyFile, this.sampler.energy());
  }

  event(code: string, detail?: any): void {
    const st = this.stampNow();
    this.uplink.publish("event", JSON.stringify({ b: this.boot, t: round3(st.t), ts: st.ts, e: code, d: detail }));
  }

  ack(id: string, ok: boolean, r?: any): void {
    this.uplink.publish("ack", JSON.stringify({ id: id, ok: ok, r: r }));
  }

  message(topic: string, payload: string): void {
    const t = parseTopic(topic);
    if (!t) return;
    const p = parseJson(payload);
    if (!p.ok) return;
    if (t.kind === "config") {
      // retained: it comes again at every connection; only a change of what is applied restarts the node
      const before = JSON.stringify(this.s);
      const err = applyConfig(this.s, p.value);
      if (!err && JSON.stringify(this.s) !== before) this.saveAndRestart("cfg");
      return;
    }
    const c = checkCommand(p.value);
    if (!c.ok) {
      if (p.value && typeof p.value.id === "string") this.ack(p.value.id, false, c.detail);
      return;
    }
    const cmd = c.value;
    const wall = this.clock.wall();
    if (wall !== undefined && cmd.x < wall) return this.ack(cmd.id, false, "expired");
    const a = cmd.a || {};
    if (cmd.c === "time") {
      if (!(a.t > 1.6e9)) return this.ack(cmd.id, false, "a.t must be Unix seconds");
      const wasSynced = this.clock.synced;
      const off = this.clock.sync(a.t);
      this.ack(cmd.id, true, { off: round3(off) });
      if (!wasSynced) {
        this.event("clock.synced", { off: round3(off) });
        this.uplink.publish("birth", JSON.stringify(this.birth()));
      }
    } else if (cmd.c === "cfg") {
      const err = applyConfig(this.s, a);
      if (err) return this.ack(cmd.id, false, err);
      this.ack(cmd.id, true, { applied: a });
      this.saveAndRestart("cfg");
    } else if (cmd.c === "reboot") {
      this.ack(cmd.id, true);
      noteRebootReason(this.d.storage, "cmd");
      setTimeout(() => this.d.reboot(), 2000);
    } else if (cmd.c === "resend") {
      this.ack(cmd.id, true, this.resend(a.from, a.to));
    }
  }

  /**
   * Batches of this boot with seq in [from, to] still in flash go out again (the gateway drops duplicates). Counted
   * from the queue's index: reading their texts to count them held up to a whole backlog in RAM at once.
   */
  resend(from: number, to: number): { queued: number } {
    const n = this.queue.count(this.boot, from, to);
    this.uplink.pump();
    return { queued: n };
  }

  saveAndRestart(reason: string): void {
    this.d.storage.writeJSON(settingsFile, this.s);
    this.d.storage.writeJSON(energyFile, this.sampler.energy());
    noteRebootReason(this.d.storage, reason);
    setTimeout(() => this.d.reboot(), 2000);
  }
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
