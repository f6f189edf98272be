// The sensors' view of a real board: UARTs, I2C and pins from the interpreter's globals, and on the Linux build
// serial bytes replayed from capture files (E.openFile), paced like the real line.
import { RuntimeBoard } from "../boards/types";
import { SerialPort } from "../hal/types";
import { SensorHardware } from "./sensors";

export function boardHardware(board: RuntimeBoard): SensorHardware {
  const nothing = function () {};
  return {
    // The interpreter's own UART, its setup(baud, options) made to add the board's pins.
    serial: function (name: string, rx: string, tx: string): SerialPort {
      const port = name === "soft" ? new global.Serial() : global[name];
      const setup = port.setup;
      port.setup = function (baud: number, opts?: any) {
        const o = opts || {};
        o.rx = global[rx];
        o.tx = global[tx];
        setup.call(port, baud, o);
      };
      return port;
    },
    // Linux: a capture file played as a UART: `baud / 10` bytes a second in 100 ms steps, from the start again at
    // its end.
    replay: board.settingsFile
      ? function (path: string, baud: number): SerialPort {
          const listeners: ((d: string) => void)[] = [];
          let f: EspruinoFile | undefined;
          const step = Math.max(1, Math.round(baud / 100));
          setInterval(function () {
            let d = f && f.read(step);
            if (!d) {
              if (f) f.close();
              f = E.openFile(path, "r");
              d = f.read(step);
            }
            if (d) for (let i = 0; i < listeners.length; i++) listeners[i](d);
          }, 100);
          return {
            setup: nothing,
            write: nothing,
            on: function (_e: "data", cb: (d: string) => void) {
              listeners.push(cb);
            },
          };
        }
      : undefined,
    i2c: board.i2c
      ? function () {
          const w = board.i2c!;
          const bus = global[w.bus];
          bus.setup({ scl: global[w.scl], sda: global[w.sda], bitrate: 100000 });
          return bus;
        }
      : undefined,
    pin: function (name: string) {
      return global[name];
    },
    analogRead: analogRead,
    digitalWrite: digitalWrite,
  };
}
