// Where the firmware build reads and writes, apart from the compiler itself (compile-firmware.ts loads TypeScript,
// esbuild and terser), so that the commands and the simulator that only need a built file's path load none of it.
import { join, resolve } from "node:path";

export const projectRoot = resolve(new URL("../..", import.meta.url).pathname);
export const firmwareOutDir = join(projectRoot, "dist", "firmware");

/** Modules the firmware may require(): built into the interpreter, or loaded on the board by the espruino CLI. */
export const espruinoModules = ["Storage", "net", "fs", "Wifi", "ESP8266WiFi_0v25", "WIZnet", "crypto", "tls"];
