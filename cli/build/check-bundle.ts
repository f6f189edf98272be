// Static check of a built firmware file against what the Espruino interpreter accepts (docs/espruino.md,
// "Syntax and built-ins" and "Traps"). Every problem names its place.
import * as acorn from "acorn";
import * as walk from "acorn-walk";

export interface BundleProblem {
  file: string;
  line: number;
  column: number;
  message: string;
}

const missingGlobals: Record<string, string> = {
  Map: "no Map on the interpreter",
  Set: "no Set on the interpreter",
  WeakMap: "no WeakMap on the interpreter",
  WeakSet: "no WeakSet on the interpreter",
  Symbol: "no Symbol on the interpreter",
  Proxy: "no Proxy on the interpreter",
  Reflect: "no Reflect on the interpreter",
  TextEncoder: "no TextEncoder on the interpreter",
  TextDecoder: "no TextDecoder on the interpreter",
  Buffer: "Buffer is Node's, not the interpreter's",
  globalThis: "no globalThis on the interpreter",
  queueMicrotask: "no queueMicrotask on the interpreter",
};

const missingMembers: Record<string, string[]> = {
  Array: ["from", "of", "prototype"],
  Object: ["freeze", "getOwnPropertySymbols", "fromEntries"],
  Number: ["isInteger", "isFinite", "isSafeInteger", "EPSILON", "MAX_SAFE_INTEGER", "MIN_SAFE_INTEGER"],
  Math: ["trunc", "sign", "hypot", "log10", "log2", "cbrt", "expm1", "log1p", "fround", "clz32"],
  Promise: ["race", "allSettled", "any"],
};

/** Helpers TypeScript or esbuild emit that the interpreter cannot run (or that hide unsupported features). */
const compilerHelpers = new Set([
  "__extends", "__assign", "__rest", "__decorate", "__param", "__awaiter", "__generator", "__values", "__read",
  "__spread", "__spreadArray", "__spreadArrays", "__await", "__asyncGenerator", "__asyncValues", "__makeTemplateObject",
  "__importStar", "__importDefault", "__createBinding", "__exportStar", "__classPrivateFieldGet", "__classPrivateFieldSet",
  "__setFunctionName", "__defProp", "__defNormalProp", "__publicField", "__export", "__commonJS", "__esm", "__toESM",
  "__toCommonJS", "__async", "__spreadValues", "__spreadProps", "__objRest", "__require", "__name", "__pow",
]);

type Scope = { declared: Set<string>; body: acorn.Node };

