/**
 * The `schedule` op (admin only; docs/wire-protocol.md, "Schedule op"): `{action, …}` with action
 * add | list | run | enable | disable | rm | history, served by the server's Scheduler
 * (host/schedule/scheduler.ts).
 *
 * Invariants: fields are checked per action (unknown ones refused); `run` waits for the run and
 * returns its record.
 */
import { PlanckError } from "../../protocol/errors.ts";
import { HISTORY_MAX } from "../schedule/schedules.ts";
import {
  expectFields,
  type OpCall,
  optionalBoolean,
  optionalInteger,
  optionalString,
  stringField,
} from "./request.ts";

/** `schedule {action, …}`. */
export async function opSchedule({ ctx, request }: OpCall): Promise<unknown> {
  const scheduler = ctx.scheduler;
  if (scheduler === undefined) {
    throw new PlanckError(
      "unavailable",
      "This server runs no scheduler (a replica: schedules run on the primary)",
    );
  }
  const action = stringField(request, "action");
  switch (action) {
    case "list":
      expectFields(request, ["action"]);
      return { schedules: scheduler.list() };
    case "add": {
      expectFields(request, ["action", "name", "task", "cron", "timezone", "enabled", "options"]);
      const options = request.options;
      if (
        options !== undefined && (options === null || typeof options !== "object" || Array.isArray(options))
      ) {
        throw new PlanckError("invalid_argument", 'Invalid "options": expected an object', {
          field: "options",
        });
      }
      return await scheduler.add({
        name: stringField(request, "name"),
        task: stringField(request, "task"),
        cron: stringField(request, "cron"),
        timezone: optionalString(request, "timezone"),
        enabled: optionalBoolean(request, "enabled"),
        options: options as Record<string, unknown> | undefined,
      });
    }
    case "run":
      expectFields(request, ["action", "name"]);
      return await scheduler.runNow(stringField(request, "name"));
    case "enable":
    case "disable":
      expectFields(request, ["action", "name"]);
      return await scheduler.setEnabled(stringField(request, "name"), action === "enable");
    case "rm":
      expectFields(request, ["action", "name"]);
      return { removed: await scheduler.remove(stringField(request, "name")) };
    case "history": {
      expectFields(request, ["action", "name", "limit"]);
      const limit = optionalInteger(request, "limit", { min: 1, max: HISTORY_MAX }) ?? 100;
      return { runs: scheduler.history(optionalString(request, "name"), limit) };
    }
    default:
      throw new PlanckError(
        "invalid_argument",
        `Unknown schedule action "${action.slice(0, 40)}": add, list, run, enable, disable, rm or history`,
        { field: "action" },
      );
  }
}
