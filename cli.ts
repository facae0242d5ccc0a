/**
 * Every `planck` subcommand, as a table. Thin: each command calls into engine/, host/, workbench/.
 * Exit codes: 0 success, 1 runtime error, 2 usage error.
 */
import { openDatabase, PlanckError } from "./engine/mod.ts";

/** Default data directory when --data is not given. */
export const DATA_DIR_DEFAULT = "data";

interface Command {
  summary: string;
  usage: string;
  run(args: string[]): Promise<number>;
}

const COMMANDS: Record<string, Command> = {
  start: {
    summary: "Start Planck on a data directory",
    usage: "planck start [--data DIR]",
    async run(args) {
      const dir = flag(args, "--data") ?? DATA_DIR_DEFAULT;
      const db = await openDatabase(dir);
      const r = db.recovery;
      console.log(
        `planck: data directory "${dir}" open (recovered ${r.groups} groups up to LSN ${r.lastLsn} in ${
          r.durationMs.toFixed(1)
        } ms)`,
      );
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        Deno.addSignalListener("SIGINT", stop);
        Deno.addSignalListener("SIGTERM", stop);
      });
      await db.close();
      console.log("planck: stopped");
      return 0;
    },
  },
};

function flag(args: string[], name: string): string | undefined {
  const at = args.indexOf(name);
  if (at >= 0) return args[at + 1];
  const inline = args.find((a) => a.startsWith(name + "="));
  return inline?.slice(name.length + 1);
}

function help(): string {
  const lines = ["Usage: planck <command> [options]", "", "Commands:"];
  for (const [name, command] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(10)} ${command.summary}`);
  return lines.join("\n");
}

/** Runs the command line; returns the exit code. */
export async function runCli(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    console.log(help());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    console.error(`planck: unknown command "${name}"\n\n${help()}`);
    return 2;
  }
  if (args.includes("--help") || args.includes("-h")) {
    console.log(`${command.summary}\n\nUsage: ${command.usage}`);
    return 0;
  }
  try {
    return await command.run(args);
  } catch (error) {
    if (error instanceof PlanckError) {
      console.error(`planck: ${error.message} (${error.code})`);
      return 1;
    }
    throw error;
  }
}
