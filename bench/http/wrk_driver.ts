/**
 * Runs Debian `wrk` (with load.lua) against one route of a running server and reports req/s,
 * latency percentiles, errors and the server's CPU time per request (from /proc/<pid>/stat,
 * utime + stime of all its threads, read before and after the run).
 *
 * Invariants: a run that prints no WRKJSON line rejects; loopback targets only.
 */
import type { Route } from "./routes.ts";

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on Linux). */
const CLOCK_TICKS_PER_S = 100;
/** wrk's per-request timeout: a slower answer counts as an error. */
const WRK_TIMEOUT_S = 5;
const LOAD_SCRIPT = new URL("./load.lua", import.meta.url).pathname;

/** One wrk run. */
export interface LoadOptions {
  baseUrl: string;
  route: Route;
  connections: number;
  seconds: number;
  /** File of existing keys, one a line (for `get-id`). */
  idsFile: string;
  /** The server's pid, whose CPU time is measured. */
  serverPid: number;
}

/** What one run measured. */
export interface LoadResult {
  connections: number;
  threads: number;
  seconds: number;
  requests: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** connect + read + write + timeout errors and non-2xx/3xx answers. */
  errors: number;
  /** Server CPU (user + system) per request, µs; null when /proc could not be read. */
  cpuUsPerRequest: number | null;
  /** Server CPU in cores over the run (1.0 = one core busy throughout). */
  serverCores: number | null;
  loadAverage: string;
}

/** utime + stime of a process (all threads), in seconds; null when it is gone. */
export function processCpuS(pid: number): number | null {
  return statCpuS(`/proc/${pid}/stat`);
}

/** CPU seconds of each thread of a process, by "tid name" (the main thread's tid is the pid). */
export function threadCpuS(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const entry of Deno.readDirSync(`/proc/${pid}/task`)) {
    const stat = `/proc/${pid}/task/${entry.name}/stat`;
    const cpu = statCpuS(stat);
    if (cpu === null) continue;
    const text = Deno.readTextFileSync(stat);
    out.set(`${entry.name} ${text.slice(text.indexOf("(") + 1, text.lastIndexOf(")"))}`, cpu);
  }
  return out;
}

function statCpuS(path: string): number | null {
  try {
    const stat = Deno.readTextFileSync(path);
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S;
  } catch {
    return null;
  }
}

function loadAverage(): string {
  try {
    return Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");
  } catch {
    return "?";
  }
}

async function succeeds(command: string, args: string[]): Promise<boolean> {
  try {
    return (await new Deno.Command(command, { args, stdout: "null", stderr: "null" }).output()).success;
  } catch {
    return false;
  }
}

/** Longest wait for a server to go idle after a warm-up. */
const SETTLE_MS_MAX = 15_000;
/** Polling interval while waiting for idle. */
const SETTLE_POLL_MS = 250;
/** A server using less than this share of one core over a poll interval counts as idle. */
const IDLE_CORES_MAX = 0.05;

/**
 * Waits until the server is idle (requests a closed warm-up left queued are done), so a measured
 * run does not start behind a backlog. @returns ms waited
 */
export async function settle(pid: number): Promise<number> {
  const started = performance.now();
  let last = processCpuS(pid);
  while (last !== null && performance.now() - started < SETTLE_MS_MAX) {
    await new Promise((resolve) => setTimeout(resolve, SETTLE_POLL_MS));
    const now = processCpuS(pid);
    if (now === null || (now - last) / (SETTLE_POLL_MS / 1000) < IDLE_CORES_MAX) break;
    last = now;
  }
  return performance.now() - started;
}

/** Finds wrk, installing it from Debian (`apt-get install -y wrk`) when missing; false if impossible. */
export async function ensureWrk(log: (line: string) => void): Promise<boolean> {
  if (await succeeds("sh", ["-c", "command -v wrk"])) return true;
  log("wrk not found: apt-get install -y wrk");
  if (await succeeds("apt-get", ["install", "-y", "wrk"])) return true;
  await succeeds("apt-get", ["update", "-qq"]);
  return await succeeds("apt-get", ["install", "-y", "wrk"]);
}

/** Runs wrk once. @throws Error when wrk fails or prints no result line */
export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const threads = Math.min(o.connections, 2);
  const args = [
    `-t${threads}`,
    `-c${o.connections}`,
    `-d${o.seconds}s`,
    "--timeout",
    `${WRK_TIMEOUT_S}s`,
    "-s",
    LOAD_SCRIPT,
    o.baseUrl,
    "--",
    o.route.kind,
    // load.lua formats its own request lines, so a base URL's path (a service prefix) goes here.
    new URL(o.baseUrl).pathname.replace(/\/$/, "") + o.route.path,
    o.idsFile,
  ];
  const loadAverageBefore = loadAverage();
  const cpuBefore = processCpuS(o.serverPid);
  const started = performance.now();
  const output = await new Deno.Command("wrk", { args, stdout: "piped", stderr: "piped" }).output();
  const wallS = (performance.now() - started) / 1000;
  const cpuAfter = processCpuS(o.serverPid);
  const stdout = new TextDecoder().decode(output.stdout);
  const line = stdout.split("\n").find((l) => l.startsWith("WRKJSON "));
  if (!output.success || line === undefined) {
    throw new Error(
      `wrk failed (exit ${output.code}): ${stdout}\n${new TextDecoder().decode(output.stderr)}`,
    );
  }
  const w = JSON.parse(line.slice("WRKJSON ".length));
  const durationS = w.duration_us / 1e6;
  const cpuS = cpuBefore !== null && cpuAfter !== null ? cpuAfter - cpuBefore : null;
  return {
    connections: o.connections,
    threads,
    seconds: durationS,
    requests: w.requests,
    rps: w.requests / durationS,
    p50Ms: w.p50 / 1000,
    p99Ms: w.p99 / 1000,
    maxMs: w.max / 1000,
    errors: w.connect + w.read + w.write + w.timeout + w.status,
    cpuUsPerRequest: cpuS === null || w.requests === 0 ? null : (cpuS / w.requests) * 1e6,
    serverCores: cpuS === null ? null : cpuS / wallS,
    loadAverage: loadAverageBefore,
  };
}
