import { readdirSync } from "node:fs";
import { basename, join } from "node:path";
import { pathToFileURL } from "node:url";
import { Command, UsageError } from "../command";
import { projectRoot } from "../../contracts/paths";

type BenchModule = { bench: () => Promise<Record<string, number>> };

export function benchFiles(): string[] {
  const dir = join(projectRoot, "bench");
  // firmware size first: the later benches load the files it builds
  return readdirSync(dir)
    .filter((f) => f.endsWith(".bench.ts"))
    .sort((a, b) => (a === "firmware-size.bench.ts" ? -1 : b === "firmware-size.bench.ts" ? 1 : a.localeCompare(b)))
    .map((f) => join(dir, f));
}

function formatNumber(n: number): string {
  return Number.isInteger(n) ? n.toLocaleString("en-US") : n.toLocaleString("en-US", { maximumSignificantDigits: 4 });
}

export const benchCommand: Command = {
  name: "bench",
  usage: `Usage: minigrid bench [--json] [--only NAME]

Runs every bench/*.bench.ts (firmware sizes first) and prints a table of named figures, such as
firmware.bytes.pico. With --json, prints one JSON object {name: number} on stdout and progress on stderr.

Options:
  --json        one JSON object of figures on stdout
  --only NAME   run only the benchmark files whose name contains NAME
  -h, --help    show this help`,
  options: { json: { type: "boolean" }, only: { type: "string" } },
  async run(values) {
    const json = values.json === true;
    const only = values.only as string | undefined;
    const figures: Record<string, number> = {};
    const all = benchFiles();
    const files = all.filter((f) => only === undefined || basename(f, ".bench.ts").includes(only));
    if (files.length === 0)
      throw new UsageError(`--only ${JSON.stringify(only)} matches no benchmark; give part of one of: ${all.map((f) => basename(f, ".bench.ts")).join(", ")}`);
    for (const [i, file] of files.entries()) {
      process.stderr.write(`[${i + 1}/${files.length}] ${file.slice(projectRoot.length + 1)}\n`);
      const mod = (await import(pathToFileURL(file).href)) as BenchModule;
      Object.assign(figures, await mod.bench());
    }
    if (json) {
      console.log(JSON.stringify(figures));
    } else {
      const width = Math.max(...Object.keys(figures).map((k) => k.length), 6);
      console.log(`${"figure".padEnd(width)}  value`);
      for (const [k, v] of Object.entries(figures)) console.log(`${k.padEnd(width)}  ${formatNumber(v)}`);
    }
    return 0;
  },
};
