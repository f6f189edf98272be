import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { removeDeadMethods } from "../../cli/build/dead-methods";

const CODE = `
function build(a) { return [1, a]; }
var Port = (function () {
  function Port() { this.n = 0; }
  Port.prototype.read = function () { return this.n++; };
  Port.prototype.write = function (a) { return build(a); };
  Port.prototype.writeTwice = function (a) { return this.write(a).concat(this.write(a)); };
  Port.prototype.named = function () { return 7; };
  Port.prototype.keyed = function () { return 8; };
  return Port;
}());
var p = new Port();
var table = { keyed: 1 };
result = [p.read(), p.read(), p["named"](), table.keyed];
`;

function run(code: string): unknown {
  const ctx = { result: null as unknown };
  runInNewContext(code, ctx);
  return ctx.result;
}

describe("methods nothing in the bundle names are removed", () => {
  it("removes an unused method and, in turn, the method only it called", () => {
    const r = removeDeadMethods(CODE);
    expect(r.removed.sort()).toEqual(["Port.write", "Port.writeTwice"]);
    expect(r.code).not.toContain("prototype.write");
    expect(r.code).toContain("function build"); // the helper is terser's to drop
  });

  it("keeps methods named anywhere else (property, string, object key) and the behaviour", () => {
    const r = removeDeadMethods(CODE);
    for (const kept of ["prototype.read", "prototype.named", "prototype.keyed"]) expect(r.code).toContain(kept);
    expect(run(r.code)).toEqual(run(CODE));
    expect(run(CODE)).toEqual([0, 1, 7, 1]);
  });
});
