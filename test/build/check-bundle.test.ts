import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkBundle } from "../../cli/build/check-bundle";
import { firmwareOutDir } from "../../contracts/paths";
import { boards } from "../../firmware/boards/index";

const messages = (code: string) => checkBundle(code, "x.js").map((p) => `${p.line}:${p.column} ${p.message}`);

describe("bundle check: what the interpreter cannot run is refused, with its place", () => {
  it.each([
    ["let x = 1;", "not ES5"],
    ["var f = (a) => a;", "not ES5"],
    ["var a = [...b];", "not ES5"],
    ["var o = {[k]: 1};", "not ES5"],
    ["var s = `t`;", "not ES5"],
    ["class A {}", "not ES5"],
    ["var m = new Map();", "Map"],
    ["var s = new Set();", "Set"],
    ["var y = Symbol('a');", "Symbol"],
    ["var r = Reflect.ownKeys({});", "Reflect"],
    ["var a = Array.from(b);", "Array.from"],
    ["var f = Object.freeze({});", "Object.freeze"],
    ["var t = Math.trunc(1.5);", "Math.trunc"],
    ["var i = Number.isInteger(1);", "Number.isInteger"],
    ["var p = Promise.race([]);", "Promise.race"],
    ["var s = Array.prototype.slice.call(arguments);", "Array.prototype"],
    ["var o = Object.create(p, {a: {value: 1}});", "Object.create with a second argument"],
    ["var a = [2, 4, , 5];", "array literal with a hole"],
    ["outer: for (;;) { break outer; }", "labelled statement"],
    ["var __extends = 1; __extends(a, b);", "compiler helper __extends"],
    ["var x = __assign({}, y);", "compiler helper __assign"],
    ["f(); function f() {}", "declared after other statements"],
    ["function g() { x = 1; var x; }", "used before its var declaration"],
  ])("%s -> %s", (code, expected) => {
    const found = messages(code);
    expect(found.join("\n")).toContain(expected);
  });

  it("names the line and column", () => {
    const [p] = checkBundle("var a = 1;\nvar m = new Map();\n", "file.js");
    expect(p).toMatchObject({ file: "file.js", line: 2, column: 13 });
  });

  it("accepts ES5 that hoists by hand and uses what the interpreter has", () => {
    const code = [
      "function f() { return [1, 2].map(function (x) { return x * 2; }); }",
      "function g() { var y; y = 1; return function () { return y + z; }; var z; }",
      "var a, b = new Uint8Array(4);",
      "a = f(); b.set([1]);",
      "var m = { Map: 1 }; m.Map = 2; var o = Object.create(null);",
    ].join("\n");
    expect(messages(code)).toEqual([]);
  });
});

describe("the built firmware", () => {
  for (const b of boards) {
    it(`${b.id}: minified and debug files pass the check`, () => {
      for (const name of [`${b.id}.js`, `${b.id}.debug.js`]) {
        const code = readFileSync(join(firmwareOutDir, name), "utf8");
        expect(code.length).toBeGreaterThan(500);
        expect(checkBundle(code, name)).toEqual([]);
      }
    });
  }

  it("each board's file carries its own board data (what the firmware reads of it), and no other board's", () => {
    for (const b of boards) {
      // lines are cut at 250 characters wherever terser may: the board literal may span two
      const code = readFileSync(join(firmwareOutDir, `${b.id}.js`), "utf8").replace(/\n/g, "");
      expect(code).toContain(`id:"${b.id}"`);
      if (b.modbus) expect(code).toContain(`serial:"${b.modbus.serial}",tx:"${b.modbus.tx}",rx:"${b.modbus.rx}",baud:${b.modbus.baud}`);
      for (const other of boards.filter((o) => o.id !== b.id)) expect(code).not.toContain(`id:"${other.id}"`);
      // names and sizes serve the tools: not in the program
      expect(code).not.toContain(`"${b.espruinoBoard}"`);
    }
  });
});
