// One simulated site: a virtual Espruino running the built firmware for its board, with device models on its
// UARTs, I2C bus and ADC pins (VE.Direct battery monitor, EPEver charge controller over Modbus RTU, INA226
// feeders, CT clamps), all fed from a site model by virtual time. The firmware reports every batch it queues
// through a probe, for the ledger.
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { updatable } from "../../firmware/update/room";
import { currentFile, imageFile, receiverFile } from "../../firmware/update/files";
import { Board } from "../../firmware/boards/types";
import { VirtualEspruino } from "../vm/espruino-vm";
import { VirtualFlash } from "../vm/flash";
import { createVeDirectEmitter, VeDirectEmitter } from "../devices/vedirect-emitter";
import type { VeDirectValues } from "../../firmware/drivers/vedirect-decode";
import { ModbusSlave } from "../devices/modbus-slave";
import { fillFromRecord } from "../devices/modbus-image";
import { InaModel } from "../devices/ina226-model";
import { ctWaveform } from "../devices/ct-waveform";
import { epeverLive } from "../../firmware/drivers/maps/epever-tracer";
import { firmwareOutDir } from "../../contracts/paths";
import type { SiteState } from "./site-model";
import { SiteNetwork, SiteNetworkState } from "../vm/site-network";
import { netKinds } from "../../cli/settings/board-rules";

export interface VirtualSiteOptions {
  board: Board;
  site: string;
  node: string;
  broker: { host: string; port: number; user?: string; pass?: string };
  model: (unixSeconds: number) => SiteState;
  /** Unix seconds at virtual time 0 (the site model's clock; the firmware learns it only through time sync). */
  startUnix: number;
  report_s?: number;
  firmwareFile?: string;
  onLog?: (line: string) => void;
  /** Called for every batch the firmware has written to its flash queue: (boot, seq). */
  onProduced?: (boot: number, seq: number) => void;
  /** Called when the queue refused a batch while the board had power (a minute of data gone); a refusal because
   * the power failed in the middle of writing it is not reported: that batch never was. */
  onRefused?: (boot: number, seq: number) => void;
  /** CT clamps sampled (default true): they cost the simulation most CPU, a burst of analogRead every sample. */
  withCt?: boolean;
  /** The mains frequency behind the clamps, 50 or 60 Hz (default 50): the waveform's, and the clamps' `Hz` setting. */
  mains_Hz?: number;
  /** Seed of the device models' noise (serial-noise faults). */
  seed?: number;
  /** Boots this node had before (its boot counter in flash), as when the same node is simulated again later. */
  bootsBefore?: number;
  /** Real ms a board waits for its broker's answer before virtual time moves on (net bridge; default 50). */
  replyWaitMs?: number;
  /**
   * Changes the battery monitor's readings before they are sent (Unix seconds given): a monitor gone wrong, or a
   * block damaged in a way its checksum does not catch. The block still goes out with a valid checksum.
   */
  bmvValues?: (values: VeDirectValues, unixSeconds: number) => VeDirectValues;
  /** See VirtualEspruinoOptions.yieldEveryVirtualMs. */
  yieldEveryVirtualMs?: number;
  /** The site's network the board joins: access point, DHCP, Ethernet cable (sim/vm/site-network.ts defaults). */
  network?: Partial<SiteNetworkState>;
  /** The node's `net` settings; by default the ones that fit its board on that network (netSettings). */
  net?: object;
  /**
   * Lay the flash out as `minigrid flash` leaves an updatable board (docs/updates.md "On the node"): the boot
   * loader as .bootcde, the firmware in image slot 0, the update receiver; the board boots through the loader, so
   * it can be updated over the air. Only for boards with room for two images (firmware/update/room.ts).
   */
  updatable?: boolean;
}

/** The `net` settings a technician gives a node on `board` for the site's network (none on the Linux build). */
export function netSettings(board: Board, n: SiteNetworkState): object | undefined {
  const kinds = netKinds(board);
  if (kinds.length === 0) return undefined;
  return kinds[0] === "eth" ? { kind: "eth" } : { kind: "wifi", ssid: n.ssid, pass: n.pass };
}

export class VirtualSite {
  readonly esp: VirtualEspruino;
  readonly flash: VirtualFlash;
  readonly bmv: VeDirectEmitter;
  readonly controller: ModbusSlave;
  readonly feeders: InaModel[] = [];
  /** The site's network; fault scripts change it (sim/fleet/runner.ts). */
  readonly network: SiteNetwork;
  private o: VirtualSiteOptions;

