#!/usr/bin/env node
// The `minigrid` command. The overview, --version and a mistyped command are answered from cli/catalog.mjs before
// anything else loads; a command runs from its TypeScript source through tsx, so there is no separate build of
// the tools, and only that command's modules are loaded.
import { quickAnswer } from "../cli/catalog.mjs";

const argv = process.argv.slice(2);
const quick = quickAnswer(argv, { out: (s) => console.log(s), err: (s) => console.error(s) });
if (quick !== undefined) {
  process.exitCode = quick;
} else {
  const { register } = await import("tsx/esm/api");
  register();
  const { main } = await import("../cli/main.ts");
  process.exitCode = await main(argv);
}
