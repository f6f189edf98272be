// A self-test of the firmware's pure parts, run on the target itself (the Linux build in CI, a board from the
// console). Each check compares against a published reference value, so a miscompiled bundle fails here.

export interface SelfTestCheck {
  name: string;
  run: () => boolean;
}

export interface SelfTestResult {
  passed: number;
  failed: string[];
}

export function runSelfTest(checks: SelfTestCheck[], log: (line: string) => void): SelfTestResult {
  const failed: string[] = [];
  let passed = 0;
  for (let i = 0; i < checks.length; i++) {
    let ok = false;
    try {
      ok = checks[i].run();
    } catch (e) {
      log("SELFTEST " + checks[i].name + " threw " + e);
    }
    if (ok) passed++;
    else failed.push(checks[i].name);
  }
  log("SELFTEST " + (failed.length === 0 ? "OK" : "FAIL " + failed.join(",")) + " passed=" + passed + " failed=" + failed.length);
  return { passed: passed, failed: failed };
}
