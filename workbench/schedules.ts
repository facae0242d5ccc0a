/**
 * What the Schedules screen and `/api/schedules` read and change: the server's scheduler
 * (host/schedule/), through the wire's `schedule` op where it has the action (list, add, run,
 * enable, disable, rm, history) and the scheduler's `edit` for a changed cron, timezone or options;
 * and the preview of a cron expression's next runs (croner, as the scheduler reads it).
 *
 * Invariants: every action needs the admin role (as the `schedule` op); a replica, which runs no
 * scheduler, answers `unavailable`; a preview is bounded (CRON_PREVIEW_MAX runs).
 */
import { PlanckError } from "../protocol/errors.ts";
import type { Scheduler } from "../host/schedule/scheduler.ts";
import { cronOf, type RunRecord, type Schedule, TASKS } from "../host/schedule/schedules.ts";
import { authorize } from "../host/wire/authorize.ts";
import type { WorkbenchParts } from "../host/server/workbench_hook.ts";
import type { Principal } from "./access.ts";
import { CRON_PREVIEW_MAX, CRON_PREVIEW_RUNS } from "./limits.ts";
import { callOp } from "./ops.ts";

export { TASKS };

/** A schedule as listed, with its next runs. */
export type ScheduleRow = Schedule & { running: boolean; next: string[] };

/** The schedules with their next runs. */
export async function listSchedules(parts: WorkbenchParts, who: Principal): Promise<ScheduleRow[]> {
  const { schedules } = await callOp(parts, who, "schedule", { action: "list" }) as {
    schedules: (Schedule & { running: boolean })[];
  };
  return schedules.map((s) => ({ ...s, next: s.enabled ? cronPreview(s.cron, s.timezone, 3) : [] }));
}

/** Runs, newest first (of one schedule when named). */
export async function history(
  parts: WorkbenchParts,
  who: Principal,
  name: string | undefined,
  limit: number,
): Promise<RunRecord[]> {
  const fields: Record<string, unknown> = { action: "history", limit };
  if (name !== undefined && name !== "") fields.name = name;
  const { runs } = await callOp(parts, who, "schedule", fields) as { runs: RunRecord[] };
  return runs;
}

/** The next `count` times (ISO, UTC) `cron` fires in `timezone`. @throws PlanckError `invalid_argument` (field cron or timezone) */
export function cronPreview(cron: string, timezone = "UTC", count = CRON_PREVIEW_RUNS): string[] {
  if (cron.trim() === "") {
    throw new PlanckError("invalid_argument", "Type a cron expression", { field: "cron" });
  }
  if (!validZone(timezone)) {
    throw new PlanckError("invalid_argument", `Unknown time zone "${timezone.slice(0, 60)}"`, {
      field: "timezone",
    });
  }
  const n = Math.min(Math.max(1, count), CRON_PREVIEW_MAX);
  return cronOf(cron, timezone).nextRuns(n).map((d) => d.toISOString());
}

function validZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Changes a schedule's cron, timezone or options. @throws PlanckError `forbidden`, `not_found`, `invalid_argument`, `unavailable` */
export async function editSchedule(
  parts: WorkbenchParts,
  who: Principal,
  name: string,
  change: { cron?: string; timezone?: string; options?: Record<string, unknown> },
): Promise<Schedule> {
  authorize(who.user, { access: "admin", what: "editing a schedule" });
  if (change.timezone !== undefined) cronPreview(change.cron ?? "* * * * *", change.timezone, 1);
  return await schedulerOf(parts).edit(name, change);
}

function schedulerOf(parts: WorkbenchParts): Scheduler {
  const scheduler = parts.scheduler;
  if (scheduler === undefined) {
    throw new PlanckError(
      "unavailable",
      "This server runs no scheduler (a replica: schedules run on the primary)",
    );
  }
  return scheduler;
}
