/**
 * Schedules and their runs, as documents of two system stores (so they survive restarts and are in
 * the WAL, hence in backups and replicas): `sysschedules` (one document per schedule, keyed by a
 * digest of its name) and `sysscheduleruns` (one per run, under a time-ordered key, so history is a
 * reverse scan). docs/operations.md, "Schedules", has the fields.
 *
 * Invariants: a schedule's cron pattern and task are checked before it is stored; names are
 * unique; every stored document parses back (`toSchedule`).
 */
import { createHash } from "node:crypto";
import { Cron } from "croner";
import type { Database } from "../../engine/db/database.ts";
import { batch, Store } from "../../engine/db/store.ts";
import { decodeDocument, type Document } from "../../engine/document.ts";
import { PlanckError } from "../../protocol/errors.ts";

/** The system stores. */
export const SCHEDULES_STORE = "sysschedules";
export const RUNS_STORE = "sysscheduleruns";
/** Run records deleted per atomic batch when pruning. */
const PRUNE_BATCH = 1_000;
/** Schedules at most. */
export const SCHEDULES_MAX = 1_000;
/** Runs `history` returns at most. */
export const HISTORY_MAX = 10_000;
/** Runs kept per schedule unless its `keepRuns` option says otherwise; older ones are deleted. */
export const RUNS_KEPT_DEFAULT = 100;
/** Largest `keepRuns`. */
export const RUNS_KEPT_MAX = HISTORY_MAX;
/** Schedule names: letters, digits and `_.-`, 1–64 characters. */
export const SCHEDULE_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/** The tasks a schedule can run (tasks.ts). */
export const TASKS = [
  "backup",
  "gc",
  "wal-truncate",
  "stats-snapshot",
  "export",
  "import",
  "restore-drill",
] as const;
export type TaskName = typeof TASKS[number];

/** A schedule as stored. */
export interface Schedule {
  name: string;
  task: TaskName;
  cron: string;
  /** IANA zone the cron pattern is read in (default UTC). */
  timezone: string;
  enabled: boolean;
  /** Task options (tasks.ts lists them per task). */
  options: Record<string, unknown>;
  /** "instance", or "service:<name>" for a schedule a service declared. */
  scope: string;
  createdAt: number;
  /** The next time it is due (ms), or null when disabled. A value in the past at start is a missed run. */
  nextRunAt: number | null;
}

/** One run. */
export interface RunRecord {
  key?: string;
  schedule: string;
  task: TaskName;
  trigger: "cron" | "manual" | "missed";
  start: number;
  end: number | null;
  result: "running" | "ok" | "error" | "skipped" | "interrupted";
  bytes: number;
  error: string | null;
  details: Record<string, unknown>;
}

/** The cron of a pattern. @throws PlanckError `invalid_argument` naming the field */
export function cronOf(pattern: string, timezone = "UTC"): Cron {
  try {
    return new Cron(pattern, { timezone, paused: true });
  } catch (error) {
    throw new PlanckError(
      "invalid_argument",
      `Invalid cron "${pattern.slice(0, 80)}": ${(error as Error).message}`,
      {
        field: "cron",
      },
    );
  }
}

/** The first time after `after` (ms) that `schedule` is due, or null. */
export function nextTime(schedule: Pick<Schedule, "cron" | "timezone">, after: number): number | null {
  const next = cronOf(schedule.cron, schedule.timezone).nextRun(new Date(after));
  return next === null ? null : next.getTime();
}

/** Checks a new schedule's fields. @throws PlanckError `invalid_argument` */
export function checkSchedule(input: Partial<Schedule>): void {
  if (typeof input.name !== "string" || !SCHEDULE_NAME.test(input.name)) {
    throw new PlanckError("invalid_argument", "A schedule name is 1-64 letters, digits or _.-", {
      field: "name",
    });
  }
  if (!(TASKS as readonly string[]).includes(input.task as string)) {
    throw new PlanckError(
      "invalid_argument",
      `Unknown task "${String(input.task)}": one of ${TASKS.join(", ")}`,
      {
        field: "task",
      },
    );
  }
  if (typeof input.cron !== "string") {
    throw new PlanckError("invalid_argument", "cron is required", { field: "cron" });
  }
  cronOf(input.cron, input.timezone ?? "UTC");
  keptRuns(input.options ?? {});
}

/** How many runs of a schedule are kept: its `keepRuns` option, else RUNS_KEPT_DEFAULT. @throws PlanckError `invalid_argument` */
export function keptRuns(options: Record<string, unknown>): number {
  const keep = options.keepRuns;
  if (keep === undefined) return RUNS_KEPT_DEFAULT;
  if (typeof keep !== "number" || !Number.isInteger(keep) || keep < 1 || keep > RUNS_KEPT_MAX) {
    throw new PlanckError("invalid_argument", `keepRuns must be an integer from 1 to ${RUNS_KEPT_MAX}`, {
      field: "options.keepRuns",
      limit: "RUNS_KEPT_MAX",
    });
  }
  return keep;
}

/** The two stores. */
export class ScheduleStore {
  readonly #db: Database;
  readonly #schedules: Store;
  readonly #runs: Store;

