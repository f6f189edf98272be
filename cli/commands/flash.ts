import { chmodSync, existsSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { Command, UsageError } from "../command";
import { boards, findBoard } from "../../firmware/boards/index";
import { firmwareOutDir, projectRoot } from "../../contracts/paths";
import { buildFirmware } from "./build";
import { planFlash, runEspruinoCli } from "../flash/espruino-cli";
import { loadSettingsFile, privateSettingsFile, settingsText } from "../settings/read";
import { masked, secretsOf, summary } from "../settings/secrets";
import { updatable } from "../../firmware/update/room";

export const flashCommand: Command = {
  name: "flash",
  usage: `Usage: minigrid flash --board NAME (--port PORT | --dry-run [--out FILE]) [--settings FILE] [--baud N] [--set-time] [--no-build]

Builds the board's firmware (unless --no-build), then sends it with the espruino CLI into the board's Storage as
.bootcde, so it runs at every boot, and starts it. On a board with room for updates over the air (the ESP32) the
program goes into the image slot mg.fw0 beside the update receiver (mg.rx), and .bootcde is the boot loader that
picks the image (docs/updates.md). With --settings, the node's settings go in the same session,
into Storage as mg.settings, which the firmware reads at boot; they are checked against the board first, and
nothing is sent when they do not fit (every problem is listed with its key and the fix). Passwords in the
settings are never printed. Settings only, without reflashing: minigrid provision.

Options:
  --board NAME    ${boards.filter((b) => b.id !== "linux").map((b) => b.id).join(", ")}
  --port PORT     serial device (/dev/ttyACM0), tcp://host:port, or a Bluetooth MAC
  --settings FILE the node's settings (JSON; minigrid settings init writes a starting file)
  --baud N        serial baud rate (USB ignores it)
  --set-time      set the board's clock from this computer while flashing
  --dry-run       connect to nothing: write exactly what would be sent to --out (no board, no network)
  --out FILE      with --dry-run, where to write it (default dist/firmware/<board>.upload.js)
  --no-build      send the existing dist/firmware/<board>.js
  -h, --help      show this help`,
  options: {
    board: { type: "string" },
    port: { type: "string" },
    baud: { type: "string" },
    "set-time": { type: "boolean" },
    "dry-run": { type: "boolean" },
    out: { type: "string" },
    "no-build": { type: "boolean" },
    settings: { type: "string" },
  },
  async run(values) {
    const boardId = values.board as string | undefined;
    if (!boardId) throw new UsageError("--board is required");
    const board = findBoard(boardId);
    const flashable = boards.filter((b) => b.id !== "linux").map((b) => b.id).join(", ");
    if (!board) throw new UsageError(`unknown board '${boardId}'; boards: ${flashable}`);
    if (board.id === "linux")
      throw new UsageError(`the linux build runs on a computer, not on a board: there is nothing to flash. Build it with minigrid build --board linux and run dist/firmware/linux.js with Espruino for Linux, or in the virtual Espruino with minigrid sim run --board linux. Boards to flash: ${flashable}`);
    const dryRun = values["dry-run"] === true;
    const port = values.port as string | undefined;
    if (!dryRun && !port) throw new UsageError("--port is required (or --dry-run to write what would be sent)");
    const baud = values.baud ? Number(values.baud) : undefined;
    if (baud !== undefined && !(baud > 0)) throw new UsageError(`--baud must be a positive number, got '${values.baud}'`);

    // the settings are checked before anything is built or sent
    const settingsPath = values.settings as string | undefined;
    const settings = settingsPath === undefined ? undefined : loadSettingsFile(settingsPath, board);
    if (settings) console.log(`settings: ${summary(settings)}`);

    const firmwareFile = join(firmwareOutDir, `${board.id}.js`);
    if (values["no-build"] !== true) await buildFirmware([board.id], (l) => console.log(l));
    else if (!existsSync(firmwareFile)) throw new UsageError(`${relative(projectRoot, firmwareFile)} does not exist: run minigrid build first`);

    const outputFile = dryRun ? ((values.out as string | undefined) ?? join(firmwareOutDir, `${board.id}.upload.js`)) : undefined;
    const secrets = settings ? secretsOf(settings) : [];
    const temp = settings ? privateSettingsFile(settingsText(settings)) : undefined;
    try {
      // a board with room for updates over the air gets the boot loader and the update receiver (docs/updates.md)
      const update = updatable(board) ? { bootFile: join(firmwareOutDir, "boot.js"), receiverFile: join(firmwareOutDir, "receiver.js") } : undefined;
      const plan = planFlash({ board, firmwareFile, update, workDir: join(firmwareOutDir, "flash"), port: dryRun ? undefined : port, baud, outputFile, setTime: values["set-time"] === true, settingsFile: temp?.path });
      console.log(`espruino ${plan.args.join(" ")}`);
      const code = await runEspruinoCli(plan.args, (line) => console.log(`  ${masked(line, secrets)}`));
      if (code !== 0) {
        console.error(`minigrid flash: the espruino CLI exited with status ${code}`);
        return code;
      }
    } finally {
      temp?.remove();
    }
    if (outputFile) {
      const bytes = readFileSync(outputFile).length;
      if (settings) chmodSync(outputFile, 0o600);
      console.log(`dry run: ${bytes} bytes that would be sent to the ${board.name} written to ${outputFile}` +
        (settings ? " (with the settings and their passwords: keep the file private)" : ""));
    }
    return 0;
  },
};
