import { SelfTestCheck } from "./self-test";

// Checks of language features the compiled bundle relies on: if the toolchain ever emits code the interpreter
// runs differently (shared/docs/espruino.md "Traps"), these fail on the target. Everything here is made only when
// the self-test runs: a controller in service keeps none of it in its variables.

function classCheck(): boolean {
  class Counter {
    n: number;
    constructor(start: number) {
      this.n = start;
    }
    add(k: number): number {
      this.n += k;
      return this.n;
    }
  }
  return new Counter(40).add(2) === 42;
}

function closuresInLoop(): boolean {
  // espruino.md: `let` in a for loop has no per-iteration binding; the ES5 output must capture each value.
  const fns: (() => number)[] = [];
  for (let i = 0; i < 3; i++) fns.push(() => i);
  return fns[0]() === 0 && fns[2]() === 2;
}

export function coreChecks(): SelfTestCheck[] {
  return [
    { name: "crc32", run: () => E.CRC32("123456789") === 0xcbf43926 },
    { name: "class", run: classCheck },
    { name: "closures", run: closuresInLoop },
    {
      name: "typedarray",
      run: () => {
        const a = new Uint8Array([1, 2, 3, 250]);
        const v = new DataView(a.buffer);
        return v.getUint16(2, true) === (250 << 8 | 3) && a.subarray(1, 3).length === 2;
      },
    },
    {
      name: "json",
      run: () => {
        const o = JSON.parse(JSON.stringify({ a: [1, 2, { b: "c" }] }));
        return o.a[2].b === "c" && o.a.length === 3;
      },
    },
  ];
}
