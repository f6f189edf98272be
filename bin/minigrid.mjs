#!/usr/bin/env node
// The `minigrid` command: runs the TypeScript sources through tsx, so there is no separate build of the tools.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../cli/main.ts");
process.exitCode = await main(process.argv.slice(2));
