// Two rewrites of the bundled ES5 code before terser, which does neither itself and which together take some
// 2 KB off a board's firmware (the interpreter keeps the code as text, so every byte is also a share of a variable):
//   - `this`, used three times or more in one function, becomes a local variable that terser then names with one
//     letter (`var $this_ = this;` at the top of the function). Only the function's own `this` is replaced: the
//     nested functions have their own (TypeScript's ES5 output has no arrow functions: it already writes `_this`).
//   - `X.prototype.m = function ...` (TypeScript's ES5 class output), written two times or more in one block,
//     becomes `var $proto_X = X.prototype; $proto_X.m = function ...`.
//   - static functions of the built-in objects (Math.floor, String.fromCharCode, JSON.stringify...), called three
//     times or more, are read once into a variable at the top of the bundle's function. The interpreter's native
//     functions do not need their object as `this` (checked on Espruino 2v29, and so in Node).
//   - `var undefined;` at the top of the bundle's function, so that terser (unsafe_undefined) writes a one-letter
//     local instead of each `void 0`. A var without a value is undefined; nothing assigns it.
// All are plain ES5 the interpreter runs as written: a variable is created when execution reaches it, and each
// alias is declared before its first use in straight-line code.
import ts from "typescript";

const THIS = "$this_";
const PROTO = "$proto_";
const NATIVE = "$native_";
/** Built-in objects whose functions are aliased, and the functions that may be. */
const NATIVES: { [obj: string]: string[] } = {
  Math: ["floor", "round", "ceil", "max", "min", "pow", "abs", "sqrt"],
  String: ["fromCharCode"],
  JSON: ["stringify", "parse"],
};
/** What the bundle starts with (compile-firmware.ts, esbuild's banner): the aliases go right after it. */
const BANNER = "(function(){";

interface Edit {
  pos: number;
  end: number;
  text: string;
}

function isFunctionWithBody(node: ts.Node): node is ts.FunctionDeclaration | ts.FunctionExpression {
  return (ts.isFunctionDeclaration(node) || ts.isFunctionExpression(node)) && node.body !== undefined;
}

/** The `this` keywords of a function's own body (not those of the functions nested in it). */
function ownThis(body: ts.Block): ts.Node[] {
  const found: ts.Node[] = [];
  const visit = (node: ts.Node): void => {
    if (node.kind === ts.SyntaxKind.ThisKeyword) found.push(node);
    if (isFunctionWithBody(node) || ts.isGetAccessor(node) || ts.isSetAccessor(node) || ts.isMethodDeclaration(node)) return;
    ts.forEachChild(node, visit);
  };
  ts.forEachChild(body, visit);
  return found;
}

/** Where a statement can be inserted at the top of a body: after its directive prologue ("use strict"). */
function bodyStart(body: ts.Block): number {
  let pos = body.statements.pos;
  for (const s of body.statements) {
    if (ts.isExpressionStatement(s) && ts.isStringLiteral(s.expression)) pos = s.end;
    else break;
  }
  return pos;
}

/** `X.prototype.m = ...` as a statement: X's name, and the `X.prototype` node. */
function prototypeAssignment(s: ts.Statement): { cls: string; target: ts.Node } | undefined {
  if (!ts.isExpressionStatement(s)) return undefined;
  const e = s.expression;
  if (!ts.isBinaryExpression(e) || e.operatorToken.kind !== ts.SyntaxKind.EqualsToken) return undefined;
  const left = e.left;
  if (!ts.isPropertyAccessExpression(left)) return undefined;
  const proto = left.expression;
  if (!ts.isPropertyAccessExpression(proto) || proto.name.text !== "prototype" || !ts.isIdentifier(proto.expression)) return undefined;
  return { cls: proto.expression.text, target: proto };
}

