// The board's sensors, as its settings describe them, turned into samples by quantity key (channels.ts keys):
// VE.Direct blocks as they come, the polled sensors (Modbus, INA226, CT) every sample period. Each driver gives
// its own quantities (veSamples, the Modbus reader, ina226Poll, ctPoll).
import { RuntimeBoard } from "../boards/types";
import { Clock, SerialPort } from "../hal/types";
import { Quality } from "../protocol/messages";
import { NodeSettings } from "./node-settings";
import { openVeDirectPort, VeDirectPort } from "../drivers/vedirect-port";
import { veSamples } from "../drivers/vedirect-decode";
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

export class Sensors {
  ve: VeDirectPort[] = [];
  modbus: ModbusReader | undefined;
  ina: Ina226Port | undefined;
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
      this.modbus = startModbusReader(port, w.baud, (on) => this.hw.digitalWrite(de, on), mb.slave,
        mb.map === "growatt" ? GROWATT_SPF : EPEVER_TRACER, this.clock, this.out, setTimeout, clearTimeout);
    }
    if (s.feeders.length > 0 && this.hw.i2c) {
      this.ina = ina226Port(this.hw.i2c(), s.feeders);
      ina226Poll(this.ina, 0); // sets the chips up, so that the first poll reads them
    }
    this.timer = setInterval(() => this.poll(!hasBmv), s.sample_s * 1000);
  }

  /** One round of the polled sensors. */
  poll(modbusBattery: boolean): void {
    const t = this.clock.seconds();
    if (this.modbus) this.modbus.poll(modbusBattery);
    if (this.ina) ina226Poll(this.ina, t, this.out);
    ctPoll(this.s.ct, this.hw, this.clock, t, this.out);
    // VE.Direct quality is judged by time: a port gone silent reports its state even without blocks (poll)
    for (let i = 0; i < this.ve.length; i++) this.ve[i].poll();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    if (this.modbus) this.modbus.stop();
  }
}
