/**
 * Every `planck` subcommand, as a table. Thin: each command lives in cli/ and calls into engine/,
 * host/ and client/.
 * Exit codes (docs/errors.md): 0 success, 1 the operation failed, 2 usage or config error, 3 the
 * server could not be reached, 4 authentication or authorization refused.
 */
import { EXIT } from "./cli/args.ts";
import { BACKUP_USAGE, RESTORE_USAGE, runBackup, runRestore, runVerify, VERIFY_USAGE } from "./cli/backup.ts";
import { BUILD_USAGE, runBuild } from "./cli/build.ts";
import {
  DEPLOY_USAGE,
  runDeploy,
  runServices,
  runUndeploy,
  SERVICES_USAGE,
  UNDEPLOY_USAGE,
} from "./cli/deploy.ts";
import { DATA_DIR_DEFAULT } from "./cli/defaults.ts";
import { DEV_USAGE, runDev } from "./cli/dev.ts";
import { EXPORT_USAGE, runExport } from "./cli/export.ts";
import { IMPORT_USAGE, runImport } from "./cli/import.ts";
import { NEW_USAGE, runNew } from "./cli/new.ts";
import { PQL_USAGE, runPql } from "./cli/pql.ts";
import { runSchedule, SCHEDULE_USAGE } from "./cli/schedule.ts";
import { PROMOTE_USAGE, runPromote } from "./cli/promote.ts";
import { runStart, START_USAGE } from "./cli/start.ts";
import { runStatus, runStop, STATUS_USAGE, STOP_USAGE } from "./cli/status.ts";
import { runTest, TEST_USAGE } from "./cli/test.ts";
import { PROFILE_USAGE, runProfile, runRemote } from "./cli/remote.ts";
import { reportError } from "./cli/target.ts";
import { runUsers, USERS_USAGE } from "./cli/users.ts";

export { DATA_DIR_DEFAULT, EXIT };

const LOGS_USAGE = `planck logs --remote URL [--profile NAME | --user U --key K] [--service NAME]
                   [--level debug|info|warn|error] [--q TEXT] [--limit N]

  Prints the server's log (or one service's) as JSON lines, oldest first, via the workbench API.`;

/** Commands that also run against a workbench with --remote URL (cli/remote.ts). */
const REMOTE_COMMANDS = new Set(["deploy", "undeploy", "services", "status"]);

/** Appended to the usage of the commands of REMOTE_COMMANDS. */
const REMOTE_USAGE = `

  --remote URL [--profile NAME | --user U --key K]: through the workbench's HTTP API at URL instead
  (credentials from ~/.config/planck/profiles, mode 0600, see "planck profile").`;

interface Command {
  summary: string;
  usage: string;
  run(args: string[]): Promise<number>;
}

const COMMANDS: Record<string, Command> = {
  start: { summary: "Start Planck on a data directory", usage: START_USAGE, run: runStart },
  new: { summary: "Write a new project (monolith, scs or api style)", usage: NEW_USAGE, run: runNew },
  pql: { summary: "Run PQL statements (argument, REPL or stdin)", usage: PQL_USAGE, run: runPql },
  status: { summary: "Print a running server's stats", usage: STATUS_USAGE, run: runStatus },
  stop: { summary: "Stop a running server gracefully", usage: STOP_USAGE, run: runStop },
  users: { summary: "Manage users: add, list, drop, role, rotate", usage: USERS_USAGE, run: runUsers },
  build: { summary: "Bundle a TypeScript service into one .wasm", usage: BUILD_USAGE, run: runBuild },
  dev: { summary: "Build, deploy and redeploy a service on every save", usage: DEV_USAGE, run: runDev },
  test: { summary: "Type-check and test a project of planck new", usage: TEST_USAGE, run: runTest },
  deploy: { summary: "Deploy a service .wasm to a running server", usage: DEPLOY_USAGE, run: runDeploy },
  undeploy: { summary: "Remove a deployed service", usage: UNDEPLOY_USAGE, run: runUndeploy },
  services: { summary: "List deployed services", usage: SERVICES_USAGE, run: runServices },
  logs: {
    summary: "Read a server's log (--remote URL)",
    usage: LOGS_USAGE,
    run: (args) => runRemote("logs", args),
  },
  profile: { summary: "Save credentials for --remote", usage: PROFILE_USAGE, run: runProfile },
  export: { summary: "Export a store as JSON lines", usage: EXPORT_USAGE, run: runExport },
  import: { summary: "Import JSON lines into a store", usage: IMPORT_USAGE, run: runImport },
  backup: { summary: "Back up a data directory, online or stopped", usage: BACKUP_USAGE, run: runBackup },
  verify: { summary: "Check a backup's checksums and open it", usage: VERIFY_USAGE, run: runVerify },
  restore: { summary: "Rebuild a data directory from a backup", usage: RESTORE_USAGE, run: runRestore },
  schedule: {
    summary: "Scheduled tasks: add, list, run, enable, disable, rm, history",
    usage: SCHEDULE_USAGE,
    run: runSchedule,
  },
  promote: { summary: "Turn a running replica into a primary", usage: PROMOTE_USAGE, run: runPromote },
};

/** The usage text of command `name` as `--help` prints it, or undefined for no such command. */
export function usageOf(name: string): string | undefined {
  if (!Object.hasOwn(COMMANDS, name)) return undefined;
  return COMMANDS[name].usage + (REMOTE_COMMANDS.has(name) ? REMOTE_USAGE : "");
}

function help(): string {
  const lines = ["Usage: planck <command> [options]", "", "Commands:"];
  for (const [name, command] of Object.entries(COMMANDS)) {
    lines.push(`  ${name.padEnd(10)} ${command.summary}`);
  }
  lines.push("", 'Run "planck <command> --help" for a command\'s options.');
  return lines.join("\n");
}

/** Runs the command line; returns the exit code. */
export async function runCli(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    console.log(help());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (command === undefined) {
    console.error(`planck: unknown command "${name}"\n\n${help()}`);
    return EXIT.usage;
  }
  if (args.includes("--help") || args.includes("-h")) {
    console.log(
      `${command.summary}\n\nUsage: ${command.usage}${REMOTE_COMMANDS.has(name) ? REMOTE_USAGE : ""}`,
    );
    return EXIT.ok;
  }
  const remote = REMOTE_COMMANDS.has(name) && args.some((a) => a === "--remote" || a.startsWith("--remote="));
  try {
    return remote ? await runRemote(name, args) : await command.run(args);
  } catch (error) {
    return reportError(error);
  }
}