  constructor(o: VirtualSiteOptions) {
    this.o = o;
    const b = o.board;
    this.flash = new VirtualFlash({ sizeBytes: b.storageBytes, pageBytes: b.flashPageBytes });
    this.network = new SiteNetwork(o.network);
    this.esp = new VirtualEspruino({ board: b, flash: this.flash, network: this.network, onLog: o.onLog, replyWaitMs: o.replyWaitMs, seed: o.seed, yieldEveryVirtualMs: o.yieldEveryVirtualMs, probe: (kind, args) => this.probe(kind, args) });
    const now = () => o.startUnix + this.esp.clock.nowMs / 1000;
    const state = () => o.model(now());
    this.bmv = createVeDirectEmitter({
      kind: "bmv",
      noise: { rate: 0, seed: o.seed ?? 1 },
      values: () => {
        const s = state();
        const v: VeDirectValues = { battery_mV: Math.round(s.battery_V * 1000), battery_mA: Math.round(s.battery_A * 1000), power_W: Math.round(s.battery_V * s.battery_A), soc_permille: Math.round(s.soc_pct * 10), consumed_mAh: -Math.round((100 - s.soc_pct) * 10 * (s.capacity_Ah ?? 200)), timeToGo_min: -1 };
        return o.bmvValues ? o.bmvValues(v, now()) : v;
      },
    });
    this.bmv.attach(this.esp.serial(b.vedirect!.serial === "soft" ? `soft:${b.vedirect!.rx}` : b.vedirect!.serial).line());
    this.controller = new ModbusSlave({ id: 1 });
    this.controller.attach(this.esp.serial(b.modbus!.serial).line());
    const map = epeverLive();
    // the controller's registers as of the second a request comes in (the model moves in steps of a second)
    let refreshedAt = -1;
    const refresh = () => {
      const second = Math.floor(this.esp.clock.nowMs / 1000);
      if (second === refreshedAt) return;
      refreshedAt = second;
      const s = state();
      fillFromRecord(this.controller, map, {
        pv_V: s.pv_V, pv_A: s.pv_W / s.pv_V, pv_W: s.pv_W, battery_V: s.battery_V, battery_charge_A: Math.max(0, s.battery_A),
        battery_charge_W: Math.max(0, s.battery_A * s.battery_V), load_V: s.battery_V, load_A: s.load_W / s.battery_V, load_W: s.load_W,
        battery_temp_C: 25, case_temp_C: 30, soc_pct: Math.round(s.soc_pct), system_rated_V: s.system_V ?? 12, battery_status: 0,
        // 0x3201 D3-D2: 01 float, 10 boost; D0 running
        charger_status: s.pv_W > 0 ? (s.stage === "float" ? 0b0101 : 0b1001) : 0, load_status: s.loadOn === false ? 0 : 1, battery_net_A: s.battery_A,
      });
    };
    this.controller.onRequest = refresh;
    refresh();
    b.i2c!.ina226Addresses.forEach((address, k) => {
      const m = new InaModel({ address, shunt_ohm: 0.002, now: () => this.esp.clock.nowMs / 1000, source: () => state().feeders[k] });
      this.feeders.push(m);
      this.esp.i2c.attach(m);
    });
    // the clamp's waveform follows the feeder's current (rebuilt when it changes by 0.05 A or more)
    b.ctPins.forEach((pin, k) => {
      let irms = -1;
      const hz = this.o.mains_Hz ?? 50;
      let wave = ctWaveform({ irms_A: 0, hz });
      this.esp.pins.setAnalog(pin, (t) => {
        const now_A = Math.round((state().ct_A[k] ?? 0) * 20) / 20;
        if (now_A !== irms) [irms, wave] = [now_A, ctWaveform({ irms_A: now_A, hz })];
        return wave(t);
      });
    });
  }

  /** The node's settings, written to its flash as a technician would before the first boot. */
  settings(): object {
    const b = this.o.board;
    const net = this.o.net ?? netSettings(b, this.network.state);
    return {
      site: this.o.site, node: this.o.node, ...(net ? { net } : {}), broker: this.o.broker, report_s: this.o.report_s ?? 60, sample_s: 5,
      vedirect: [{ kind: "bmv" }], modbus: { map: "epever", slave: 1, period_s: 10 },
      feeders: b.i2c!.ina226Addresses.map((addr) => ({ addr, shunt_ohm: 0.002, max_A: 40 })),
      ct: this.o.withCt === false ? [] : b.ctPins.map((pin) => ({ pin, ical: 60.6, V: 230, Hz: this.o.mains_Hz ?? 50 })),
    };
  }

  /** Write the settings into flash and power the board on with the built firmware. */
  powerOn(): void {
    this.esp.storage().writeJSON("mg.settings", this.settings());
    // the boot counter the firmware keeps (mg.boot, app/node-app.ts): a later run of the same node goes on counting, so
    // its (boot, seq) keys do not collide with batches the gateway stored from an earlier run
    if (this.o.bootsBefore) this.esp.storage().writeJSON("mg.boot", { n: this.o.bootsBefore });
    const file = this.o.firmwareFile ?? join(firmwareOutDir, `${this.o.board.id}.js`);
    if (!this.o.updatable) return this.esp.loadFile(file);
    if (!updatable(this.o.board)) throw new Error(`${this.o.board.id} has no room for two images (docs/updates.md "Room"): it cannot be updated over the air`);
    const st = this.esp.storage();
    st.write(imageFile + "0", readFileSync(file, "latin1"));
    st.write(currentFile, "0");
    st.write(receiverFile, readFileSync(join(firmwareOutDir, "receiver.js"), "latin1"));
    st.write(".bootcde", readFileSync(join(firmwareOutDir, "boot.js"), "latin1"));
    this.esp.powerOnFromFlash();
  }

  private probe(kind: string, args: unknown[]): void {
    if (kind === "push") this.o.onProduced?.(args[0] as number, args[1] as number);
    else if (kind === "refused" && !this.flash.poweredOff) this.o.onRefused?.(args[0] as number, args[1] as number);
  }
}
