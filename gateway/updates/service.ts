// Updates over the air from the gateway (docs/updates.md): the image goes to the node in chunks as commands "fw" on
// its cmd topic (QoS 1, never retained), one chunk at a time: the next goes out only after the node's ack says
// what it has staged, and after a pause, so that its batches keep flowing. A lost link costs nothing: at the node's
// next birth the update begins again and the node answers where it stands. Once the node has checked the whole
// image it restarts into it; its next birth says whether the new version runs (updated) or the node went back to
// the previous one (rolled back, with the reason the node gives in birth.upd).
import { findBoard } from "../../firmware/boards/index";
import { UPDATE_STORAGE_BYTES, updatable } from "../../firmware/update/room";
import { stmt, type Db } from "../storage/db";
import type { CommandEvent, CommandService } from "../commands/service";
import { EventBus, Subscriptions } from "../events";
import { chunkAt, compareVersions, FirmwareImage, readImage } from "./image";
import type { BirthPayload } from "../../firmware/protocol/messages";
import { crc32 } from "node:zlib";

export type UpdateState = "staging" | "switching" | "updated" | "rolled-back" | "failed";

export interface UpdateRecord {
  site: string;
  node: string;
  board: string;
  /** The version the node ran when the update began, and the image's. */
  from: string;
  version: string;
  bytes: number;
  crc: number;
  state: UpdateState;
  /** Bytes the node has staged, by its last answer. */
  have: number;
  chunks: number;
  /** Begins sent: 1, and one more for every time the update was taken up again after a lost link. */
  begins: number;
  started_at: number;
  updated_at: number;
  /** Why it failed or was rolled back. */
  why?: string;
}

/** An update the gateway refuses to start: 400 (the image) or 409 (the node's state). */
export class UpdateRefused extends Error {
  constructor(
    readonly status: 400 | 409,
    message: string,
  ) {
    super(message);
  }
}

export interface UpdateOptions {
  /** Pause between the node's answer to a chunk and the next chunk, ms (default 1000). */
  paceMs?: number;
  /** Largest chunk, bytes of image (default 1536), and of its JSON text (default 1700: the node's MQTT limit is 2,048). */
  chunkBytes?: number;
  chunkJson?: number;
  /** Time the node has from its switch to a birth, ms (default 15 min: the trial's 3 boots of 5 min). */
  switchLimitMs?: number;
  /** Command lifetime, s (default 600). */
  ttl_s?: number;
  now?: () => number;
  setTimer?: (fn: () => void, ms: number) => { cancel(): void };
}

const defaults = { paceMs: 1000, chunkBytes: 1536, chunkJson: 1700, switchLimitMs: 15 * 60_000, ttl_s: 600 };

interface Running {
  rec: UpdateRecord;
  image: FirmwareImage;
  /** The command whose answer is awaited. */
  waiting?: string;
  timer?: { cancel(): void };
  /** Times the whole image was staged again after a CRC refusal; commands the node found expired in a row. */
  restaged: number;
  expired: number;
}

export class UpdateService {
  private readonly subs = new Subscriptions();
  private readonly byNode = new Map<string, Running>();
  private readonly o: typeof defaults & UpdateOptions;

  constructor(
    private readonly db: Db,
    private readonly bus: EventBus,
    private readonly commands: CommandService,
    o: UpdateOptions = {},
  ) {
    this.o = { ...defaults, ...o };
    this.subs.on(bus, "command", (e) => this.onCommand(e));
    this.subs.on(bus, "node.birth", (e) => this.onBirth(e.site, e.node, e.birth));
  }

  stop(): void {
    this.subs.clear();
    for (const r of this.byNode.values()) r.timer?.cancel();
  }

  private now(): number {
    return this.o.now ? this.o.now() : Date.now();
  }

  private timer(fn: () => void, ms: number): { cancel(): void } {
    if (this.o.setTimer) return this.o.setTimer(fn, ms);
    const t = setTimeout(fn, ms);
    return { cancel: () => clearTimeout(t) };
  }

  /** The node's current or last update. */
  get(site: string, node: string): UpdateRecord | undefined {
    const r = this.byNode.get(site + "/" + node);
    return r && { ...r.rec };
  }

  list(): UpdateRecord[] {
    return [...this.byNode.values()].map((r) => ({ ...r.rec }));
  }

