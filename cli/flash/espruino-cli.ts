// Sending a built firmware file and a node's settings with the espruino CLI (npm package `espruino`). A local board
// JSON keeps it offline: given a board by name it would download the board file, and it would fetch every
// require()d module it does not know to be built in.
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Board } from "../../firmware/boards/types";
import { espruinoModules } from "../../contracts/paths";
import { settingsFile } from "../../firmware/app/node-settings";

/** Interpreter version the board files declare; the CLI needs >= 2v00 to upload into Storage. */
export const espruinoFirmwareVersion = "2v29";

export function boardJson(board: Board): object {
  return {
    info: {
      id: board.espruinoBoard,
      name: board.name,
      binary_version: espruinoFirmwareVersion,
      builtin_modules: espruinoModules,
    },
    chip: { part: board.chip },
    pins: [],
    devices: {},
  };
}

export interface FlashPlan {
  args: string[];
  boardFile: string;
}

/**
 * The espruino CLI's arguments: the program goes into Storage as `.bootcde`, which the interpreter runs at every
 * boot ("Direct to Flash"), then is loaded at once.
 */
export interface SendOptions {
  board: Board;
  workDir: string;
  port?: string;
  baud?: number;
  outputFile?: string;
  setTime?: boolean;
  /** A file holding the settings' JSON text: the CLI writes it into Storage as mg.settings before the rest. */
  settingsFile?: string;
}

function commonArgs(opts: SendOptions): { args: string[]; boardFile: string } {
  mkdirSync(opts.workDir, { recursive: true });
  const boardFile = join(opts.workDir, `${opts.board.id}.board.json`);
  writeFileSync(boardFile, JSON.stringify(boardJson(opts.board), null, 2));
  const args = ["--no-ble", "--board", boardFile];
  if (opts.settingsFile) args.push("--storage", `${settingsFile}:${opts.settingsFile}`);
  if (opts.outputFile) args.push("-n", "-o", opts.outputFile);
  if (opts.port) args.push("-p", opts.port);
  if (opts.baud) args.push("-b", String(opts.baud));
  if (opts.setTime) args.push("-t");
  return { args, boardFile };
}

/**
 * The program, and the settings when given, in one session: settings first, then `.bootcde`, then it is loaded.
 * On a board with room for updates over the air (`update`: the built boot loader and update receiver,
 * docs/updates.md) the program goes into image slot mg.fw0, marked as the one to run (mg.cur), the receiver into
 * mg.rx, and the boot loader is `.bootcde`.
 */
export function planFlash(opts: SendOptions & { firmwareFile: string; update?: { bootFile: string; receiverFile: string } }): FlashPlan {
  const { args, boardFile } = commonArgs(opts);
  if (opts.update) {
    const cur = join(opts.workDir, "mg.cur");
    writeFileSync(cur, "0");
    args.push("--storage", `mg.fw0:${opts.firmwareFile}`, "--storage", `mg.rx:${opts.update.receiverFile}`, "--storage", `mg.cur:${cur}`);
    args.push("--storage", ".bootcde:-", opts.update.bootFile);
  } else args.push("--storage", ".bootcde:-", opts.firmwareFile);
  return { args, boardFile };
}

/** Only the settings (mg.settings), then the program already on the board is loaded again, so that it reads them. */
export function planProvision(opts: SendOptions & { settingsFile: string }): FlashPlan {
  const { args, boardFile } = commonArgs(opts);
  args.push("-e", 'load(".bootcde")');
  return { args, boardFile };
}

export function espruinoCliPath(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve("espruino/package.json")), "bin", "espruino-cli.js");
}

export function runEspruinoCli(args: string[], onLine: (line: string) => void): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [espruinoCliPath(), ...args], { stdio: ["ignore", "pipe", "pipe"] });
    const forward = (chunk: Buffer) => chunk.toString().split("\n").filter((l) => l.trim()).forEach(onLine);
    child.stdout.on("data", forward);
    child.stderr.on("data", forward);
    child.on("error", reject);
    child.on("close", (code) => resolve(code ?? 1));
  });
}
