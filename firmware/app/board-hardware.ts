// The sensors' view of a real board: UARTs, I2C and pins from the interpreter's globals (the Linux build adds
// capture files played as UARTs: main-linux.ts).
import { RuntimeBoard } from "../boards/types";
import { SerialPort } from "../hal/types";
import { SensorHardware } from "./sensors";

export function boardHardware(board: RuntimeBoard): SensorHardware {
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