  /** The node's last birth (board, version, rollback reason). */
  private birthOf(site: string, node: string): BirthPayload | undefined {
    const row = stmt(this.db, "SELECT birth_json FROM nodes WHERE site = ? AND node = ?").get(site, node) as { birth_json: string | null } | undefined;
    try {
      return row?.birth_json ? JSON.parse(row.birth_json) : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Begin updating a node with the text of a built image. Refused (UpdateRefused) for an image that is not one, built
   * for another board, a board without room for two images, and an image older than (or as old as) the one the
   * node runs unless `force`.
   */
  async start(site: string, node: string, text: string, o: { force?: boolean } = {}): Promise<UpdateRecord> {
    let image: FirmwareImage;
    try {
      image = readImage(text);
    } catch (e) {
      throw new UpdateRefused(400, (e as Error).message);
    }
    const key = site + "/" + node;
    const cur = this.byNode.get(key);
    if (cur && (cur.rec.state === "staging" || cur.rec.state === "switching")) throw new UpdateRefused(409, `${key} is being updated already (${cur.rec.state}, ${cur.rec.have} of ${cur.rec.bytes} bytes)`);
    const birth = this.birthOf(site, node);
    if (!birth) throw new UpdateRefused(409, `${key} has sent no birth yet: its board and version are unknown`);
    if (image.board !== birth.bd) throw new UpdateRefused(400, `image: built for ${image.board}, but ${key} is a ${birth.bd}`);
    const board = findBoard(birth.bd);
    if (!board || !updatable(board))
      throw new UpdateRefused(409, `${key} is a ${birth.bd}, whose Storage (${board ? board.storageBytes : "?"} bytes) cannot hold two images beside the queue (${UPDATE_STORAGE_BYTES} needed): update it by cable with minigrid flash (docs/updates.md "Room")`);
    const cmp = compareVersions(image.version, birth.fw);
    if (cmp <= 0 && !o.force) throw new UpdateRefused(409, `image: version ${image.version} is ${cmp < 0 ? "older than" : "the same as"} the ${birth.fw} ${key} runs; give force to install it all the same`);
    const now = this.now();
    const rec: UpdateRecord = { site, node, board: birth.bd, from: birth.fw, version: image.version, bytes: image.bytes, crc: image.crc, state: "staging", have: 0, chunks: 0, begins: 0, started_at: now, updated_at: now };
    const run: Running = { rec, image, restaged: 0, expired: 0 };
    this.byNode.set(key, run);
    await this.begin(run);
    return { ...rec };
  }

  private async begin(run: Running): Promise<void> {
    run.rec.begins++;
    const i = run.image;
    await this.send(run, { n: i.bytes, k: i.crc, b: i.board, v: i.version });
  }

  private async send(run: Running, a: object): Promise<void> {
    const rec = await this.commands.send(run.rec.site, run.rec.node, "fw", a, this.o.ttl_s);
    run.waiting = rec.id;
  }

  private finish(run: Running, state: UpdateState, why?: string): void {
    run.timer?.cancel();
    run.waiting = undefined;
    run.rec.state = state;
    run.rec.why = why;
    run.rec.updated_at = this.now();
    this.bus.emit("update", { update: { ...run.rec } });
  }

  private onCommand(e: CommandEvent): void {
    const c = e.command;
    if (c.name !== "fw" || c.state === "pending") return;
    const run = this.byNode.get(c.site + "/" + c.node);
    if (!run || run.waiting !== c.id || run.rec.state !== "staging") return;
    run.waiting = undefined;
    run.rec.updated_at = this.now();
    if (c.state === "expired") return; // the link went: taken up again at the next birth
    if (c.state === "failed") {
      const why = String(c.result);
      // the whole image's CRC failed on the node, which starts again from nothing: once more, then it is given up
      if (why.startsWith("image CRC") && run.restaged++ < 1) {
        run.rec.have = 0;
        void this.begin(run);
        return;
      }
      // the node's clock is ahead of the gateway's: begin again, a few times, then give up with the reason
      if (why === "expired" && run.expired++ < 5) {
        void this.begin(run);
        return;
      }
      return this.finish(run, "failed", "refused by the node: " + why);
    }
    run.expired = 0;
    const r = c.result as { have?: number; ok?: number } | null;
    if (!r || typeof r.have !== "number") return this.finish(run, "failed", "the node's answer has no have: " + JSON.stringify(r));
    run.rec.have = r.have;
    if (r.ok) {
      run.rec.state = "switching";
      this.bus.emit("update", { update: { ...run.rec } });
      run.timer = this.timer(() => this.finish(run, "failed", "no birth from the node within " + Math.round(this.o.switchLimitMs / 1000) + " s of its switch"), this.o.switchLimitMs);
      return;
    }
    this.bus.emit("update", { update: { ...run.rec } });
    run.timer = this.timer(() => {
      run.timer = undefined;
      const d = chunkAt(run.image.text, run.rec.have, this.o.chunkBytes, this.o.chunkJson);
      run.rec.chunks++;
      void this.send(run, { o: run.rec.have, d, c: crc32(d) });
    }, this.o.paceMs);
  }

  private onBirth(site: string, node: string, birth: BirthPayload): void {
    const run = this.byNode.get(site + "/" + node);
    if (!run) return;
    if (run.rec.state === "staging") {
      // a new connection: whatever was in flight is gone; begin again, the node answers where it stands
      run.timer?.cancel();
      run.timer = undefined;
      void this.begin(run);
    } else if (run.rec.state === "switching") {
      if (birth.fw === run.rec.version && !birth.upd) this.finish(run, "updated");
      else if (birth.upd) this.finish(run, "rolled-back", birth.upd);
    }
  }
}



/** An update changed state or progressed: on the bus as "update" (the API's live events may pass it on). */
declare module "../events" {
  interface GatewayEvents {
    update: { update: UpdateRecord };
  }
}

/** One update service per command service (the API's and the simulator's), made when first asked for. */
const services = new WeakMap<CommandService, UpdateService>();
export function updatesOf(db: Db, bus: EventBus, commands: CommandService, o?: UpdateOptions): UpdateService {
  let s = services.get(commands);
  if (!s) services.set(commands, (s = new UpdateService(db, bus, commands, o)));
  return s;
}
