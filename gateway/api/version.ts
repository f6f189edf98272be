// The program's version, from the package.json at the repository's root (GET /api/health, GET /api/openapi.json).
import { readFileSync } from "node:fs";

let cached: string | undefined;

export function programVersion(): string {
  if (cached === undefined) {
    try {
      cached = String((JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version?: string }).version ?? "unknown");
    } catch {
      cached = "unknown";
    }
  }
  return cached;
}
