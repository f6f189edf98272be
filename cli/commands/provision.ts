import { chmodSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Command, UsageError } from "../command";
import { boards, findBoard } from "../../firmware/boards/index";
import { firmwareOutDir } from "../../contracts/paths";
import { planProvision, runEspruinoCli } from "../flash/espruino-cli";
import { loadSettingsFile, loadSettingsFileForAnyBoard, privateSettingsFile, settingsText } from "../settings/read";
import { masked, secretsOf, summary } from "../settings/secrets";

export const provisionCommand: Command = {
  name: "provision",
  usage: `Usage: minigrid provision (--port PORT | --dry-run [--out FILE]) --settings FILE [--board NAME] [--baud N]

Checks the settings against the board, writes them into the board's Storage as mg.settings (the file the
firmware reads at boot) and loads the program already on the board again, so that it starts with them. The
program itself is not sent: minigrid flash --settings does both. Nothing is sent when the settings do not fit
the board; every problem is listed with its key and the fix. Passwords are never printed.

Options:
  --port PORT     serial device (/dev/ttyACM0), tcp://host:port, or a Bluetooth MAC
  --settings FILE the node's settings (JSON; minigrid settings init writes a starting file)
  --board NAME    the board the settings are checked against: ${boards.filter((b) => b.id !== "linux").map((b) => b.id).join(", ")};
                  without it, the settings must fit one of them (the first that fits is named)
  --baud N        serial baud rate (USB ignores it)
  --dry-run       connect to nothing: write exactly what would be sent to --out (it holds the passwords)
  --out FILE      with --dry-run, where to write it (default dist/firmware/<board>.provision.js)
  -h, --help      show this help`,
  options: {
    board: { type: "string" },
    port: { type: "string" },
    baud: { type: "string" },
    settings: { type: "string" },
    "dry-run": { type: "boolean" },
    out: { type: "string" },
  },
  async run(values) {
    const flashable = boards.filter((b) => b.id !== "linux");
    const boardId = values.board as string | undefined;
    const named = boardId === undefined ? undefined : findBoard(boardId);
    if (boardId !== undefined && (!named || named.id === "linux")) throw new UsageError(`unknown board '${boardId}'; boards: ${flashable.map((b) => b.id).join(", ")}`);
    const dryRun = values["dry-run"] === true;
    const port = values.port as string | undefined;
    if (!dryRun && !port) throw new UsageError("--port is required (or --dry-run to write what would be sent)");
    const settingsPath = values.settings as string | undefined;
    if (!settingsPath) throw new UsageError("--settings is required: the node's settings file (minigrid settings init writes one)");
    const baud = values.baud ? Number(values.baud) : undefined;
    if (baud !== undefined && !(baud > 0)) throw new UsageError(`--baud must be a positive number, got '${values.baud}'`);

    const { board, settings } = named ? { board: named, settings: loadSettingsFile(settingsPath, named) } : loadSettingsFileForAnyBoard(settingsPath, flashable);
    console.log(`settings for the ${board.id}: ${summary(settings)}`);
    const secrets = secretsOf(settings);
    const outputFile = dryRun ? ((values.out as string | undefined) ?? join(firmwareOutDir, `${board.id}.provision.js`)) : undefined;
    const temp = privateSettingsFile(settingsText(settings));
    try {
      const plan = planProvision({ board, workDir: join(firmwareOutDir, "flash"), port: dryRun ? undefined : port, baud, outputFile, settingsFile: temp.path });
      console.log(`espruino ${plan.args.join(" ")}`);
      const code = await runEspruinoCli(plan.args, (line) => console.log(`  ${masked(line, secrets)}`));
      if (code !== 0) {
        console.error(`minigrid provision: the espruino CLI exited with status ${code}`);
        return code;
      }
    } finally {
      temp.remove();
    }
    if (outputFile) {
      chmodSync(outputFile, 0o600);
      console.log(`dry run: ${readFileSync(outputFile).length} bytes that would be sent to the ${board.name} written to ${outputFile} (with the passwords: keep the file private)`);
    }
    return 0;
  },
};
