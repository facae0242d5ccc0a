/**
 * `planck start`: loads the config (defaults, then --config FILE, then flags) and runs the server
 * until SIGINT, SIGTERM or the `shutdown` op.
 */
import { type ConfigOverride, loadConfig } from "../host/config.ts";
import { startServer } from "../host/server/server.ts";
import { createWorkbench } from "../workbench/mod.ts";
import { EXIT, parseArgs, UsageError } from "./args.ts";

/** Flag → config key. */
const OVERRIDES: Record<string, string> = {
  "--data": "data_dir",
  "--bind": "bind",
  "--wire-port": "ports.wire",
  "--http-port": "ports.http",
  "--workbench-port": "ports.workbench",
  "--durability": "durability",
  "--replica-of": "replication.replica_of",
};

export const START_USAGE =
  `planck start [--data DIR] [--config FILE] [--bind ADDR] [--wire-port N] [--http-port N]
                    [--workbench-port N] [--durability sync|interval:<ms>] [--salvage]
                    [--replica-of CONN]

  Runs Planck: the engine, the wire server (default 127.0.0.1:23469), and the app HTTP (3000)
  and workbench (2369) ports. Port 0 picks a free port; the chosen ports are printed. Flags win
  over the config file (docs/configuration.md). On first start the admin user is created and its
  connection string is printed once and saved to <data>/admin.credentials (mode 0600).
  SIGINT or SIGTERM stops gracefully: stop accepting, drain, sync the WAL, close.
  --salvage opens a data directory whose WAL is corrupt: replay stops at the damage, which is moved
  to <data>/wal/lost/ and reported (copy the directory first; see docs/storage-format.md).
  --replica-of CONN makes this server a read-only replica of the primary at CONN (a connection
  string of a user with the "replication" role): it streams the primary's WAL, serves reads and
  answers writes with not_leader. "planck promote" makes it a primary (docs/replication.md).`;

/** Runs `planck start`; resolves with the exit code once the server has stopped. */
export async function runStart(args: string[]): Promise<number> {
  const salvage = args.includes("--salvage");
  const parsed = parseArgs(args.filter((a) => a !== "--salvage"), {
    flags: ["--config", ...Object.keys(OVERRIDES)],
  });
  if (parsed.positionals.length > 0) throw new UsageError(`unexpected argument "${parsed.positionals[0]}"`);
  const overrides: ConfigOverride[] = [];
  for (const [flag, value] of parsed.flags) {
    if (flag in OVERRIDES) overrides.push({ key: OVERRIDES[flag], value, flag });
  }
  let config;
  try {
    config = await loadConfig({ file: parsed.flags.get("--config"), overrides });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const server = await startServer(config, { salvage, workbench: createWorkbench });
  await server.finished;
  return EXIT.ok;
}