export function checkBundle(code: string, file: string): BundleProblem[] {
  const problems: BundleProblem[] = [];
  const at = (node: acorn.Node, message: string) => {
    const loc = acorn.getLineInfo(code, node.start);
    problems.push({ file, line: loc.line, column: loc.column + 1, message });
  };
  let ast: acorn.Program;
  try {
    // ES5 grammar: any ES2015+ syntax left in the bundle is a parse error here.
    ast = acorn.parse(code, { ecmaVersion: 5, sourceType: "script", locations: true });
  } catch (e) {
    const err = e as SyntaxError & { loc?: { line: number; column: number } };
    return [{ file, line: err.loc?.line ?? 0, column: (err.loc?.column ?? 0) + 1, message: "not ES5: " + err.message }];
  }

  const declaredAnywhere = new Set<string>();
  walk.full(ast, (node: any) => {
    if (node.type === "VariableDeclarator" && node.id.type === "Identifier") declaredAnywhere.add(node.id.name);
    if ((node.type === "FunctionDeclaration" || node.type === "FunctionExpression") && node.id) declaredAnywhere.add(node.id.name);
    if (node.type === "FunctionDeclaration" || node.type === "FunctionExpression")
      for (const p of node.params) if (p.type === "Identifier") declaredAnywhere.add(p.name);
    if (node.type === "CatchClause" && node.param?.type === "Identifier") declaredAnywhere.add(node.param.name);
  });

  walk.ancestor(ast, {
    Identifier(node: any, _state: unknown, ancestors: any[]) {
      const parent = ancestors[ancestors.length - 2];
      if (parent?.type === "MemberExpression" && parent.property === node && !parent.computed) return;
      if (parent?.type === "Property" && parent.key === node) return;
      if (compilerHelpers.has(node.name)) at(node, `compiler helper ${node.name}: the interpreter cannot run it`);
      else if (missingGlobals[node.name] && !declaredAnywhere.has(node.name)) at(node, `${node.name}: ${missingGlobals[node.name]}`);
    },
    MemberExpression(node: any) {
      if (node.object.type !== "Identifier" || node.computed || declaredAnywhere.has(node.object.name)) return;
      const members = missingMembers[node.object.name];
      if (members && members.includes(node.property.name)) {
        const why = node.property.name === "prototype" ? "Array.prototype.* are undefined as properties on the interpreter" : "missing on the interpreter";
        at(node, `${node.object.name}.${node.property.name}: ${why}`);
      }
    },
    CallExpression(node: any) {
      const c = node.callee;
      if (c.type === "MemberExpression" && c.object.type === "Identifier" && c.object.name === "Object" &&
          c.property.name === "create" && node.arguments.length > 1)
        at(node, "Object.create with a second argument: the interpreter rejects it");
    },
    ArrayExpression(node: any) {
      if (node.elements.some((e: unknown) => e === null)) at(node, "array literal with a hole: a SyntaxError on the interpreter in a skipped switch case");
    },
    LabeledStatement(node: any) {
      at(node, "labelled statement: not supported by the interpreter");
    },
  });

  for (const scope of functionScopes(ast)) checkHoisting(scope, at);
  return problems;
}

function functionScopes(ast: acorn.Program): Scope[] {
  const scopes: Scope[] = [{ declared: new Set(), body: ast }];
  walk.full(ast, (node: any) => {
    if (node.type === "FunctionDeclaration" || node.type === "FunctionExpression") scopes.push({ declared: new Set(), body: node.body });
  });
  return scopes;
}

/**
 * The interpreter creates a function or var when execution reaches it. So within one body, (1) every function
 * declaration must come before any other statement but var declarations, and (2) no name declared by `var` in this
 * function may be referenced (outside nested functions) before its declaration.
 */
function checkHoisting(scope: Scope, at: (n: acorn.Node, m: string) => void): void {
  const statements: any[] = (scope.body as any).body;
  let sawOther = false;
  for (const s of statements) {
    if (s.type === "FunctionDeclaration") {
      if (sawOther) at(s, `function ${s.id.name} is declared after other statements: the interpreter does not hoist`);
    } else if (!(s.type === "VariableDeclaration" && s.declarations.every((d: any) => d.init === null)) &&
               !(s.type === "ExpressionStatement" && s.directive)) {
      sawOther = true;
    }
  }
  // var declarations of this function, in source order
  const varStart = new Map<string, number>();
  const visitOwn = (node: any, cb: (n: any) => void) => {
    walk.recursive(node, null, {
      Function() { /* nested function: its own scope */ },
      VariableDeclarator(n: any, st: unknown, c: any) { cb(n); if (n.init) c(n.init, st); },
      Identifier(n: any) { cb(n); },
      VariablePattern(n: any) { cb(n); },
    } as any);
  };
  for (const s of statements) visitOwn(s, (n) => {
    if (n.type === "VariableDeclarator" && n.id.type === "Identifier" && !varStart.has(n.id.name)) varStart.set(n.id.name, n.start);
  });
  for (const s of statements) visitOwn(s, (n) => {
    if (n.type !== "Identifier") return;
    const declaredAt = varStart.get(n.name);
    if (declaredAt !== undefined && n.start < declaredAt) at(n, `${n.name} is used before its var declaration: the interpreter does not hoist`);
  });
}
