// Tools some tests need beyond npm's packages, in one list (docs/contributing.md "Prerequisites" is the same list
// for people). A test that needs one asks through `needs(...)`:
// - the tool is there: the test runs;
// - it is missing outside CI: the test is skipped, and one line names the tool and how to get it;
// - it is missing under CI (CI=true): the test fails with that line, so a CI machine without the tool turns red
//   instead of passing with the test unrun.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { describe, it } from "vitest";

export interface Prerequisite {
  /** Where the tool is, or undefined when it is missing. */
  find(): string | undefined;
  /** How to get it, for the line a skip or a failure prints. */
  how: string;
}

function firstExisting(paths: string[]): string | undefined {
  return paths.find((p) => existsSync(p));
}

function onPath(name: string): string | undefined {
  try {
    return execFileSync("sh", ["-c", `command -v ${name}`], { stdio: ["ignore", "pipe", "ignore"] }).toString().trim() || undefined;
  } catch {
    return undefined;
  }
}

const espruinoHow =
  "set ESPRUINO_BIN to the Linux build of the Espruino interpreter (docs/contributing.md \"The real interpreter\")";

/** The list: each tool a test may need, how it is found, and how to get it. */
export const prerequisites = {
  espruino: {
    find: () => (process.env.ESPRUINO_BIN && existsSync(process.env.ESPRUINO_BIN) ? process.env.ESPRUINO_BIN : undefined),
    how: espruinoHow,
  },
  "espruino-5100": {
    find: () => {
      const bin = process.env.ESPRUINO_BIN_5100 || (process.env.ESPRUINO_BIN ? process.env.ESPRUINO_BIN + "-5100" : "");
      return bin && existsSync(bin) ? bin : undefined;
    },
    how: "set ESPRUINO_BIN_5100 to a Linux build of the interpreter made with VARIABLES=5100 (docs/contributing.md)",
  },
  mosquitto: {
    find: () => firstExisting(["/usr/sbin/mosquitto", "/usr/bin/mosquitto", "/usr/local/sbin/mosquitto", "/opt/homebrew/sbin/mosquitto"]),
    how: "apt-get install -y mosquitto",
  },
  postgres: {
    find: () => {
      for (const v of ["17", "16", "15", "14", "13"]) {
        const dir = `/usr/lib/postgresql/${v}/bin`;
        if (existsSync(`${dir}/initdb`)) return dir;
      }
      return undefined;
    },
    how: "apt-get install -y postgresql",
  },
  chromium: {
    find: () => firstExisting(["/usr/bin/chromium"]),
    how: "apt-get install -y chromium",
  },
  sqlite3: {
    find: () => firstExisting(["/usr/bin/sqlite3"]) ?? onPath("sqlite3"),
    how: "apt-get install -y sqlite3",
  },
  openssl: {
    find: () => firstExisting(["/usr/bin/openssl"]) ?? onPath("openssl"),
    how: "apt-get install -y openssl",
  },
} satisfies Record<string, Prerequisite>;

export type ToolName = keyof typeof prerequisites;

export const underCI = process.env.CI === "true" || process.env.CI === "1";

/** The line a skip or a failure prints for the missing tools; empty when none is missing. */
export function missingLine(tools: ToolName[]): string {
  const missing = tools.filter((t) => prerequisites[t].find() === undefined);
  return missing.map((t) => `${t} is missing (${prerequisites[t].how})`).join("; ");
}

const warned = new Set<string>();

/**
 * `it` and `describe` for tests that need `tools`: the real ones when every tool is there; outside CI, skipping
 * ones (after one line on stderr); under CI, ones whose tests fail with the missing tools named.
 */
export function needs(...tools: ToolName[]): { it: typeof it; describe: typeof describe; missing: string } {
  const missing = missingLine(tools);
  if (!missing) return { it, describe, missing };
  if (!underCI) {
    if (!warned.has(missing)) {
      warned.add(missing);
      console.warn(`skipped: ${missing}`);
    }
    return { it: it.skip as unknown as typeof it, describe: describe.skip as unknown as typeof describe, missing };
  }
  const fail = () => {
    throw new Error(`CI needs ${missing}`);
  };
  const failingIt = ((name: string) => it(name, fail)) as unknown as typeof it;
  const failingDescribe = ((name: string) => describe(name, () => it("has its prerequisites", fail))) as unknown as typeof describe;
  return { it: failingIt, describe: failingDescribe, missing };
}
