// Firmware build: TypeScript 5.9 (ES5 output, ES modules kept) -> esbuild (bundling only, one IIFE per board)
// -> terser (function and var hoisting, mangling). This is the pipeline docs/espruino.md reports the
// real interpreter ran correctly; each step exists to avoid one of its traps (no hoisting on the interpreter).
import { mkdirSync, writeFileSync, rmSync, mkdtempSync, renameSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";
import * as esbuild from "esbuild";
import { minify } from "terser";
import { checkBundle, BundleProblem } from "./check-bundle";
import { mangleablePropertyNames, namesRegex } from "./property-names";
import { aliasThisAndPrototype, hoistLateVars } from "./alias-this";
import { removeDeadMethods } from "./dead-methods";
import { espruinoModules, firmwareOutDir, firmwareSourceDir, projectRoot } from "../../contracts/paths";
import { findBoard } from "../../firmware/boards/index";
import { NetworkKind, RUNTIME_BOARD_KEYS } from "../../firmware/boards/types";
import { firmwareVersion } from "../../firmware/app/node-app";
import { updatable } from "../../firmware/update/room";


export interface BuiltFirmware {
  board: string;
  file: string;
  debugFile: string;
  bytes: number;
  debugBytes: number;
  problems: BundleProblem[];
}

/**
 * Compile firmware/ with its own tsconfig (ES5, Espruino types) into a fresh folder under dist/ (so that builds
 * running side by side never share one), returned. Throws with the compiler's messages.
 */
export function compileFirmwareToEs5(): string {
  mkdirSync(join(projectRoot, "dist"), { recursive: true });
  const es5Dir = mkdtempSync(join(projectRoot, "dist", ".firmware-es5-"));
  const configPath = join(firmwareSourceDir, "tsconfig.json");
  const config = ts.readConfigFile(configPath, ts.sys.readFile);
  if (config.error) throw new Error(ts.flattenDiagnosticMessageText(config.error.messageText, "\n"));
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, firmwareSourceDir);
  const program = ts.createProgram(parsed.fileNames, { ...parsed.options, outDir: es5Dir, noEmit: false });
  // A class compiles to `var X = (function () { ... }())`: marked pure so that a class nothing uses (an exported
  // driver the board's wiring leaves out) is dropped from the bundle instead of kept as a possible side effect.
  const writeFile: ts.WriteFileCallback = (name, text, bom) =>
    ts.sys.writeFile(name, name.endsWith(".js") ? markClassesPure(text) : text, bom);
  const result = program.emit(undefined, writeFile);
  const diagnostics = ts.getPreEmitDiagnostics(program).concat(result.diagnostics);
  if (diagnostics.length > 0) {
    const host: ts.FormatDiagnosticsHost = {
      getCanonicalFileName: (f) => f,
      getCurrentDirectory: () => projectRoot,
      getNewLine: () => "\n",
    };
    rmSync(es5Dir, { recursive: true, force: true });
    throw new Error("firmware does not compile:\n" + ts.formatDiagnostics(diagnostics, host));
  }
  return es5Dir;
}

