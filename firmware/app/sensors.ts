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

/**
 * Opens every sensor the settings name on the board's hardware and polls the polled ones every sample period;
 * each driver gives its own quantities to `out`.
 */
export function startSensors(board: RuntimeBoard, s: NodeSettings, hw: SensorHardware, clock: Clock, out: SampleSink): void {
  const ve: VeDirectPort[] = [];
  let modbus: ModbusReader | undefined;
  let ina: Ina226Port | undefined;
  let hasBmv = false;
  for (let i = 0; i < s.vedirect.length; i++) {
    // a capture file replayed (Linux builds), else the board's VE.Direct UART for the first device
    const v = s.vedirect[i];
    const w = board.vedirect;
    const serial = v.capture && hw.replay ? hw.replay(v.capture, 19200) : w && !i ? hw.serial(w.serial, w.rx, w.tx) : undefined;
    // each block straight to samples: veSamples(kind, out, clock, fields), bound rather than a closure per device
    if (serial) ve.push(openVeDirectPort(serial, clock, veSamples.bind(null, v.kind, out, clock)));
    if (v.kind === "bmv") hasBmv = true;
  }
  const mb = s.modbus;
  const w = board.modbus;
  if (mb && w) {
    const de = hw.pin(w.driverEnable);
    const port = hw.serial(w.serial, w.rx, w.tx);
    port.setup(w.baud);
    modbus = startModbusReader(port, w.baud, (on) => hw.digitalWrite(de, on), mb.slave,
      mb.map === "growatt" ? GROWATT_SPF : EPEVER_TRACER, clock, out, setTimeout, clearTimeout);
  }
  if (s.feeders.length && hw.i2c) {
    ina = ina226Port(hw.i2c(), s.feeders);
    ina226Poll(ina, 0); // sets the chips up, so that the first poll reads them
  }
  setInterval(function () {
    const t = clock.seconds();
    // without a battery monitor the charge controller's battery readings stand in
    if (modbus) modbus.poll(!hasBmv);
    if (ina) ina226Poll(ina, t, out);
    ctPoll(s.ct, hw, clock, t, out);
    // VE.Direct quality is judged by time: a port gone silent reports its state even without blocks (poll)
    for (let i = 0; i < ve.length; i++) ve[i].poll();
  }, s.sample_s * 1000);
}
