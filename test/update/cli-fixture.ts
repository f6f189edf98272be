// What the update CLI tests share: `minigrid node ...` against a running API, and a built image of a given version.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { nodeCommand } from "../../cli/commands/node";

export function runNode(port: number, argv: string[], flags: Record<string, string | boolean> = {}): Promise<number> {
  return nodeCommand.run({ url: `http://127.0.0.1:${port}`, token: "tok", ...flags }, argv);
}

/** An ESP32 image file as minigrid build writes it (its header line), of `version`, in a fresh temporary folder. */
export function imageFile(version: string): string {
  const f = join(mkdtempSync(join(tmpdir(), "mg-image-")), "esp32.js");
  writeFileSync(f, `/*minigrid esp32 ${version}*/\n` + 'print("new");'.repeat(200));
  return f;
}
