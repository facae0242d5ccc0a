/**
 * What every benchmark entry reads from its command line and the machine: `--name=value` flags and
 * the load average (the machine is shared, so every table records it).
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
