/**
 * `planck status` prints a running server's stats as JSON (exit 3 when it cannot be reached);
 * `planck stop` asks it to shut down gracefully and waits until it has gone.
 */
import { parseConnectionString } from "../client/mod.ts";
import { lockDir } from "../engine/db/dir_lock.ts";
import { EXIT, parseArgs, UsageError } from "./args.ts";
import { DATA_DIR_DEFAULT } from "./defaults.ts";
import { jsonLine } from "./output.ts";
import { closeTarget, openTarget, TARGET_FLAGS } from "./target.ts";

export const STATUS_USAGE = `planck status [--connect STR | --data DIR] [--timeout MS]

  Prints the server's database and server counters as one JSON line. Exit code 0 when the
  server answered, 3 when it cannot be reached, 4 when the credentials are refused.`;

export const STOP_USAGE = `planck stop [--connect STR | --data DIR] [--timeout MS]

  Asks the server to stop (admin): it stops accepting, drains in-flight requests, syncs the WAL
  and exits. Waits until the server has gone (up to --timeout, default 30000 ms).`;

/** Time between probes while waiting for a stopped server to go away. */
const STOP_POLL_MS = 50;

/** Runs `planck status`. */
export async function runStatus(args: string[]): Promise<number> {
  const parsed = parseArgs(args, { flags: TARGET_FLAGS });
  if (parsed.positionals.length > 0) throw new UsageError(`unexpected argument "${parsed.positionals[0]}"`);
  const target = await openTarget(parsed, { local: false });
  try {
    if (target.kind !== "remote") throw new UsageError("status needs a running server");
    console.log(jsonLine(await target.client.stats()));
    return EXIT.ok;
  } finally {
    await closeTarget(target);
  }
}

/** Runs `planck stop`. */
export async function runStop(args: string[]): Promise<number> {
  const parsed = parseArgs(args, { flags: TARGET_FLAGS });
  if (parsed.positionals.length > 0) throw new UsageError(`unexpected argument "${parsed.positionals[0]}"`);
  const timeoutMs = Number(parsed.flags.get("--timeout") ?? 30_000);
  const target = await openTarget(parsed, { local: false });
  if (target.kind !== "remote") throw new UsageError("stop needs a running server");
  try {
    await target.client.shutdown();
  } finally {
    await closeTarget(target);
  }
  const { hostname, port } = parseConnectionString(target.connection);
  const fromDefault = !parsed.flags.has("--connect") && Deno.env.get("PLANCK_CONNECT") === undefined;
  const dataDir = parsed.flags.get("--data") ?? (fromDefault ? DATA_DIR_DEFAULT : undefined);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!(await accepting(hostname, port)) && released(dataDir)) {
      console.error("planck: stopped");
      return EXIT.ok;
    }
    await new Promise((resolve) => setTimeout(resolve, STOP_POLL_MS));
  }
  console.error(
    `planck: the server at ${hostname}:${port} is still accepting connections after ${timeoutMs} ms`,
  );
  return EXIT.unavailable;
}

async function accepting(hostname: string, port: number): Promise<boolean> {
  try {
    (await Deno.connect({ hostname, port })).close();
    return true;
  } catch {
    return false;
  }
}

/** True when no process holds the data directory (the server has closed its database). */
function released(dataDir: string | undefined): boolean {
  if (dataDir === undefined) return true;
  try {
    Deno.statSync(`${dataDir}/LOCK`);
  } catch {
    return true; // no lock file: nothing to wait for
  }
  try {
    lockDir(dataDir).release();
    return true;
  } catch {
    return false;
  }
}
