import * as vm from "node:vm";

// What the Espruino interpreter lacks (docs/espruino.md "Missing"), removed from the vm context so that
// firmware using it fails in the simulator as it would on a board.
const missingGlobals = ["Map", "Set", "WeakMap", "WeakSet", "WeakRef", "FinalizationRegistry", "Symbol", "Proxy", "Reflect",
  "TextEncoder", "TextDecoder", "SharedArrayBuffer", "Atomics", "BigInt", "BigInt64Array", "BigUint64Array", "globalThis",
  "queueMicrotask", "structuredClone", "WebAssembly", "Intl", "AggregateError"];
const missingStatics: Record<string, string[]> = {
  Array: ["from", "of"],
  Object: ["freeze", "fromEntries", "getOwnPropertySymbols", "isFrozen", "seal", "preventExtensions"],
  Number: ["isInteger", "isFinite", "isSafeInteger", "EPSILON", "MAX_SAFE_INTEGER", "MIN_SAFE_INTEGER"],
  Math: ["trunc", "sign", "hypot", "log10", "log2", "cbrt", "expm1", "log1p", "fround", "clz32"],
  Promise: ["race", "allSettled", "any"],
};
const missingProtoMethods: Record<string, string[]> = {
  Array: ["keys", "entries", "values", "flat", "flatMap", "at", "findLast", "findLastIndex", "copyWithin"],
};

export function removeMissingBuiltins(ctx: vm.Context): void {
  const script = [
    ...Object.entries(missingStatics).flatMap(([obj, keys]) => keys.map((k) => `delete ${obj}.${k};`)),
    ...Object.entries(missingProtoMethods).flatMap(([obj, keys]) => keys.map((k) => `delete ${obj}.prototype.${k};`)),
    ...missingGlobals.map((g) => `delete this.${g};`),
  ].join("\n");
  vm.runInContext(script, ctx);
}

/**
 * Math.random in the context draws from the simulation's seeded generator: the firmware's reconnect backoff is
 * scaled by it, and with the host's generator two replays of one seed reconnected at different virtual instants.
 */
export function installSeededRandom(ctx: vm.Context, random: () => number): void {
  vm.runInContext("(function (r) { Math.random = function () { return r(); }; })", ctx)(random);
}

/** Date in the context follows the virtual clock (ms since 1970 as the firmware's getTime() sets it). */
export function installVirtualDate(ctx: vm.Context, nowMs: () => number): void {
  const make = vm.runInContext(
    `(function (now) {
      var RealDate = Date;
      function VDate(a, b, c, d, e, f, g) {
        var n = arguments.length;
        if (!(this instanceof VDate)) return new RealDate(now()).toString();
        var r = n === 0 ? new RealDate(now()) : n === 1 ? new RealDate(a) : new RealDate(a, b, c === undefined ? 1 : c, d || 0, e || 0, f || 0, g || 0);
        return r;
      }
      VDate.prototype = RealDate.prototype;
      VDate.now = function () { return now(); };
      VDate.UTC = RealDate.UTC;
      VDate.parse = RealDate.parse;
      Date = VDate;
    })`,
    ctx,
  );
  make(nowMs);
}
