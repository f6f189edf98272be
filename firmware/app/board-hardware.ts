// The sensors' view of a real board: UARTs, I2C and pins from the interpreter's globals (the Linux build adds
// capture files played as UARTs: main-linux.ts).
import { RuntimeBoard } from "../boards/types";
import { SerialPort } from "../hal/types";
import { SensorHardware } from "./sensors";

export function boardHardware(board: RuntimeBoard): SensorHardware {
  return {
    // The interpreter's own UART, its setup(baud) made to add the board's pins (the drivers pass no options).
    serial: function (name: string, rx: string, tx: string): SerialPort {
      const port = name === "soft" ? new global.Serial() : global[name];
      const setup = port.setup;
      port.setup = function (baud: number) {
        setup.call(port, baud, { rx: global[rx], tx: global[tx] });
      };
      return port;
    },
    i2c: board.i2c
      ? function () {
          const w = board.i2c!;
          const bus = global[w.bus];
          // at the interpreter's default bitrate, 100 kHz
          bus.setup({ scl: global[w.scl], sda: global[w.sda] });
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
