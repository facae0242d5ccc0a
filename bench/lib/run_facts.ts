/**
 * What every benchmark entry reads from its command line and the machine: `--name=value` flags, the
 * load average (the machine is shared, so every table records it), a process's CPU time, percentiles.
 */

/** The value of `--name=value` among the process arguments, or undefined. */
export function flag(name: string): string | undefined {
  const arg = Deno.args.find((a) => a.startsWith(`--${name}=`));
  return arg?.slice(name.length + 3);
}

/** The 1-, 5- and 15-minute load averages ("?" where /proc is unavailable). */
export function loadAverage(): string {
  try {
    return Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");
  } catch {
    return "?";
  }
}

/** CPU time (user + system) of process `pid` so far, in milliseconds (Linux /proc; NaN elsewhere). */
export function cpuMs(pid: number | "self"): number {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10; // utime, stime in ticks of 10 ms (USER_HZ 100)
  } catch {
    return NaN;
  }
}

/** The `p` quantile (0..1) of ascending `sorted`. */
export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}
