/**
 * Command-line parsing shared by every subcommand: `--name value`, `--name=value`, boolean
 * switches, positionals, `--` ends flags; plus the exit codes scripts can rely on.
 *
 * Invariants: an unknown flag or a flag without its value is a UsageError (exit code 2), never
 * silently ignored.
 */

/** Exit codes of every `planck` command (docs/errors.md). */
export const EXIT = {
  /** Success. */
  ok: 0,
  /** The operation ran and failed (an error from the server or the engine). */
  failed: 1,
  /** Bad command line or config. */
  usage: 2,
  /** The server could not be reached (or timed out). */
  unavailable: 3,
  /** Authentication or authorization failed (unauthorized, forbidden, locked). */
  denied: 4,
} as const;

/** A bad command line. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** Parsed arguments. */
export interface ParsedArgs {
  flags: Map<string, string>;
  switches: Set<string>;
  positionals: string[];
}

/** What a command accepts: flags that take a value and switches that do not. */
export interface ArgSpec {
  flags?: readonly string[];
  switches?: readonly string[];
}

/** Parses `args` against `spec`. @throws UsageError */
export function parseArgs(args: readonly string[], spec: ArgSpec): ParsedArgs {
  const parsed: ParsedArgs = { flags: new Map(), switches: new Set(), positionals: [] };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") {
      parsed.positionals.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith("--") || arg === "-") {
      parsed.positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = eq < 0 ? arg : arg.slice(0, eq);
    if (spec.switches?.includes(name)) {
      if (eq >= 0) throw new UsageError(`${name} takes no value`);
      parsed.switches.add(name);
    } else if (spec.flags?.includes(name)) {
      const value = eq >= 0 ? arg.slice(eq + 1) : args[++i];
      if (value === undefined) throw new UsageError(`${name} needs a value`);
      parsed.flags.set(name, value);
    } else {
      throw new UsageError(`unknown option "${name}"`);
    }
  }
  return parsed;
}
