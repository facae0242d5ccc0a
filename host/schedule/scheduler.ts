/**
 * The scheduler: runs the schedules of `sysschedules` (schedules.ts) at their cron times on an
 * injectable clock (clock.ts), records every run in `sysscheduleruns`, and serves add, list, run
 * now, enable, disable, remove and history (the wire's `schedule` op and `planck schedule`).
 *
 * Timing: each enabled schedule stores `nextRunAt`. One timer is armed for the earliest; when it
 * fires, every schedule due runs and gets its next time after now. On start, a schedule whose
 * `nextRunAt` is already past was due while the server was down: it runs once now (trigger
 * "missed"), however many times it was missed. A run found still "running" in the history at start
 * was cut off by a stop or crash and is marked "interrupted".
 *
 * History is bounded: after each run (and each skipped time) the schedule's runs beyond its newest
 * `keepRuns` (default RUNS_KEPT_DEFAULT) are deleted; at start, every schedule name's, removed ones
 * included.
 *
 * Invariants: one schedule never has two runs at once (a time that comes while it runs is recorded
 * as "skipped"); every run gets a record at its start, completed at its end; `close` waits for runs.
 */
import type { Database } from "../../engine/db/database.ts";
import { PlanckError } from "../../protocol/errors.ts";
import { type Clock, SYSTEM_CLOCK } from "./clock.ts";
import {
  checkSchedule,
  HISTORY_MAX,
  keptRuns,
  nextTime,
  type RunRecord,
  type Schedule,
  SCHEDULES_MAX,
  ScheduleStore,
} from "./schedules.ts";
import { BACKUP_RETAIN_DEFAULT, runTask } from "./tasks.ts";

/** The schedule created on first start: a nightly online backup with retention (docs/operations.md). */
export const DEFAULT_SCHEDULE = {
  name: "nightly-backup",
  task: "backup",
  cron: "0 3 * * *",
  options: { retain: BACKUP_RETAIN_DEFAULT },
} as const;

/** What a new schedule gives. */
export interface ScheduleInput {
  name: string;
  task: string;
  cron: string;
  timezone?: string;
  enabled?: boolean;
  options?: Record<string, unknown>;
  scope?: string;
}

/** Options of the scheduler. */
export interface SchedulerOptions {
  dataDir: string;
  clock?: Clock;
  log?: (line: string) => void;
  /** Create DEFAULT_SCHEDULE when the schedule store is new (default true). */
  createDefault?: boolean;
}

/** The scheduler of one database. */
export class Scheduler {
  readonly #db: Database;
  readonly #store: ScheduleStore;
  readonly #clock: Clock;
  readonly #dataDir: string;
  readonly #log: (line: string) => void;
  readonly #running = new Map<string, Promise<RunRecord>>();
  #timer: unknown = undefined;
  #started = false;
  #closed = false;

  private constructor(db: Database, store: ScheduleStore, options: SchedulerOptions) {
    this.#db = db;
    this.#store = store;
    this.#clock = options.clock ?? SYSTEM_CLOCK;
    this.#dataDir = options.dataDir;
    this.#log = options.log ?? (() => {});
  }

  /** Opens the schedule stores (creating the default schedule on first use); does not start timers. */
  static async open(db: Database, options: SchedulerOptions): Promise<Scheduler> {
    const { store, created } = await ScheduleStore.open(db);
    const scheduler = new Scheduler(db, store, options);
    if (created && options.createDefault !== false) await scheduler.add({ ...DEFAULT_SCHEDULE });
    return scheduler;
  }

  /** Marks interrupted runs, runs each missed schedule once, and arms the timer. */
  async start(): Promise<void> {
    this.#started = true;
    for (const run of this.#store.history(undefined, HISTORY_MAX)) {
      if (run.result === "running") await this.#store.updateRun(run.key!, { ...run, result: "interrupted" });
    }
    for (const name of this.#store.runNames()) await this.#prune(name); // also what older versions left
    const now = this.#clock.now();
    for (const schedule of this.#store.list()) {
      if (!schedule.enabled) continue;
      if (schedule.nextRunAt !== null && schedule.nextRunAt <= now) {
        this.#log(
          `planck: schedule "${schedule.name}" missed its run at ${
            new Date(schedule.nextRunAt).toISOString()
          }: running it now`,
        );
        void this.#launch(schedule, "missed").catch(() => {});
      } else if (schedule.nextRunAt === null) {
        await this.#store.put({ ...schedule, nextRunAt: nextTime(schedule, now) });
      }
    }
    this.#arm();
  }

