// Class methods no code of the board's bundle can call, removed before terser (which keeps every
// `X.prototype.m = function ...` it sees, since assigning to a property is a side effect it cannot rule out).
// A driver's class carries its whole API (a Modbus master's writeSingle, a CT port's measure) while a board uses part
// of it. A method is dead when its name appears nowhere else in the bundle: not as a property (x.m, x["m"]), not in
// a string literal, not as an object key. That is conservative: one use of the name anywhere, by any class or
// object, keeps every method of that name. Removing one method can leave others unused: repeated until none is.
import ts from "typescript";

function prototypeMethod(s: ts.Statement): ts.PropertyAccessExpression | undefined {
  if (!ts.isExpressionStatement(s)) return undefined;
  const e = s.expression;
  if (!ts.isBinaryExpression(e) || e.operatorToken.kind !== ts.SyntaxKind.EqualsToken || !ts.isFunctionExpression(e.right)) return undefined;
  const left = e.left;
  if (!ts.isPropertyAccessExpression(left)) return undefined;
  const proto = left.expression;
  if (!ts.isPropertyAccessExpression(proto) || proto.name.text !== "prototype" || !ts.isIdentifier(proto.expression)) return undefined;
  return left;
}

function removeOnce(code: string): { code: string; removed: string[] } {
  const sf = ts.createSourceFile("bundle.js", code, ts.ScriptTarget.ES5, true, ts.ScriptKind.JS);
  const methods: { stmt: ts.Statement; target: ts.PropertyAccessExpression; name: string }[] = [];
  const uses: { [name: string]: number } = {};
  const count = (n: string): void => {
    uses[n] = (uses[n] || 0) + 1;
  };
  const visit = (node: ts.Node): void => {
    if (ts.isBlock(node) || ts.isSourceFile(node)) {
      for (const s of node.statements) {
        const t = prototypeMethod(s);
        if (t) methods.push({ stmt: s, target: t, name: t.name.text });
      }
    }
    if (ts.isPropertyAccessExpression(node)) count(node.name.text);
    else if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) count(node.text);
    else if ((ts.isPropertyAssignment(node) || ts.isShorthandPropertyAssignment(node) || ts.isMethodDeclaration(node)) && ts.isIdentifier(node.name)) count(node.name.text);
    ts.forEachChild(node, visit);
  };
  visit(sf);
  // Each method's own definition counts once (x.prototype.m): dead when that is its only appearance.
  const dead = methods.filter((m) => uses[m.name] === 1);
  let out = code;
  for (const m of dead.sort((a, b) => b.stmt.getStart(sf) - a.stmt.getStart(sf))) {
    out = out.slice(0, m.stmt.getStart(sf)) + out.slice(m.stmt.end);
  }
  return { code: out, removed: dead.map((m) => (m.target.expression as ts.PropertyAccessExpression).expression.getText(sf) + "." + m.name) };
}

/** The bundle without the methods nothing can call, and their names (Class.method) for the build's report. */
export function removeDeadMethods(code: string): { code: string; removed: string[] } {
  const removed: string[] = [];
  for (;;) {
    const r = removeOnce(code);
    if (r.removed.length === 0) return { code, removed };
    removed.push(...r.removed);
    code = r.code;
  }
}
