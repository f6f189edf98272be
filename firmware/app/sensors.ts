// The board's sensors, as its settings describe them, turned into samples by quantity key (channels.ts keys):
// VE.Direct blocks as they come, the polled sensors (Modbus, INA226, CT) every sample period.
import { RuntimeBoard } from "../boards/types";
import { Clock, SerialPort } from "../hal/types";
import { Quality } from "../protocol/messages";
import { NodeSettings } from "./node-settings";
import { openVeDirectPort, VeDirectPort } from "../drivers/vedirect-port";
import { veSamples } from "../drivers/vedirect-decode";
import { ModbusMaster } from "../drivers/modbus-master";
import { ModbusPoller } from "../drivers/modbus-poll";
import { Values } from "../drivers/modbus-map";
import { epeverLive } from "../drivers/maps/epever-tracer";
import { growattSpf } from "../drivers/maps/growatt-spf";
import { InaPort } from "../drivers/ina2xx-port";
import { CtPort } from "../drivers/ct-clamp-port";
import { CtRms } from "../drivers/ct-clamp";

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

const mbQ: Quality[] = ["o", "s", "f"];

// Quantities as source key, quantity key ("=" the same) and divisor, three words each: one string in the code,
// split when used, rather than tables of objects kept in the board's variables. A value that is not a number
// (VE.Direct "---", a Modbus register that failed) is reported as null.
// EPEver Tracer / Growatt SPF map keys
const MODBUS = "pv_V = 1 pv_A = 1 pv_W = 1 load_V = 1 load_A = 1 load_W = 1 battery_charge_A charge_A 1 ac_out_W = 1 ac_out_V = 1";

function put(table: string, v: { [k: string]: unknown }, q: Quality, t: number, out: SampleSink): void {
  const f = table.split(" ");
  for (let i = 0; i < f.length; i += 3) {
    const x = v[f[i]];
    if (x !== undefined) out(f[i + 1] === "=" ? f[i] : f[i + 1], typeof x === "number" ? x / +f[i + 2] : null, q, t);
  }
}

const num = (x: number | string | null | undefined): number | null => (typeof x === "number" ? x : null);

/** Charge controller / inverter record -> quantities (EPEver Tracer or Growatt SPF map keys). */
function modbusSamples(v: Values, q: Quality, t: number, battery: boolean, out: SampleSink): void {
  put(MODBUS, v, q, t, out);
  const cs = num(v.charger_status);
  if (cs !== null) {
    // 0x3201 D3-2 (0 none, 1 float, 2 boost, 3 equalize) as VE.Direct's CS codes (0 off, 5 float, 3 bulk,
    // 7 equalize), so that charge_state means the same on every controller
    out("charge_state", [0, 5, 3, 7][(cs >> 2) & 3], q, t);
    out("charger_fault", (cs >> 1) & 1, q, t); // D1 fault
  } else if (v.charger_status !== undefined) {
    out("charge_state", null, q, t);
    out("charger_fault", null, q, t);
  }
  if (battery) {
    const bv = num(v.battery_V);
    const ba = num(v.battery_net_A);
    out("battery_V", bv, q, t);
    out("battery_A", ba, q, t);
    out("battery_W", bv !== null && ba !== null ? bv * ba : null, q, t);
    if (v.soc_pct !== undefined) out("battery_soc_pct", num(v.soc_pct), q, t);
    if (v.battery_temp_degC !== undefined) out("battery_temp_C", num(v.battery_temp_degC), q, t);
  }
}

export class Sensors {
  ve: VeDirectPort[] = [];
  poller: ModbusPoller | undefined;
  master: ModbusMaster | undefined;
  ina: InaPort | undefined;
  ct: CtPort[] = [];
  timer: number | undefined;

  constructor(private board: RuntimeBoard, private s: NodeSettings, private hw: SensorHardware, private clock: Clock, private out: SampleSink) {}

  start(): void {
    const s = this.s;
    let hasBmv = false;
    for (let i = 0; i < s.vedirect.length; i++) {
      // a capture file replayed (Linux builds), else the board's VE.Direct UART for the first device
      const v = s.vedirect[i];
      const w = this.board.vedirect;
      const serial = v.capture && this.hw.replay ? this.hw.replay(v.capture, 19200) : w && !i ? this.hw.serial(w.serial, w.rx, w.tx) : undefined;
      // each block straight to samples: veSamples(kind, out, clock, fields), bound rather than a closure per device
      if (serial) this.ve.push(openVeDirectPort(serial, this.clock, veSamples.bind(null, v.kind, this.out, this.clock)));
      if (v.kind === "bmv") hasBmv = true;
    }
    const mb = s.modbus;
    if (mb && this.board.modbus) {
      const w = this.board.modbus;
      const de = this.hw.pin(w.driverEnable);
      const port = this.hw.serial(w.serial, w.rx, w.tx);
      port.setup(w.baud);
      this.master = new ModbusMaster({
        port: port,
        baud: w.baud,
        clock: this.clock,
        de: (on) => this.hw.digitalWrite(de, on),
      });
      this.master.start();
      this.poller = new ModbusPoller(this.master, mb.slave, mb.map === "growatt" ? growattSpf() : epeverLive());
    }
    if (s.feeders.length > 0 && this.board.i2c && this.hw.i2c) {
      const feeders = s.feeders.map((f) => ({ addr: f.addr, chip: 226, shunt_ohm: f.shunt_ohm, max_A: f.max_A }));
      this.ina = new InaPort(this.hw.i2c(), feeders);
      this.ina.setupAll();
    }
    for (let i = 0; i < s.ct.length; i++) {
      const c = s.ct[i];
      const pin = this.hw.pin(c.pin);
      this.ct.push(new CtPort(new CtRms({ ical: c.ical }), () => this.hw.analogRead(pin), () => this.clock.seconds(), {}));
    }
    this.timer = setInterval(() => this.poll(!hasBmv), s.sample_s * 1000);
  }

  /** One round of the polled sensors. */
  poll(modbusBattery: boolean): void {
    const t = this.clock.seconds();
    if (this.poller) {
      this.poller.poll((v, q) => modbusSamples(v, mbQ[q] || "f", this.clock.seconds(), modbusBattery, this.out));
    }
    if (this.ina) {
      for (let i = 0; i < this.s.feeders.length; i++) {
        const r = this.ina.read(i);
        const q = this.ina.quality(i) as Quality;
        const p = "feeder" + (i + 1) + "_";
        this.out(p + "V", r ? r.bus_mV / 1000 : null, r ? q : "f", t);
        this.out(p + "A", r ? r.current_mA / 1000 : null, r ? q : "f", t);
        this.out(p + "W", r ? r.power_W : null, r ? q : "f", t);
      }
    }
    for (let i = 0; i < this.ct.length; i++) {
      const r = this.ct[i].burst();
      const q = this.ct[i].quality() as Quality;
      const p = "ct" + (i + 1) + "_";
      this.out(p + "A", r ? r.current_A : null, r ? q : "f", t);
      this.out(p + "W", r ? (r.power_W !== undefined ? r.power_W : r.current_A * this.s.ct[i].V) : null, r ? (r.power_W !== undefined ? q : "e") : "f", t);
    }
    // VE.Direct quality is judged by time: a port gone silent reports its state even without blocks (poll)
    for (let i = 0; i < this.ve.length; i++) {
      this.ve[i].poll();
    }
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    if (this.master) this.master.stop();
  }
}
