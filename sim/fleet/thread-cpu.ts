// CPU time of the calling thread (the main thread or a worker thread), for the simulator's benchmarks: how much of a
// fleet's replay the simulated boards themselves cost, apart from the gateway and from V8's helper threads.
// Linux's /proc/thread-self/schedstat gives the thread's time on a CPU and its time waiting for one, in ns
// (Documentation/scheduler/sched-stats.rst, "/proc/<pid>/schedstat"); other systems give undefined.
import { readFileSync } from "node:fs";

export interface ThreadCpu {
  /** Seconds this thread ran on a CPU. */
  cpu_s: number;
  /** Seconds it was ready to run but waited for a CPU (the machine's cores were busy). */
  waiting_s: number;
}

export function threadCpu(): ThreadCpu | undefined {
  try {
    const [onCpu, waiting] = readFileSync("/proc/thread-self/schedstat", "utf8").trim().split(" ").map(Number);
    if (!Number.isFinite(onCpu) || !Number.isFinite(waiting)) return undefined;
    return { cpu_s: onCpu / 1e9, waiting_s: waiting / 1e9 };
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds of a whole process (all its threads, those ended included), from /proc/<pid>/stat; undefined elsewhere.
 * Its times are in clock ticks of sysconf(_SC_CLK_TCK), which Node cannot ask for: 100 a second on Linux's usual
 * builds (`getconf CLK_TCK`).
 */
export function processCpuSeconds(pid: number, ticksPerSecond = 100): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // fields after the command's closing parenthesis: utime and stime are the 14th and 15th of the line (proc(5))
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) / ticksPerSecond;
  } catch {
    return undefined;
  }
}
