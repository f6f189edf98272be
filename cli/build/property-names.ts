// Which property names the release build may shorten (terser property mangling). Every name used as a property in
// firmware/ is a candidate; a name is kept as written when it can cross the bundle's edge or be looked up by a string:
//   - a member of any declaration file the firmware compiles against (ES5 library, @types/espruino,
//     firmware/types/*.d.ts): the interpreter's API and the options objects it reads (setup, write, on, readJSON...);
//   - any property in the files that define data read or written outside the bundle: the wire payloads and topics
//     (firmware/protocol/), the settings (node-settings.ts, and drivers/ct-clamp-settings.ts that it takes in),
//     what is kept in Storage as JSON (one-letter keys), the hardware interfaces (hal/), labels of the VE.Direct
//     text protocol (vedirect-decode.ts, vedirect-names.ts), register maps (drivers/maps/);
//   - the text of every string literal in firmware/ (a key looked up as obj[name] or named in a table);
//   - names of one or two characters (nothing to gain, and the wire's short keys are among them).
// So a descriptive name is not free on a board: it is shortened only when it matches none of the above. The board's
// internal objects keep their short names for that reason (docs/footprint.md has a measured example).
// The list is a fixed function of the sources, so every board built from the same sources mangles the same way.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import ts from "typescript";

/** Files (relative to firmware/, prefix match) whose property names are kept as written. */
const boundaryFiles = [
  "protocol/",
  "hal/",
  "types/",
  "app/node-settings.ts",
  "drivers/ct-clamp-settings.ts",
  "drivers/vedirect-decode.ts",
  "drivers/vedirect-names.ts",
  "drivers/maps/",
];

/**
 * Keys of options objects and results the interpreter reads or returns, which @types/espruino types as `any`
 * (Serial.setup, I2C.setup, SPI.setup, net.connect, process.memory, Wifi): kept as written.
 */
const interpreterKeys = [
  "rx", "tx", "ck", "cts", "flow", "path", "errors", "bytesize", "parity", "stopbits", "baud", "bitrate", "scl", "sda",
  "mosi", "miso", "sck", "order", "mode", "host", "port", "password", "ssid", "free", "usage", "total", "history", "gc",
  "gctime", "blocksize", "timeout", "data", "close", "end", "error", "connect",
];

function listTs(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...listTs(p));
    else if (name.endsWith(".ts")) out.push(p);
  }
  return out;
}

function propertyNameOf(node: ts.Node): string | undefined {
  const name = (node as { name?: ts.Node }).name;
  if (name && (ts.isIdentifier(name) || ts.isPrivateIdentifier(name))) return name.text;
  return undefined;
}

/** Every identifier of a declaration file (its namespaces' functions, globals, members, option keys). */
function collectAll(sf: ts.SourceFile, names: Set<string>): void {
  const visit = (node: ts.Node): void => {
    if (ts.isIdentifier(node)) names.add(node.text);
    else if (ts.isStringLiteral(node)) names.add(node.text);
    ts.forEachChild(node, visit);
  };
  visit(sf);
}

/** Names used as properties in one file: accesses, declarations, object literal keys, binding patterns. */
function collect(sf: ts.SourceFile, names: Set<string>, strings?: Set<string>): void {
  const visit = (node: ts.Node): void => {
    if (ts.isPropertyAccessExpression(node)) names.add(node.name.text);
    else if (
      ts.isPropertyAssignment(node) ||
      ts.isShorthandPropertyAssignment(node) ||
      ts.isMethodDeclaration(node) ||
      ts.isPropertyDeclaration(node) ||
      ts.isPropertySignature(node) ||
      ts.isMethodSignature(node) ||
      ts.isGetAccessor(node) ||
      ts.isSetAccessor(node)
    ) {
      const n = propertyNameOf(node);
      if (n !== undefined) names.add(n);
      else if (ts.isPropertyAssignment(node) || ts.isPropertySignature(node)) {
        const key = node.name;
        if (ts.isStringLiteral(key) || ts.isNumericLiteral(key)) names.add(key.text);
      }
    } else if (ts.isBindingElement(node) && node.propertyName && ts.isIdentifier(node.propertyName)) {
      names.add(node.propertyName.text);
    } else if (ts.isBindingElement(node) && !node.propertyName && ts.isIdentifier(node.name) && ts.isObjectBindingPattern(node.parent)) {
      names.add(node.name.text);
    } else if (ts.isParameter(node) && node.modifiers?.some((m) => m.kind === ts.SyntaxKind.PublicKeyword || m.kind === ts.SyntaxKind.PrivateKeyword || m.kind === ts.SyntaxKind.ProtectedKeyword || m.kind === ts.SyntaxKind.ReadonlyKeyword)) {
      if (ts.isIdentifier(node.name)) names.add(node.name.text);
    }
    if (strings && (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) || ts.isTemplateHead(node) || ts.isTemplateMiddle(node) || ts.isTemplateTail(node))) {
      strings.add(node.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
}

/** Declaration files the firmware compiles against (the program tsc builds from firmware/tsconfig.json). */
function declarationFiles(firmwareDir: string): ts.SourceFile[] {
  const configPath = join(firmwareDir, "tsconfig.json");
  const config = ts.readConfigFile(configPath, ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, firmwareDir);
  const program = ts.createProgram(parsed.fileNames, { ...parsed.options, noEmit: true });
  return program.getSourceFiles().filter((f) => f.isDeclarationFile);
}

let cached: { dir: string; names: string[] } | undefined;

/** Property names of firmware/ that the release build may mangle, sorted. */
export function mangleablePropertyNames(firmwareDir: string): string[] {
  if (cached && cached.dir === firmwareDir) return cached.names;
  const candidates = new Set<string>();
  const kept = new Set<string>(interpreterKeys);
  for (const file of listTs(firmwareDir)) {
    const rel = relative(firmwareDir, file).split("\\").join("/");
    const sf = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.ES5, true);
    const boundary = file.endsWith(".d.ts") || boundaryFiles.some((b) => rel.startsWith(b));
    if (file.endsWith(".d.ts")) collectAll(sf, kept);
    else collect(sf, boundary ? kept : candidates, kept);
  }
  for (const sf of declarationFiles(firmwareDir)) collectAll(sf, kept);
  const names = [...candidates].filter((n) => n.length > 2 && !kept.has(n) && /^[A-Za-z_$][\w$]*$/.test(n)).sort();
  cached = { dir: firmwareDir, names };
  return names;
}

/** A terser `regex` matching exactly the given names. */
export function namesRegex(names: string[]): RegExp {
  return names.length === 0 ? /^$^/ : new RegExp("^(?:" + names.map((n) => n.replace(/\$/g, "\\$")).join("|") + ")$");
}
