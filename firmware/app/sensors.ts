// The board's sensors, as its settings describe them, turned into samples by quantity key (channels.ts keys):
// VE.Direct blocks as they come, the polled sensors (Modbus, INA226, CT) every sample period.
import { RuntimeBoard } from "../boards/types";
import { Clock, SerialPort } from "../hal/types";
import { Quality } from "../protocol/messages";
import { NodeSettings } from "./node-settings";
import { openVeDirectPort, VeDirectPort } from "../drivers/vedirect-port";
import { decodeVeDirectBlock, VeDirectValues } from "../drivers/vedirect-decode";
import { ModbusReader, startModbusReader } from "../drivers/modbus-reader";
import { EPEVER_TRACER } from "../drivers/maps/epever-tracer";
import { GROWATT_SPF } from "../drivers/maps/growatt-spf";
import { Ina226Port, ina226Poll, ina226Port } from "../drivers/ina226-port";
import { ctPoll } from "../drivers/ct-clamp-port";

export type SampleSink = (key: string, value: number | null, q: Quality, t: number) => void;

/** What the sensors need from the board: UARTs by name, the I2C bus, pins, and files on Linux. */
export interface SensorHardware {
  serial(name: string, rx: string, tx: string): SerialPort;
  /** Linux: a serial port whose bytes come from a capture file (looped). */
  replay?(file: string, baud: number): SerialPort;
  i2c?(): any;
  pin(name: string): any;
  analogRead(pin: any): number;
  digitalWrite(pin: any, v: boolean): void;
}

const veQ: { [q: string]: Quality } = { ok: "o", stale: "s", failed: "f" };

// Quantities as source key, quantity key ("=" the same) and divisor, three words each: one string in the code,
// split when used, rather than tables of objects kept in the board's variables. A value that is not a number
// (VE.Direct "---", a Modbus register that failed) is reported as null.
const BMV = "battery_mV battery_V 1000 battery_mA battery_A 1000 power_W battery_W 1 soc_permille battery_soc_pct 10 " +
  "consumed_mAh battery_consumed_Ah 1000 timeToGo_min battery_ttg_min 1 battery_degC battery_temp_C 1";
const MPPT = "pv_mV pv_V 1000 pv_W = 1 battery_mA charge_A 1000 chargeState charge_state 1 error charger_fault 1 load_mA load_A 1000";

function put(table: string, v: { [k: string]: unknown }, q: Quality, t: number, out: SampleSink): void {
  const f = table.split(" ");
  for (let i = 0; i < f.length; i += 3) {
    const x = v[f[i]];
    if (x !== undefined) out(f[i + 1] === "=" ? f[i] : f[i + 1], typeof x === "number" ? x / +f[i + 2] : null, q, t);
  }
}

/** VE.Direct values -> quantities. A battery monitor gives the battery; an MPPT the PV side and charger. */
function veSamples(kind: string, v: VeDirectValues, q: Quality, t: number, out: SampleSink): void {
  put(kind === "bmv" ? BMV : MPPT, v, q, t, out);
  if (kind === "bmv") return;
  // derived: PV current from power and voltage, load power from load current and battery voltage
  if (v.pv_W !== undefined && v.pv_mV) out("pv_A", v.pv_W === null ? null : v.pv_W / (v.pv_mV / 1000), q, t);
  if (v.load_mA !== undefined && v.battery_mV) out("load_W", v.load_mA === null ? null : (v.load_mA / 1000) * (v.battery_mV / 1000), q, t);
}

export class Sensors {
  ve: VeDirectPort[] = [];
  modbus: ModbusReader | undefined;
  ina: Ina226Port | undefined;
  timer: number | undefined;

  constructor(private board: RuntimeBoard, private s: NodeSettings, private hw: SensorHardware, private clock: Clock, private out: SampleSink) {}

  start(): void {
    const s = this.s;
    const hasBmv = s.vedirect.some((v) => v.kind === "bmv");
    for (let i = 0; i < s.vedirect.length; i++) this.openVe(s.vedirect[i].kind, s.vedirect[i].capture, i);
    const mb = s.modbus;
    if (mb && this.board.modbus) {
      const w = this.board.modbus;
      const de = this.hw.pin(w.driverEnable);
      const port = this.hw.serial(w.serial, w.rx, w.tx);
      port.setup(w.baud);
      this.modbus = startModbusReader(port, w.baud, (on) => this.hw.digitalWrite(de, on), mb.slave,
        mb.map === "growatt" ? GROWATT_SPF : EPEVER_TRACER, this.clock, this.out, setTimeout, clearTimeout);
    }
    if (s.feeders.length > 0 && this.board.i2c && this.hw.i2c) {
      this.ina = ina226Port(this.hw.i2c(), s.feeders);
      ina226Poll(this.ina, 0); // sets the chips up, so that the first poll reads them
    }
    this.timer = setInterval(() => this.poll(!hasBmv), s.sample_s * 1000);
  }

  private openVe(kind: string, capture: string | undefined, index: number): void {
    const w = this.board.vedirect;
    let serial: SerialPort | undefined;
    if (capture && this.hw.replay) serial = this.hw.replay(capture, 19200);
    else if (w && index === 0) serial = this.hw.serial(w.serial, w.rx, w.tx);
    if (!serial) return;
    const port = openVeDirectPort({
      serial: serial,
      clock: this.clock,
      onBlock: (fields, t) => veSamples(kind, decodeVeDirectBlock(fields), veQ[port.quality()] || "o", t, this.out),
    });
    this.ve.push(port);
  }

  /** One round of the polled sensors. */
  poll(modbusBattery: boolean): void {
    const t = this.clock.seconds();
    if (this.modbus) this.modbus.poll(modbusBattery);
    if (this.ina) ina226Poll(this.ina, t, this.out);
    ctPoll(this.s.ct, this.hw, this.clock, t, this.out);
    // VE.Direct quality is judged by time: a port gone silent reports its state even without blocks
    for (let i = 0; i < this.ve.length; i++) {
      const q = veQ[this.ve[i].quality()];
      if (q !== "o") veSamples(this.s.vedirect[i].kind, this.s.vedirect[i].kind === "bmv" ? { battery_mV: null, battery_mA: null, power_W: null, soc_permille: null } : { pv_W: null, pv_mV: null }, q, t, this.out);
    }
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    if (this.modbus) this.modbus.stop();
  }
}
