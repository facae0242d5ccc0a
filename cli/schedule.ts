/**
 * `planck schedule add|list|run|enable|disable|rm|history`: the scheduler's schedules and runs
 * (host/schedule/), over the wire's `schedule` op when a server runs (`--connect`, or `--data DIR`
 * a server holds), else on the stopped directory in-process (`run` then runs the task here).
 * Prints JSON on stdout.
 */
import type { PlanckClient } from "../client/mod.ts";
import { Scheduler } from "../host/schedule/scheduler.ts";
import { EXIT, parseArgs, UsageError } from "./args.ts";
import { isServed } from "./backup.ts";
import { DATA_DIR_DEFAULT } from "./defaults.ts";
import { closeTarget, openTarget, TARGET_FLAGS } from "./target.ts";

export const SCHEDULE_USAGE = `planck schedule ACTION [NAME] [options] [--connect STR | --data DIR]

  add NAME --task TASK --cron "PATTERN" [--timezone TZ] [--disabled] [--options JSON]
           [--retain N] [--keep-runs N] [--dir DIR] [--store STORE] [--path PATH] [--format jsonl|bson|csv]
      TASK: backup, gc, wal-truncate, stats-snapshot, export, import, restore-drill. PATTERN is
      cron (minute hour day month weekday, optional seconds first), read in UTC unless --timezone.
  list                       every schedule, its next time and whether it runs now
  run NAME                   run it now and print the run (refused while it runs)
  enable NAME | disable NAME
  rm NAME                    remove it (its history stays)
  history [NAME] [--limit N] runs, newest first: start, end, result, bytes, error
  Example:
    planck schedule add hourly-stats --task stats-snapshot --cron "0 * * * *"`;

const ACTIONS = ["add", "list", "run", "enable", "disable", "rm", "history"];
const OPTION_FLAGS = ["--retain", "--keep-runs", "--dir", "--store", "--path", "--format"] as const;

/** Runs `planck schedule`. */
export async function runSchedule(args: string[]): Promise<number> {
  const parsed = parseArgs(args, {
    flags: [...TARGET_FLAGS, "--task", "--cron", "--timezone", "--options", "--limit", ...OPTION_FLAGS],
    switches: ["--disabled"],
  });
  const [action, name, ...rest] = parsed.positionals;
  if (action === undefined || !ACTIONS.includes(action)) {
    throw new UsageError(`give an action: ${ACTIONS.join(", ")}`);
  }
  if (rest.length > 0) throw new UsageError(`unexpected "${rest[0]}"`);
  const needsName = !["list", "history"].includes(action);
  if (needsName && name === undefined) throw new UsageError(`schedule ${action} needs a NAME`);
  const request: Record<string, unknown> = { action };
  if (name !== undefined) request.name = name;
  if (action === "add") Object.assign(request, addFields(parsed.flags, parsed.switches.has("--disabled")));
  if (action === "history" && parsed.flags.has("--limit")) {
    request.limit = Number(parsed.flags.get("--limit"));
  }
  const data = parsed.flags.get("--data");
  const remote = parsed.flags.has("--connect") || (data === undefined && Deno.env.has("PLANCK_CONNECT")) ||
    isServed(data ?? DATA_DIR_DEFAULT);
  const target = await openTarget(parsed, { local: !remote });
  try {
    const result = target.kind === "remote"
      ? await (target.client as PlanckClient).request("schedule", request)
      : await local(
        await Scheduler.open(target.local.db, { dataDir: target.dataDir, createDefault: false }),
        request,
      );
    console.log(JSON.stringify(result, null, action === "list" || action === "history" ? 2 : 0));
    const failed = action === "run" && (result as { result?: string }).result === "error";
    return failed ? EXIT.failed : EXIT.ok;
  } finally {
    await closeTarget(target);
  }
}

function addFields(flags: Map<string, string>, disabled: boolean): Record<string, unknown> {
  const task = flags.get("--task");
  const cron = flags.get("--cron");
  if (task === undefined || cron === undefined) throw new UsageError("schedule add needs --task and --cron");
  let options: Record<string, unknown> = {};
  const json = flags.get("--options");
  if (json !== undefined) {
    try {
      options = JSON.parse(json);
    } catch {
      throw new UsageError("--options takes a JSON object");
    }
    if (options === null || typeof options !== "object" || Array.isArray(options)) {
      throw new UsageError("--options takes a JSON object");
    }
  }
  for (const flag of OPTION_FLAGS) {
    const value = flags.get(flag);
    if (flag === "--keep-runs") {
      if (value !== undefined) options.keepRuns = Number(value);
    } else if (value !== undefined) options[flag.slice(2)] = flag === "--retain" ? Number(value) : value;
  }
  const fields: Record<string, unknown> = { task, cron, options };
  if (flags.has("--timezone")) fields.timezone = flags.get("--timezone");
  if (disabled) fields.enabled = false;
  return fields;
}

async function local(scheduler: Scheduler, request: Record<string, unknown>): Promise<unknown> {
  const name = request.name as string;
  switch (request.action) {
    case "list":
      return { schedules: scheduler.list() };
    case "add":
      return await scheduler.add({ ...(request as { task: string; cron: string }), name });
    case "run":
      return await scheduler.runNow(name);
    case "enable":
    case "disable":
      return await scheduler.setEnabled(name, request.action === "enable");
    case "rm":
      return { removed: await scheduler.remove(name) };
    default:
      return { runs: scheduler.history(name, (request.limit as number | undefined) ?? 100) };
  }
}
