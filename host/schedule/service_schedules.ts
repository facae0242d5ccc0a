/**
 * Schedules a service declares (planck.json "schedules", carried in its manifest): registered when
 * it is deployed, updated when it is redeployed, removed when it is undeployed (docs/operations.md,
 * "Per service"). The server calls `syncServiceSchedules` after the scheduler starts and after every
 * change of the deployed set.
 *
 * Scoping: a service's schedule is named `<service>.<name>` with scope `service:<service>`; its task
 * is `export` or `import` (the chores over data; backup, GC and the rest are the instance's); its
 * `store` is the service's own (`<service>__<store>`, host/guest/sandbox.ts) and its `path` a plain
 * file name inside `<data dir>-exports/<service>/`, so a service reaches nothing of another's.
 *
 * Invariants: after a sync the `service:*` schedules are exactly those the deployed manifests
 * declare (a bad declaration is logged and skipped, never fatal); a redeploy keeps a schedule's
 * history and the operator's enable/disable; an undeploy keeps its history.
 */
import { PlanckError } from "../../protocol/errors.ts";
import type { ManifestSchedule, ServiceManifest } from "../../protocol/abi.ts";
import { scopedStore } from "../guest/sandbox.ts";
import type { ScheduleInput, Scheduler } from "./scheduler.ts";
import type { Schedule } from "./schedules.ts";

/** The tasks a service may schedule. */
export const SERVICE_TASKS = ["export", "import"] as const;
/** A service schedule's file name: letters, digits, `_.-` and `{time}`, not starting with a dot. */
const FILE_NAME = /^(?!\.)(?:[A-Za-z0-9_.-]|\{time\}){1,100}$/;
/** The options a service schedule may set (keepRuns bounds its history). */
const OPTIONS = ["store", "path", "format", "filter", "keys", "skipBad", "keepRuns"];

/** The scope of a service's schedules. */
export function serviceScope(service: string): string {
  return `service:${service}`;
}

/** Where a service's export and import files live. */
export function serviceFilesDir(dataDir: string, service: string): string {
  return `${dataDir.replace(/\/+$/, "")}-exports/${service}`;
}

/** A declared schedule as the scheduler stores it. @throws PlanckError `invalid_argument`, `forbidden` */
export function scopeServiceSchedule(
  service: string,
  declared: ManifestSchedule,
  dataDir: string,
): ScheduleInput {
  if (!(SERVICE_TASKS as readonly string[]).includes(declared.task)) {
    throw new PlanckError(
      "invalid_argument",
      `Service "${service}" schedule "${declared.name}": task "${declared.task}" is not one of ${
        SERVICE_TASKS.join(", ")
      } (the instance's chores are the operator's)`,
      { field: "schedules.task" },
    );
  }
  const options: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(declared.options ?? {})) {
    if (!OPTIONS.includes(name)) {
      throw new PlanckError(
        "invalid_argument",
        `Service "${service}" schedule "${declared.name}": unknown option "${name}"`,
        { field: `schedules.options.${name}` },
      );
    }
    options[name] = value;
  }
  options.store = scopedStore(service, options.store);
  if (typeof options.path !== "string" || !FILE_NAME.test(options.path) || options.path.includes("..")) {
    throw new PlanckError(
      "invalid_argument",
      `Service "${service}" schedule "${declared.name}": "path" must be a file name (letters, digits, _.- and {time})`,
      { field: "schedules.options.path" },
    );
  }
  options.path = `${serviceFilesDir(dataDir, service)}/${options.path}`;
  return {
    name: `${service}.${declared.name}`,
    task: declared.task,
    cron: declared.cron,
    timezone: declared.timezone,
    enabled: declared.enabled,
    options,
    scope: serviceScope(service),
  };
}

function sameDefinition(a: Schedule, b: ScheduleInput): boolean {
  return a.task === b.task && a.cron === b.cron && a.timezone === (b.timezone ?? "UTC") &&
    JSON.stringify(a.options) === JSON.stringify(b.options ?? {});
}

/**
 * Makes the `service:*` schedules those of `manifests`: adds the new, updates the changed (task,
 * cron, timezone, options; history and enabled kept), removes those no deployed service declares.
 */
export async function syncServiceSchedules(
  scheduler: Scheduler,
  manifests: readonly ServiceManifest[],
  dataDir: string,
  log: (line: string) => void = () => {},
): Promise<void> {
  const wanted = new Map<string, ScheduleInput>();
  for (const manifest of manifests) {
    for (const declared of manifest.schedules ?? []) {
      try {
        const input = scopeServiceSchedule(manifest.name, declared, dataDir);
        wanted.set(input.name, input);
      } catch (error) {
        log(
          `planck: service "${manifest.name}" schedule "${declared.name}" not scheduled: ${
            (error as Error).message
          }`,
        );
      }
    }
  }
  const existing = new Map(scheduler.list().map((s) => [s.name, s]));
  for (const schedule of existing.values()) {
    if (schedule.scope.startsWith("service:") && !wanted.has(schedule.name)) {
      await scheduler.remove(schedule.name);
      log(`planck: schedule "${schedule.name}" removed (its service no longer declares it)`);
    }
  }
  for (const input of wanted.values()) {
    const current = existing.get(input.name);
    try {
      if (current !== undefined && current.scope !== input.scope) {
        log(
          `planck: schedule "${input.name}" exists as an ${current.scope} schedule: the service's is not scheduled`,
        );
        continue;
      }
      if (current === undefined) {
        await Deno.mkdir(serviceFilesDir(dataDir, String(input.scope).slice("service:".length)), {
          recursive: true,
        });
        await scheduler.add(input);
      } else if (current.task !== input.task) {
        await scheduler.remove(input.name);
        await scheduler.add({ ...input, enabled: current.enabled });
      } else if (!sameDefinition(current, input)) {
        await scheduler.edit(input.name, {
          cron: input.cron,
          timezone: input.timezone ?? "UTC",
          options: input.options,
        });
      }
    } catch (error) {
      log(`planck: schedule "${input.name}" not scheduled: ${(error as Error).message}`);
    }
  }
}
