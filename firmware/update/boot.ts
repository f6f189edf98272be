// The boot loader, stored as .bootcde on an updatable node (docs/updates.md): picks the image slot to run and
// evaluates it at the interpreter's global scope, as if it were .bootcde itself (its functions stay in flash, as a
// program booted from Storage keeps them: measured on the interpreter, docs/updates.md "What it costs"). The choice
// is made inside a function whose scope is gone once it returns, so a node that is not on trial keeps nothing of it.
// A new image on trial (files.ts mg.try) gets a mark per boot and a time limit; the image calls MG_OK once it has
// reached its broker and published its birth (node-app.ts). Too many boots, the time limit, or a missing image:
// the previous image runs again and mg.why says why.
// The file names and limits are written out here rather than imported from files.ts: an import would become global
// vars that the node kept for as long as it runs (test/update/update-node.test.ts holds the two to agree).

eval(require("Storage").read("mg.fw" + (function (): string {
  const s = require("Storage");
  const c = s.read("mg.cur") === "1" ? "1" : "0";
  const t = s.read("mg.try");
  if (t === undefined) return c;
  const slot = t.charAt(0);
  // proved on an earlier boot and cut before the switch was finished: finish it
  if (t.charAt(15) === "k") {
    s.write("mg.cur", slot);
    s.erase("mg.try");
    s.erase("mg.why");
    return slot;
  }
  // the first boot mark not yet written: 1 on the trial's first boot
  const n = t.indexOf("\xff");
  if (n < 1 || n > 3 || (slot !== "0" && slot !== "1") || s.read("mg.fw" + slot) === undefined) {
    s.write("mg.why", n > 3 ? "restarts" : "no image");
    s.erase("mg.try");
    return c;
  }
  s.write("mg.try", "b", n);
  // an image that hangs before its own watchdog is set restarts all the same (and uses up a boot of its trial)
  E.enableWatchdog(60, false);
  const limit = setTimeout(function () {
    s.write("mg.why", "timeout");
    s.erase("mg.try");
    E.reboot();
  }, 300000);
  global.MG_OK = function () {
    clearTimeout(limit);
    s.write("mg.try", "k", 15);
    s.write("mg.cur", slot);
    s.erase("mg.try");
    s.erase("mg.why");
    global.MG_OK = undefined;
  };
  return slot;
})()) as string);
