import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { aliasThisAndPrototype, hoistLateVars } from "../../cli/build/alias-this";
import { checkBundle } from "../../cli/build/check-bundle";
import { minifyForEspruino } from "../../cli/build/compile-firmware";

// TypeScript's ES5 output for a small class, with a nested function that has its own `this`.
const CLASS = `
var Counter = (function () {
  function Counter(n) { this.n = n; this.k = 0; this.log = []; }
  Counter.prototype.add = function (d) {
    var _this = this;
    this.n += d; this.k++;
    this.log.push(function () { return this === undefined ? _this.n : -1; }.call(undefined));
    return this.n;
  };
  Counter.prototype.twice = function () { return this.add(1) + this.add(1) + this.k; };
  Counter.prototype.get = function () { return this.n; };
  return Counter;
}());
var c = new Counter(40);
result = [c.twice(), c.get(), c.log.join(","), Object.keys(Counter.prototype).join(",")];
`;

function run(code: string): unknown {
  const ctx: { result: unknown } = { result: null };
  runInNewContext('"use strict";' + code, ctx);
  return ctx.result;
}

describe("this and prototype aliases in the bundled code", () => {
  it("keeps behaviour: same results, same prototype members", () => {
    expect(run(aliasThisAndPrototype(CLASS))).toEqual(run(CLASS));
    expect(run(CLASS)).toEqual([85, 42, "41,42", "add,twice,get"]);
  });

  it("replaces a function's own this (3+ uses) and the repeated X.prototype, not a nested function's this", () => {
    const out = aliasThisAndPrototype(CLASS);
    expect(out).toContain("var $proto_Counter = Counter.prototype;");
    expect(out).toContain("$proto_Counter.add = function");
    expect(out).not.toContain("Counter.prototype.add");
    expect(out).toContain("this === undefined"); // the nested function's own this
    expect(out).toContain("$this_.n += d");
    // get() uses this once: nothing gained by an alias
    expect(out).toMatch(/\$proto_Counter\.get = function \(\) \{ return this\.n; \}/);
  });

  it("leaves code without classes or repeated this as it is", () => {
    const code = "function f(a) { return this.x + a; }\nvar o = { x: 1, f: f };\n";
    expect(aliasThisAndPrototype(code)).toBe(code);
  });

  it("survives minification: the release form runs the same", async () => {
    const release = (await minifyForEspruino(CLASS)).release;
    expect(release).not.toContain("prototype.add");
    expect(run(release)).toEqual(run(CLASS));
  });
});

describe("vars terser leaves after their use", () => {
  const late = "function f(t){return (i=t)>=0&&i<=65535;var i}\nvar g=function(a){var b;b=a+1;return b*k;var k,m}(2);result=[f(3),f(-1),g];";

  it("move to the top of their function, which the bundle check then accepts", () => {
    expect(checkBundle(late, "x.js").map((p) => p.message).join("\n")).toContain("used before its var declaration");
    const out = hoistLateVars(late);
    expect(out).toContain("function f(t){var i;return (i=t)>=0&&i<=65535;}");
    expect(checkBundle(out, "x.js")).toEqual([]);
    expect(run(out)).toEqual(run(late));
  });

  it("leave vars that are already first, or that have values, where they are", () => {
    const code = "function f(a){var b;var c=a;b=c;return b}\nresult=f(1);";
    expect(hoistLateVars(code)).toBe(code);
  });
});