  private constructor(db: Database) {
    this.#db = db;
    this.#schedules = new Store(db, SCHEDULES_STORE);
    this.#runs = new Store(db, RUNS_STORE);
  }

  /** Opens the stores; `created` is true when this is their first use (first start). */
  static async open(db: Database): Promise<{ store: ScheduleStore; created: boolean }> {
    const created = await db.createStore(SCHEDULES_STORE, { system: true, ifNotExists: true });
    await db.createStore(RUNS_STORE, { system: true, ifNotExists: true });
    return { store: new ScheduleStore(db), created };
  }

  list(): Schedule[] {
    return this.#schedules.scan({ limit: SCHEDULES_MAX }).map(({ doc }) => toSchedule(doc))
      .sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  }

  get(name: string): Schedule | undefined {
    const doc = this.#schedules.get(scheduleKey(name));
    return doc === undefined ? undefined : toSchedule(doc);
  }

  /** @throws PlanckError `not_found` */
  require(name: string): Schedule {
    const schedule = this.get(name);
    if (schedule === undefined) {
      throw new PlanckError("not_found", `No schedule "${name.slice(0, 64)}"`, { field: "name" });
    }
    return schedule;
  }

  async put(schedule: Schedule): Promise<void> {
    await this.#schedules.put(scheduleKey(schedule.name), toDocument(schedule));
  }

  async remove(name: string): Promise<boolean> {
    return await this.#schedules.delete(scheduleKey(name));
  }

  /** Records a run; returns its key. */
  async addRun(run: RunRecord): Promise<string> {
    const { key: _, ...doc } = run;
    return await this.#runs.insert(toDocument(doc));
  }

  async updateRun(key: string, run: RunRecord): Promise<void> {
    const { key: _, ...doc } = run;
    await this.#runs.put(key, toDocument(doc));
  }

  /**
   * Deletes the runs of schedule `name` older than its newest `keep` (one atomic batch); returns how
   * many went. A run still "running" is never deleted.
   */
  async pruneRuns(name: string, keep: number): Promise<number> {
    const storeId = this.#db.storeInfo(RUNS_STORE).id;
    const doomed: string[] = [];
    let seen = 0;
    for (const [key, bytes] of this.#db.scan(storeId, { reverse: true })) {
      const run = decodeDocument(bytes);
      if (run.schedule !== name) continue;
      if (++seen > keep && run.result !== "running") doomed.push(key);
    }
    for (let at = 0; at < doomed.length; at += PRUNE_BATCH) {
      await batch(
        this.#db,
        doomed.slice(at, at + PRUNE_BATCH).map((key) => ({ op: "delete", store: RUNS_STORE, key })),
      );
    }
    return doomed.length;
  }

  /** The schedule names that have runs (removed schedules' included). */
  runNames(): Set<string> {
    const names = new Set<string>();
    for (const [, bytes] of this.#db.scan(this.#db.storeInfo(RUNS_STORE).id)) {
      names.add(String(decodeDocument(bytes).schedule));
    }
    return names;
  }

  /** Runs, newest first (of one schedule when named). */
  history(name: string | undefined, limit: number): RunRecord[] {
    const out: RunRecord[] = [];
    for (const [key, bytes] of this.#db.scan(this.#db.storeInfo(RUNS_STORE).id, { reverse: true })) {
      const run = toRun(key, decodeDocument(bytes));
      if (name === undefined || run.schedule === name) out.push(run);
      if (out.length >= Math.min(limit, HISTORY_MAX)) break;
    }
    return out;
  }
}

/** The key of a schedule's document. */
export function scheduleKey(name: string): string {
  return createHash("sha256").update("planck-schedule\0").update(name).digest("hex").slice(0, 32);
}

function toDocument(value: object): Document {
  const out: Document = {};
  for (const [name, field] of Object.entries(value)) {
    out[name] =
      typeof field === "number" && (name === "createdAt" || name === "nextRunAt" || name === "start" ||
          name === "end")
        ? new Date(field)
        : field;
  }
  return out;
}

function time(value: unknown): number | null {
  if (value instanceof Date) return value.getTime();
  if (typeof value === "number" || typeof value === "bigint") return Number(value);
  return null;
}

function toSchedule(doc: Document): Schedule {
  return {
    name: String(doc.name),
    task: doc.task as TaskName,
    cron: String(doc.cron),
    timezone: typeof doc.timezone === "string" ? doc.timezone : "UTC",
    enabled: doc.enabled === true,
    options: (doc.options ?? {}) as Record<string, unknown>,
    scope: typeof doc.scope === "string" ? doc.scope : "instance",
    createdAt: time(doc.createdAt) ?? 0,
    nextRunAt: time(doc.nextRunAt),
  };
}

function toRun(key: string, doc: Document): RunRecord {
  return {
    key,
    schedule: String(doc.schedule),
    task: doc.task as TaskName,
    trigger: doc.trigger as RunRecord["trigger"],
    start: time(doc.start) ?? 0,
    end: time(doc.end),
    result: doc.result as RunRecord["result"],
    bytes: Number(doc.bytes ?? 0),
    error: typeof doc.error === "string" ? doc.error : null,
    details: (doc.details ?? {}) as Record<string, unknown>,
  };
}