export function aliasThisAndPrototype(code: string, opts: { globalScope?: boolean } = {}): string {
  if (code.includes(THIS) || code.includes(PROTO) || code.includes(NATIVE)) throw new Error(`the bundle already uses ${THIS}, ${PROTO} or ${NATIVE}`);
  const sf = ts.createSourceFile("bundle.js", code, ts.ScriptTarget.ES5, true, ts.ScriptKind.JS);
  const edits: Edit[] = [];
  const declared: { [name: string]: boolean } = {};
  const natives: { [name: string]: ts.Node[] } = {};

  const visit = (node: ts.Node): void => {
    const name = (node as { name?: ts.Node }).name;
    if (name && ts.isIdentifier(name) && (ts.isVariableDeclaration(node) || ts.isFunctionDeclaration(node) || ts.isParameter(node) || ts.isFunctionExpression(node))) declared[name.text] = true;
    if (ts.isPropertyAccessExpression(node) && ts.isIdentifier(node.expression) && NATIVES.hasOwnProperty(node.expression.text)) {
      const fn = node.expression.text + "_" + node.name.text;
      const assigned = ts.isBinaryExpression(node.parent) && node.parent.left === node && node.parent.operatorToken.kind === ts.SyntaxKind.EqualsToken;
      if (!assigned && NATIVES[node.expression.text].indexOf(node.name.text) >= 0) (natives[fn] = natives[fn] || []).push(node);
    }
    if (isFunctionWithBody(node)) {
      const body = node.body!;
      const uses = ownThis(body);
      if (uses.length >= 3) {
        edits.push({ pos: bodyStart(body), end: bodyStart(body), text: `var ${THIS} = this;` });
        for (const u of uses) edits.push({ pos: u.getStart(sf), end: u.end, text: THIS });
      }
    }
    if (ts.isBlock(node) || ts.isSourceFile(node)) {
      const byClass: { [cls: string]: ts.Statement[] } = {};
      for (const s of node.statements) {
        const a = prototypeAssignment(s);
        if (a) (byClass[a.cls] = byClass[a.cls] || []).push(s);
      }
      for (const cls of Object.keys(byClass)) {
        const list = byClass[cls];
        if (list.length < 2) continue;
        const alias = PROTO + cls;
        edits.push({ pos: list[0].getStart(sf), end: list[0].getStart(sf), text: `var ${alias} = ${cls}.prototype; ` });
        for (const s of list) {
          const target = prototypeAssignment(s)!.target;
          edits.push({ pos: target.getStart(sf), end: target.end, text: alias });
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  // the bundle's function, or with `globalScope` the program's top (a board's firmware at the interpreter's global
  // scope: the release build renames these vars too, so `undefined` is never declared as a global)
  const top = code.startsWith(BANNER) ? BANNER.length : opts.globalScope ? 0 : -1;
  if (top >= 0) {
    let decl = declared["undefined"] ? "" : "var undefined;";
    for (const fn of Object.keys(natives)) {
      const uses = natives[fn];
      const obj = fn.split("_")[0];
      if (uses.length < 3 || declared[obj]) continue;
      decl += `var ${NATIVE}${fn} = ${obj}.${fn.split("_")[1]};`;
      for (const u of uses) edits.push({ pos: u.getStart(sf), end: u.end, text: NATIVE + fn });
    }
    if (decl) edits.push({ pos: top, end: top, text: decl });
  }

  // Applied from the end so that earlier positions stay valid; an insertion and a replacement never overlap.
  edits.sort((a, b) => b.pos - a.pos || b.end - a.end);
  let out = code;
  for (const e of edits) out = out.slice(0, e.pos) + e.text + out.slice(e.end);
  return out;
}

/**
 * After terser: a `var` without values that comes after other statements of its function (terser leaves
 * `return ...(i = x)...; var i` when it inlines a function with arguments) moves to the top of that function.
 * JavaScript hoists it, the interpreter does not (check-bundle.ts); at the top it means the same everywhere.
 */
export function hoistLateVars(code: string): string {
  const sf = ts.createSourceFile("release.js", code, ts.ScriptTarget.ES5, true, ts.ScriptKind.JS);
  const edits: Edit[] = [];
  const visit = (node: ts.Node): void => {
    if (isFunctionWithBody(node)) {
      const stmts = node.body!.statements;
      let sawOther = false;
      const late: string[] = [];
      for (const s of stmts) {
        const bare = ts.isVariableStatement(s) && s.declarationList.declarations.every((d) => !d.initializer && ts.isIdentifier(d.name));
        if (bare && sawOther) {
          for (const d of s.declarationList.declarations) late.push((d.name as ts.Identifier).text);
          edits.push({ pos: s.getStart(sf), end: s.end, text: "" });
        } else if (!bare) sawOther = true;
      }
      if (late.length) edits.push({ pos: bodyStart(node.body!), end: bodyStart(node.body!), text: `var ${late.join(",")};` });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  edits.sort((a, b) => b.pos - a.pos || b.end - a.end);
  let out = code;
  for (const e of edits) out = out.slice(0, e.pos) + e.text + out.slice(e.end);
  return out;
}
