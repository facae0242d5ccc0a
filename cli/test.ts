/**
 * `planck test [DIR]`: type-checks and tests a project written by `planck new` with the Deno that
 * runs `planck` (the pinned one), so a newcomer needs no `deno` on PATH: `deno task check`, then
 * `deno task test`, in DIR. Exit code: 0 when both pass, else the failing step's.
 */
import * as path from "node:path";
import { EXIT, parseArgs, UsageError } from "./args.ts";

export const TEST_USAGE = `planck test [DIR]

  Runs the "check" and "test" tasks of DIR/deno.json (default ".") with Planck's own Deno:
  the type check of the service, then its tests (a real Planck in-process, see planck/testing.ts).`;

/** Runs `planck test`. */
export async function runTest(args: string[]): Promise<number> {
  const parsed = parseArgs(args, {});
  if (parsed.positionals.length > 1) throw new UsageError(`unexpected argument "${parsed.positionals[1]}"`);
  const dir = parsed.positionals[0] ?? ".";
  let tasks: Record<string, string>;
  try {
    tasks = JSON.parse(await Deno.readTextFile(path.join(dir, "deno.json"))).tasks ?? {};
  } catch {
    throw new UsageError(`no deno.json in "${dir}": run it in a project written by "planck new"`);
  }
  if (path.basename(Deno.execPath()).startsWith("planck")) {
    throw new UsageError("the compiled planck carries no Deno to run tests with: run `deno task test`");
  }
  for (const task of ["check", "test"]) {
    if (tasks[task] === undefined) continue;
    const status = await new Deno.Command(Deno.execPath(), { args: ["task", task], cwd: dir }).spawn().status;
    if (!status.success) return status.code === 0 ? EXIT.failed : status.code;
  }
  return EXIT.ok;
}
