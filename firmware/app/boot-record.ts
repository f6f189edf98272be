// Boot counter and reset reason, kept in Storage: the boot counter is part of every batch key (boot, seq), so it
// is written before anything is sent.

export interface BootStore {
  readJSON(name: string, noExceptions?: boolean): any;
  writeJSON(name: string, data: any): boolean;
  erase(name: string): void;
}

const bootFile = "mg.boot";
const reasonFile = "mg.rr";

export function nextBoot(st: BootStore): { boot: number; rr: string } {
  const rec = st.readJSON(bootFile, true);
  const boot = (rec && rec.n > 0 ? rec.n : 0) + 1;
  st.writeJSON(bootFile, { n: boot });
  const why = st.readJSON(reasonFile, true);
  if (why) st.erase(reasonFile);
  // Without a note written before an intended restart, the board lost power, crashed or was reset by the watchdog.
  return { boot: boot, rr: why && why.r ? why.r : boot === 1 ? "first" : "power-or-watchdog" };
}

/** Note why the next boot happens (a command, a new configuration), just before E.reboot(). */
export function noteRebootReason(st: BootStore, reason: string): void {
  st.writeJSON(reasonFile, { r: reason });
}
