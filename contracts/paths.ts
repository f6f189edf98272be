// Where the project's built files live, and the interpreter's modules: what the firmware build writes and what the
// simulator, the flash and provision commands, the tests and the benchmarks read. Kept apart from the build
// (cli/build/compile-firmware.ts) so that reading a file does not load the TypeScript compiler, esbuild and terser
// (a simulator worker thread needs only the folder name).
import { join, resolve } from "node:path";

export const projectRoot = resolve(new URL("..", import.meta.url).pathname);
export const firmwareSourceDir = join(projectRoot, "firmware");
/** `minigrid build` writes `<board>.js` (minified) and `<board>.debug.js` here. */
export const firmwareOutDir = join(projectRoot, "dist", "firmware");

/** Modules the firmware may require(): built into the interpreter, or loaded on the board by the espruino CLI. */
export const espruinoModules = ["Storage", "net", "fs", "Wifi", "ESP8266WiFi_0v25", "WIZnet", "crypto", "tls"];
