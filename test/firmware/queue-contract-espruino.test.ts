// The flash queue contract on the real Espruino interpreter (its Linux build from ESPRUINO_BIN): the queue is
// compiled through the firmware pipeline into a program that runs the contract's steps on require("Storage")
// with E.CRC32 and prints its results on marked lines; each boot is a new run in the same working directory,
// so Storage (./espruino.flash) persists between them as it does across a board's resets.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bundleFirmwareProgram } from "../helpers/firmware-bundle";
import { runEspruino } from "../interpreter/espruino-bin";
import { EXECUTOR, QueueSetup, Step, queueContract } from "../contracts/queue-contract";

const entry = `import { openQueue } from "./app/queue/flash-queue";
${EXECUTOR}
var res = runSteps(openQueue, require("Storage"), E.CRC32, STEPS, SETUP);
var txt = JSON.stringify(res);
for (var i = 0; i < txt.length; i += 400) console.log("@@Q " + txt.substr(i, 400));
console.log("@@END");
`;

let program: Promise<string> | undefined;

queueContract(
  "the Espruino interpreter (Linux build, Storage in ./espruino.flash)",
  () => {
    program ??= bundleFirmwareProgram(entry);
    const dir = mkdtempSync(join(tmpdir(), "mg-queue-"));
    let n = 0;
    return {
      boot: async (steps: Step[], setup: QueueSetup = {}) => {
        const file = join(dir, `boot${++n}.js`);
        writeFileSync(file, `var STEPS=${JSON.stringify(steps)};var SETUP=${JSON.stringify(setup)};\n${await program}`);
        const r = runEspruino(file, dir, 120_000);
        const lines = r.stdout.split("\n");
        if (r.status !== 0 || !lines.some((l) => l.indexOf("@@END") >= 0)) throw new Error(`interpreter run failed (status ${r.status}):\n${r.stdout.slice(-3000)}\n${r.stderr}`);
        let json = "";
        for (const l of lines) {
          const at = l.indexOf("@@Q ");
          if (at >= 0) json += l.slice(at + 4).replace(/\r$/, "");
        }
        return JSON.parse(json);
      },
    };
  },
  ["espruino"],
);
