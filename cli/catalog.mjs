// The `minigrid` commands as a list, and what needs none of them loaded: the overview (`minigrid --help`),
// `--version`, and an unknown command with the closest known one. Plain JavaScript, so that bin/minigrid.mjs
// answers these without loading TypeScript at all; a command's module is loaded only to run it (cli/main.ts).
import { readFileSync } from "node:fs";

/** Name and one-line summary of every command, in the order of the overview. */
export const catalog = [
  { name: "start", summary: "the demo: gateway, dashboard and three simulated sites on the real firmware (npm start)" },
  { name: "build", summary: "compile the firmware into one minified file per board under dist/firmware/" },
  { name: "flash", summary: "put the built firmware, and its settings, on a board (saved to its flash) with the espruino CLI" },
  { name: "provision", summary: "write a node's settings to a flashed board (no reflash) with the espruino CLI" },
  { name: "settings", summary: "a node's settings file: init writes a starting one for a board, check checks one" },
  { name: "sim", summary: "run a built firmware file in the virtual Espruino; replay sites and fleets against a gateway" },
  { name: "decode", summary: "decode a serial capture (VE.Direct or Modbus RTU) into one JSON line per frame" },
  { name: "node", summary: "act on a node through the gateway: config, reboot, resend" },
  { name: "bench", summary: "run the benchmarks: a table, or one JSON object of named figures" },
  { name: "gateway", summary: "run the site gateway (broker, ingest to SQLite, liveness); init, check-config, hash-password" },
  { name: "central", summary: "run a central ingest instance: shared MQTT subscription to PostgreSQL, API for all sites" },
];

/** The version in package.json. */
export function version() {
  return JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")).version;
}

export function overview() {
  const width = Math.max(...catalog.map((c) => c.name.length));
  return [
    "minigrid: telemetry for off-grid solar mini-grids",
    "",
    "Usage: minigrid <command> [options]   (minigrid <command> --help for each)",
    "       minigrid --version",
    "",
    "Commands:",
    ...catalog.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
  ].join("\n");
}

/** Edit distance with transpositions (optimal string alignment): "gatway" and "gateawy" are 1 from "gateway". */
function distance(a, b) {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/**
 * The known word `word` was most likely meant to be, or undefined: the only one it starts, else the nearest within
 * a third of its length (at least 1, at most 3 edits).
 * @param {string} word
 * @param {readonly string[]} known
 * @returns {string | undefined}
 */
export function suggestion(word, known) {
  const w = word.toLowerCase();
  const starts = known.filter((k) => w.length >= 2 && k.startsWith(w));
  if (starts.length === 1) return starts[0];
  const limit = Math.min(3, Math.max(1, Math.floor(w.length / 3)));
  let best;
  let bestD = limit + 1;
  for (const k of known) {
    const dk = distance(w, k);
    if (dk < bestD) [best, bestD] = [k, dk];
  }
  return best;
}

/**
 * What needs no command loaded: an exit status after writing the answer, or undefined when a command must run.
 * @param {string[]} argv
 * @param {{ out: (s: string) => void, err: (s: string) => void }} io
 * @returns {number | undefined}
 */
export function quickAnswer(argv, io) {
  const [name] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    io.out(overview());
    return name ? 0 : 2;
  }
  if (name === "--version" || name === "-V" || name === "version") {
    io.out(`minigrid ${version()}`);
    return 0;
  }
  if (catalog.some((c) => c.name === name)) return undefined;
  const near = name.startsWith("-") ? undefined : suggestion(name, catalog.map((c) => c.name));
  io.err(`minigrid: unknown command '${name}'${near ? `; did you mean 'minigrid ${near}'?` : ""}\n\n${overview()}`);
  return 2;
}