/** Top-level class IIFEs as TypeScript emits them for ES5, annotated for esbuild and terser as free of side effects. */
export function markClassesPure(js: string): string {
  return js.replace(/^((?:export )?var [\w$]+ = )\(function \(\) \{$/gm, "$1/*#__PURE__*/ (function () {");
}

/**
 * Bundle one entry module (path relative to firmware/, without extension) from the ES5 output into one
 * IIFE. `entrySource` is the entry's code, written as ES5 (it is not compiled by tsc). With `globalScope` (a
 * board's firmware, which owns the interpreter) the bundle's top level is the interpreter's global scope instead:
 * on Espruino a function keeps the chain of scopes it was defined in, one variable per scope beyond the first plus
 * one for the chain, and a function defined at global scope keeps none, so the IIFE's scope cost every function of
 * the program one to three variables (docs/footprint.md).
 */
export async function bundleEs5(es5Dir: string, entrySource: string, opts: { globalScope?: boolean; updatable?: boolean } = {}): Promise<string> {
  const result = await esbuild.build({
    stdin: { contents: entrySource, resolveDir: es5Dir, sourcefile: "entry.js", loader: "js" },
    bundle: true,
    // CommonJS output keeps external modules as plain require("X") calls, as the interpreter expects; the
    // banner and footer give the bundle its own scope, as an IIFE would.
    format: "cjs",
    banner: { js: opts.globalScope ? "" : "(function(){" },
    footer: { js: opts.globalScope ? "" : "})();" },
    target: "es5",
    platform: "node",
    write: false,
    minify: false,
    legalComments: "none",
    // the code that serves updates over the air, only in the files of boards with room for them (update/room.ts)
    define: { MG_OTA: opts.updatable ? "true" : "false" },
    // Modules the interpreter provides (built in or loaded by the espruino CLI): left as require() calls.
    external: espruinoModules,
    logLevel: "silent",
  });
  return result.outputFiles[0].text;
}

/**
 * Minified (release) and readable (debug) forms: both hoisted, since the interpreter does not hoist. With
 * `mangleProperties` (a board's firmware, which is one closed program) the release form also shortens the
 * property names property-names.ts finds internal: every property name costs bytes in the code and, on the
 * interpreter, in every object that holds it. Test programs leave it off: what they print crosses the bundle's edge.
 */
export async function minifyForEspruino(code: string, opts: { mangleProperties?: boolean } = {}): Promise<{ release: string; debug: string }> {
  // A board's firmware is a closed program: a method nothing in it names can go (dead-methods.ts).
  const closed = opts.mangleProperties ? removeDeadMethods(code).code : code;
  const release = await minify(aliasThisAndPrototype(closed, { globalScope: opts.mangleProperties }), {
    ecma: 5,
    toplevel: true,
    compress: { hoist_funs: true, hoist_vars: true, passes: 5, toplevel: true, unsafe_arrows: false, unsafe_undefined: true },
    mangle: {
      toplevel: true,
      // at global scope the program's names sit beside the interpreter's: the short names it has are never given
      reserved: INTERPRETER_SHORT_GLOBALS,
      // builtins: the list alone decides. It already leaves out every name the ES5 library and the interpreter's
      // declarations know; terser's own list of DOM names (next, add, reset, item, result...) protects nothing here.
      properties: opts.mangleProperties ? { regex: namesRegex(mangleablePropertyNames(firmwareSourceDir)), keep_quoted: "strict", builtins: true } : false,
    },
    // Short lines: the interpreter puts the source line of every frame into an Error's stack, so on one 50 KB line
    // a single caught exception (net.connect refused) cost ~8,000 variables and ran a Pico-sized pool out of memory.
    // Semicolons stay (the interpreter's automatic semicolon insertion is not complete): the newlines are whitespace.
    format: { ascii_only: true, semicolons: true, max_line_len: 250 },
  });
  const debug = await minify(code, {
    ecma: 5,
    compress: { defaults: false, hoist_funs: true, hoist_vars: true },
    mangle: false,
    format: { beautify: true, ascii_only: true, comments: false },
  });
  // Inlining a function with arguments can leave `return ...(i = x)...; var i` behind: hoistLateVars moves such
  // vars up, since the interpreter does not hoist (check-bundle.ts refuses what is left).
  return { release: hoistLateVars(release.code ?? ""), debug: debug.code ?? "" };
}

/**
 * The interpreter's global names of one or two characters, which a mangled name could otherwise take over: `E`, and
 * the pins (A0..H9: every board's pin names are a letter and a number).
 */
const INTERPRETER_SHORT_GLOBALS = ["E"].concat(..."ABCDEFGH".split("").map((l) => "0123456789".split("").map((d) => l + d)));

/** A value as an ES5 literal whose keys are bare names, so that property mangling renames them with their uses. */
export function es5Literal(v: unknown): string {
  if (Array.isArray(v)) return "[" + v.map(es5Literal).join(", ") + "]";
  if (v !== null && typeof v === "object") {
    const keys = Object.keys(v).filter((k) => (v as Record<string, unknown>)[k] !== undefined);
    for (const k of keys) if (!/^[A-Za-z_$][\w$]*$/.test(k)) throw new Error(`board key '${k}' is not a plain name`);
    return "{ " + keys.map((k) => `${k}: ${es5Literal((v as Record<string, unknown>)[k])}`).join(", ") + " }";
  }
  return JSON.stringify(v);
}

/** The module and factory (main.ts LinkFactory) that bring up each kind of network (firmware/net/). */
const networkLinks: Record<NetworkKind, [string, string] | undefined> = {
  "esp32-wifi": ["net/wifi", "wifiLink"],
  "esp8266-wifi": ["net/wifi", "wifiLink"],
  "w5500-ethernet": ["net/w5500", "w5500Link"],
  "esp8266-at": ["net/esp8266-at", "esp8266Link"],
  "host-tcp": undefined,
};

/**
 * A board's entry with what the firmware reads of the board (RUNTIME_BOARD_KEYS) written in as a literal, rather
 * than the whole board description: names, chip and sizes serve the tools, not the program.
 */
export function runtimeBoardEntrySource(boardId: string): string {
  const board = findBoard(boardId);
  if (!board) throw new Error(`unknown board '${boardId}'`);
  const runtime: Record<string, unknown> = {};
  for (const k of RUNTIME_BOARD_KEYS) runtime[k] = board[k];
  // a board whose data names a settings file is the interpreter's Linux build: its own entry (main-linux.ts)
  if (board.settingsFile) return `import { start } from "./main-linux";\nstart(${es5Literal(runtime)});\n`;
  // the network code of the board's kind, and only that, goes into its file
  const link = networkLinks[board.networks[0]];
  // and MQTT over TLS only where the board's interpreter has it
  return `import { start } from "./main";\n` + (link ? `import { ${link[1]} } from "./${link[0]}";\n` : "") +
    (board.tls ? `import { tlsConnect } from "./net/tls";\n` : "") +
    `start(${es5Literal(runtime)}${link || board.tls ? ", " + (link ? link[1] : "undefined") : ""}${board.tls ? ", tlsConnect" : ""});\n`;
}

/** Build one board's files under dist/firmware/. Problems found by the bundle check are returned, not thrown. */
export async function buildBoardFirmware(es5Dir: string, boardId: string, _boardExport?: string): Promise<BuiltFirmware> {
  const bundled = await bundleEs5(es5Dir, runtimeBoardEntrySource(boardId), { globalScope: true, updatable: updatable(findBoard(boardId)!) });
  const minified = await minifyForEspruino(bundled, { mangleProperties: true });
  // the image names its board and version in its first line, which the gateway reads before an update
  const release = imageHeader(boardId, firmwareVersion) + minified.release;
  const debug = minified.debug;
  mkdirSync(firmwareOutDir, { recursive: true });
  const file = join(firmwareOutDir, `${boardId}.js`);
  const debugFile = join(firmwareOutDir, `${boardId}.debug.js`);
  writeAtomically(file, release);
  writeAtomically(debugFile, debug);
  const problems = checkBundle(release, file).concat(checkBundle(debug, debugFile));
  return {
    board: boardId,
    file,
    debugFile,
    bytes: Buffer.byteLength(release),
    debugBytes: Buffer.byteLength(debug),
    problems,
  };
}

/** The first line of a built image: a comment naming its board and version (gateway/updates/image.ts reads it). */
export function imageHeader(boardId: string, version: string): string {
  return `/*minigrid ${boardId} ${version}*/\n`;
}

/**
 * The files of the update machinery beside a board's program (firmware/update/, docs/updates.md), the same for every
 * board: the boot loader (stored as .bootcde) and the update receiver (stored as mg.rx). The loader runs at the
 * interpreter's global scope so that the image it evaluates does too; the receiver keeps everything in its own scope
 * but the MG_RX it hands over. Neither shortens property names: they meet the program only through arguments and
 * the interpreter's own API.
 */
export async function buildUpdateFiles(es5Dir: string): Promise<{ boot: string; receiver: string; problems: BundleProblem[] }> {
  mkdirSync(firmwareOutDir, { recursive: true });
  const boot = join(firmwareOutDir, "boot.js");
  const receiver = join(firmwareOutDir, "receiver.js");
  // not compressed: terser would inline the loader's function into global vars, which the node would keep
  const b = await minify(await bundleEs5(es5Dir, `import "./update/boot";\n`, { globalScope: true }), { ecma: 5, compress: false, mangle: true, format: { ascii_only: true, semicolons: true, max_line_len: 250 } });
  const r = await minifyForEspruino(await bundleEs5(es5Dir, `import { receiver } from "./update/receiver";\nMG_RX = receiver;\n`));
  writeAtomically(boot, b.code ?? "");
  writeAtomically(receiver, r.release);
  return { boot, receiver, problems: checkBundle(b.code ?? "", boot).concat(checkBundle(r.release, receiver)) };
}

/** Readers (tests running side by side) see the old file or the new one, never half of one. */
function writeAtomically(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}