  /** Stops the timer and waits for running tasks. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== undefined) this.#clock.clearTimer(this.#timer);
    this.#timer = undefined;
    await Promise.allSettled([...this.#running.values()]);
  }

  /** True once `close` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Resolves when no task runs (tests). */
  async idle(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running.values()]);
  }

  /** Schedules with whether each is running now. */
  list(): (Schedule & { running: boolean })[] {
    return this.#store.list().map((s) => ({ ...s, running: this.#running.has(s.name) }));
  }

  /** Adds a schedule. @throws PlanckError `conflict` (name taken), `invalid_argument`, `limit_exceeded` */
  async add(input: ScheduleInput): Promise<Schedule> {
    checkSchedule(input as Partial<Schedule>);
    if (this.#store.get(input.name) !== undefined) {
      throw new PlanckError("conflict", `Schedule "${input.name}" exists`, { field: "name" });
    }
    if (this.#store.list().length >= SCHEDULES_MAX) {
      throw new PlanckError("limit_exceeded", `At most ${SCHEDULES_MAX} schedules`, {
        limit: "SCHEDULES_MAX",
      });
    }
    const now = this.#clock.now();
    const enabled = input.enabled !== false;
    const schedule: Schedule = {
      name: input.name,
      task: input.task as Schedule["task"],
      cron: input.cron,
      timezone: input.timezone ?? "UTC",
      enabled,
      options: input.options ?? {},
      scope: input.scope ?? "instance",
      createdAt: now,
      nextRunAt: enabled ? nextTime({ cron: input.cron, timezone: input.timezone ?? "UTC" }, now) : null,
    };
    await this.#store.put(schedule);
    this.#arm();
    return schedule;
  }

  /** Enables or disables a schedule (enabling computes its next time from now). */
  async setEnabled(name: string, enabled: boolean): Promise<Schedule> {
    const schedule = this.#store.require(name);
    const next = { ...schedule, enabled, nextRunAt: enabled ? nextTime(schedule, this.#clock.now()) : null };
    await this.#store.put(next);
    this.#arm();
    return next;
  }

  /**
   * Changes a schedule's cron, timezone or options (its next time is recomputed from now).
   * @throws PlanckError `not_found`, `invalid_argument` naming the field
   */
  async edit(
    name: string,
    change: { cron?: string; timezone?: string; options?: Record<string, unknown> },
  ): Promise<Schedule> {
    const schedule = this.#store.require(name);
    const defined = Object.entries(change).filter(([, value]) => value !== undefined);
    const next: Schedule = { ...schedule, ...Object.fromEntries(defined) };
    checkSchedule(next);
    next.nextRunAt = next.enabled ? nextTime(next, this.#clock.now()) : null;
    await this.#store.put(next);
    this.#arm();
    return next;
  }

  /** Removes a schedule (a running task finishes; its history stays). */
  async remove(name: string): Promise<boolean> {
    this.#store.require(name);
    const removed = await this.#store.remove(name);
    this.#arm();
    return removed;
  }

  /** Runs a schedule now and resolves with its run. @throws PlanckError `conflict` while it runs */
  runNow(name: string): Promise<RunRecord> {
    const schedule = this.#store.require(name);
    if (this.#running.has(name)) {
      throw new PlanckError("conflict", `Schedule "${name}" is running`, { field: "name" });
    }
    return this.#launch(schedule, "manual");
  }

  /** Runs, newest first. */
  history(name: string | undefined, limit = 100): RunRecord[] {
    return this.#store.history(name, limit);
  }

  #launch(schedule: Schedule, trigger: RunRecord["trigger"]): Promise<RunRecord> {
    const run = this.#run(schedule, trigger).finally(() => {
      this.#running.delete(schedule.name);
      this.#arm();
    });
    this.#running.set(schedule.name, run);
    return run;
  }

  async #run(schedule: Schedule, trigger: RunRecord["trigger"]): Promise<RunRecord> {
    const start = this.#clock.now();
    if (trigger !== "manual") {
      const current = this.#store.get(schedule.name);
      if (current !== undefined) await this.#store.put({ ...current, nextRunAt: nextTime(current, start) });
    }
    const record: RunRecord = {
      schedule: schedule.name,
      task: schedule.task,
      trigger,
      start,
      end: null,
      result: "running",
      bytes: 0,
      error: null,
      details: {},
    };
    const key = await this.#store.addRun(record);
    try {
      const result = await runTask(schedule, { db: this.#db, dataDir: this.#dataDir, now: start });
      Object.assign(record, { result: "ok", bytes: result.bytes, details: result.details });
    } catch (error) {
      Object.assign(record, { result: "error", error: (error as Error)?.message ?? String(error) });
      this.#log(`planck: schedule "${schedule.name}" (${schedule.task}) failed: ${record.error}`);
    }
    record.end = this.#clock.now();
    if (!this.#db.closed) {
      await this.#store.updateRun(key, record);
      await this.#prune(schedule.name);
    }
    return { ...record, key };
  }

  /** Keeps the newest runs of `name` (its `keepRuns`, RUNS_KEPT_DEFAULT for a removed schedule). */
  async #prune(name: string): Promise<void> {
    const schedule = this.#store.get(name);
    await this.#store.pruneRuns(name, keptRuns(schedule?.options ?? {})).catch((error) => {
      this.#log(`planck: pruning the runs of schedule "${name}" failed: ${(error as Error).message}`);
    });
  }

  /** Arms the one timer for the earliest due schedule (only once started). */
  #arm(): void {
    if (!this.#started || this.#closed) return;
    if (this.#timer !== undefined) this.#clock.clearTimer(this.#timer);
    this.#timer = undefined;
    let earliest = Infinity;
    for (const s of this.#store.list()) {
      if (s.enabled && s.nextRunAt !== null && !this.#running.has(s.name)) {
        earliest = Math.min(earliest, s.nextRunAt);
      }
    }
    if (earliest === Infinity) return;
    this.#timer = this.#clock.setTimer(() => void this.#tick(), Math.max(0, earliest - this.#clock.now()));
  }

  async #tick(): Promise<void> {
    this.#timer = undefined;
    if (this.#closed || this.#db.closed) return;
    const now = this.#clock.now();
    for (const schedule of this.#store.list()) {
      if (!schedule.enabled || schedule.nextRunAt === null || schedule.nextRunAt > now) continue;
      if (this.#running.has(schedule.name)) {
        await this.#store.put({ ...schedule, nextRunAt: nextTime(schedule, now) });
        await this.#store.addRun({
          schedule: schedule.name,
          task: schedule.task,
          trigger: "cron",
          start: now,
          end: now,
          result: "skipped",
          bytes: 0,
          error: "the previous run is still running",
          details: {},
        });
        await this.#prune(schedule.name);
        continue;
      }
      void this.#launch(schedule, "cron").catch(() => {});
    }
    this.#arm();
  }
}
