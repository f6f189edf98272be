// Wiring only, for the interpreter's Linux build (a board whose data names a settings file): settings from that
// JSON file in the working directory, sensor bytes replayed from capture files, and the self-test that CI runs.
// None of this is in a board's file.
import { RuntimeBoard } from "./boards/types";
import { SerialPort } from "./hal/types";
import { withDefaults } from "./app/node-settings";
import { runSelfTest } from "./app/self-test";
import { boardHardware } from "./app/board-hardware";
import { run } from "./main";
import { tlsConnect } from "./net/tls";

/** A capture file played as a UART: `baud / 10` bytes a second in 100 ms steps, from the start again at its end. */
function replaySerial(path: string, baud: number): SerialPort {
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
  const nothing = function () {};
  return {
    setup: nothing,
    write: nothing,
    on: function (_e: "data", cb: (d: string) => void) {
      listeners.push(cb);
    },
  };
}

export function start(board: RuntimeBoard): void {
  const settings = withDefaults(JSON.parse(require("fs").readFileSync(board.settingsFile!) || "{}"));
  if (settings.selfTest) {
    const failed = runSelfTest(function (line) {
      console.log(line);
    });
    // end the run so the exit status reports the outcome (docs/espruino.md "On the Linux build")
    if (failed) throw new Error("self-test failed");
    quit();
    return;
  }
  const hw = boardHardware(board);
  hw.replay = replaySerial;
  run(board, settings, hw, undefined, tlsConnect);
}
