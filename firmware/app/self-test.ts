// A self-test run on the target itself (the Linux build in CI, a board from the console): the firmware's pure parts
// (which also use typed arrays) and the language features the compiled bundle relies on (docs/espruino.md "Traps"), each compared against a
// published or worked-out reference value, so a miscompiled bundle or an interpreter that differs fails here.
// Everything here is made only when the self-test runs: a controller in service keeps none of it in its variables.
import { createSampler } from "./sampler";

const checks = "crc32 sampler closures";

/** Runs every check, logs "SELFTEST OK|FAIL ... passed=N failed=M", returns the number failed. */
export function runSelfTest(log: (line: string) => void): number {
  const names = checks.split(" ");
  const failed: string[] = [];
  for (let i = 0; i < names.length; i++) {
    let ok = false;
    try {
      if (i === 0) ok = E.CRC32("123456789") === 0xcbf43926;
      else if (i === 1) {
        // 12.5 and 12.7 V: mean 12.6, max 12.7 at scale 3; 3600 W for one second is 1 Wh, 10 at scale 1
        const s = createSampler("1 x_V mean 3 3 x_V max 3 100 x_Wh counter 1", 10, {});
        s.add("x_V", 12.5, "o", 0);
        s.add("x_V", 12.7, "s", 1);
        s.add("x_W", 3600, "o", 0);
        s.add("x_W", 3600, "o", 1);
        const r = s.row();
        ok = r[0] + r[1] === "[12600,12700,10]sso";
      } else {
        // `let` in a for loop has no per-iteration binding on the interpreter: the ES5 output must capture each value
        const fns: (() => number)[] = [];
        for (let k = 0; k < 3; k++) fns.push(() => k);
        ok = fns[0]() === 0 && fns[2]() === 2;
      }
    } catch (e) {
      log("SELFTEST " + names[i] + " threw " + e);
    }
    if (!ok) failed.push(names[i]);
  }
  log("SELFTEST " + (failed.length ? "FAIL " + failed.join(",") : "OK") + " passed=" + (names.length - failed.length) + " failed=" + failed.length);
  return failed.length;
}
