/**
 * What each scheduled task does (docs/operations.md, "Schedules"). A task gets the database, the
 * data directory and the clock, and returns the bytes it wrote (or freed) and details for the run
 * record; a throw is the run's error.
 *
 *   backup          online backup to `dir` (default `<data>-backups`) as `planck-<UTC time>-lsn<N>.tar`,
 *                   then keeps the newest `retain` (default 7) such files
 *   gc              value-log GC of segments at or above `ratio` (default the engine's 0.5) dead
 *   wal-truncate    a checkpoint (flush), after which the engine removes or archives the WAL segments
 *                   below it that are past the change log's retention window (its own rules)
 *   stats-snapshot  counts, sizes and rates into the system store `sysstats`
 *   export          `store` to `path` (`{time}` in it becomes the UTC time) in `format` (jsonl|bson|csv)
 *   import          `path` into `store` (`format`, `keys` keep|new, `skipBad`: rejects beside the file)
 *   restore-drill   restores the newest backup in `dir` into a scratch directory (checksums, LSN and
 *                   counts checked against its manifest), removes it, records what it found
 */
import type { Database } from "../../engine/db/database.ts";
import { PlanckError } from "../../protocol/errors.ts";
import { Store } from "../../engine/db/store.ts";
import { databaseSource } from "../ops/backup_source.ts";
import { bsonRecords } from "../ops/bson_format.ts";
import { exportCsv } from "../ops/csv_export.ts";
import { csvRecords } from "../ops/csv_import.ts";
import { databaseRows, exportRows, parseExportFilter } from "../ops/export.ts";
import { type BadRecord, databaseSink, importRecords, jsonlRecords, type KeyMode } from "../ops/import.ts";
import { backupSource } from "../ops/online_backup.ts";
import { restoreBackup } from "../ops/verify.ts";
import type { Schedule, TaskName } from "./schedules.ts";

/** Backups a backup task keeps by default. */
export const BACKUP_RETAIN_DEFAULT = 7;
/** The system store of stats snapshots. */
export const STATS_STORE = "sysstats";
/** Backup files a backup task writes and a drill reads. */
const BACKUP_FILE = /^planck-\d{8}T\d{6}Z-lsn\d+\.tar$/;

/** What a task sees. */
export interface TaskContext {
  db: Database;
  dataDir: string;
  now: number;
}

/** What a task did. */
export interface TaskResult {
  bytes: number;
  details: Record<string, unknown>;
}

/** Runs `schedule`'s task. */
export function runTask(schedule: Schedule, ctx: TaskContext): Promise<TaskResult> {
  const run: Record<TaskName, (o: Record<string, unknown>, c: TaskContext) => Promise<TaskResult>> = {
    backup,
    gc,
    "wal-truncate": walTruncate,
    "stats-snapshot": statsSnapshot,
    export: exportTask,
    import: importTask,
    "restore-drill": restoreDrill,
  };
  return run[schedule.task](schedule.options, ctx);
}

/** The backup directory of a task's options. */
export function backupDir(options: Record<string, unknown>, dataDir: string): string {
  return typeof options.dir === "string" ? options.dir : `${dataDir.replace(/\/+$/, "")}-backups`;
}

function stamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
}

async function backup(options: Record<string, unknown>, ctx: TaskContext): Promise<TaskResult> {
  const dir = backupDir(options, ctx.dataDir);
  const retain = integer(options.retain, "retain", BACKUP_RETAIN_DEFAULT, 1);
  await Deno.mkdir(dir, { recursive: true });
  const source = await databaseSource(ctx.db);
  const path = `${dir}/planck-${stamp(ctx.now)}-lsn${source.lsn}.tar`;
  const manifest = await backupSource(source, path, { quiet: true });
  const removed: string[] = [];
  const kept = await backupFiles(dir);
  for (const name of kept.slice(0, Math.max(0, kept.length - retain))) {
    await Deno.remove(`${dir}/${name}`);
    removed.push(name);
  }
  const bytes = (await Deno.stat(path)).size;
  return { bytes, details: { path, lsn: manifest.lsn, stores: manifest.stores, removed } };
}

/** Backup files in `dir`, oldest first (their names sort by time). */
async function backupFiles(dir: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.isFile && BACKUP_FILE.test(entry.name)) names.push(entry.name);
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return names.sort();
}

async function gc(options: Record<string, unknown>, ctx: TaskContext): Promise<TaskResult> {
  const ratio = options.ratio === undefined ? undefined : Number(options.ratio);
  const result = await ctx.db.gc(ratio === undefined ? {} : { ratio });
  return {
    bytes: result.freedBytes,
    details: { segments: result.segments, movedEntries: result.movedEntries },
  };
}

async function walBytes(db: Database): Promise<number> {
  let total = 0;
  for (const segment of db.walSegments()) total += (await Deno.stat(segment.path)).size;
  return total;
}

async function walTruncate(_options: Record<string, unknown>, ctx: TaskContext): Promise<TaskResult> {
  const before = await walBytes(ctx.db);
  const segments = ctx.db.walSegments().length;
  await ctx.db.flush();
  const after = await walBytes(ctx.db);
  return {
    bytes: Math.max(0, before - after),
    details: { segmentsBefore: segments, segmentsAfter: ctx.db.walSegments().length, walBytes: after },
  };
}

async function statsSnapshot(_options: Record<string, unknown>, ctx: TaskContext): Promise<TaskResult> {
  await ctx.db.createStore(STATS_STORE, { system: true, ifNotExists: true });
  const store = new Store(ctx.db, STATS_STORE);
  const previous = store.scan({ reverse: true, limit: 1 })[0]?.doc;
  const stats = ctx.db.stats();
  const stores = ctx.db.listStores().filter((s) => !s.name.startsWith("sys")).map((s) => {
    let documents = 0;
    for (const _ of ctx.db.scan(s.id)) documents++;
    return { name: s.name, documents };
  });
  const wal = await walBytes(ctx.db);
  const seconds = previous?.at instanceof Date ? (ctx.now - previous.at.getTime()) / 1000 : 0;
  const lsnRate = seconds > 0 ? (stats.lastLsn - Number(previous!.lastLsn)) / seconds : null;
  const doc = {
    at: new Date(ctx.now),
    lastLsn: stats.lastLsn,
    durableLsn: stats.durableLsn,
    walSegments: stats.walSegments,
    walBytes: wal,
    flushes: stats.flushes,
    stores,
    tiers: stats.tiers,
    lsnPerSecond: lsnRate,
  };
  await store.insert(doc);
  return { bytes: 0, details: { stores: stores.length, lastLsn: stats.lastLsn, lsnPerSecond: lsnRate } };
}

function formatOf(options: Record<string, unknown>, path: string): "jsonl" | "bson" | "csv" {
  const format = options.format ??
    (path.endsWith(".bson") ? "bson" : path.endsWith(".csv") ? "csv" : "jsonl");
  if (format !== "jsonl" && format !== "bson" && format !== "csv") {
    throw new PlanckError("invalid_argument", `Unknown format "${String(format)}"`, { field: "format" });
  }
  return format;
}

function text(value: unknown, field: string): string {
  if (typeof value !== "string" || value === "") {
    throw new PlanckError("invalid_argument", `The task needs option "${field}"`, { field });
  }
  return value;
}

function integer(value: unknown, field: string, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) {
    throw new PlanckError("invalid_argument", `Option "${field}" must be an integer ≥ ${min}`, { field });
  }
  return n;
}

async function exportTask(options: Record<string, unknown>, ctx: TaskContext): Promise<TaskResult> {
  const store = text(options.store, "store");
  const path = text(options.path, "path").replaceAll("{time}", stamp(ctx.now));
  const format = formatOf(options, path);
  const filter = typeof options.filter === "string" ? parseExportFilter(options.filter) : undefined;
  const rows = databaseRows(ctx.db, store);
  if (format === "csv") {
    const result = await exportCsv(rows, store, path, `${path}.manifest.json`, { filter });
    return { bytes: result.bytes, details: { path, records: result.records } };
  }
  using file = await Deno.open(path, { write: true, create: true, truncate: true });
  const writer = file.writable.getWriter();
  const result = await exportRows(rows, writer, { filter, format });
  await writer.close();
  return { bytes: result.bytes, details: { path, records: result.records } };
}

async function importTask(options: Record<string, unknown>, ctx: TaskContext): Promise<TaskResult> {
  const store = text(options.store, "store");
  const path = text(options.path, "path");
  const format = formatOf(options, path);
  const keys = (options.keys ?? "keep") as KeyMode;
  if (keys !== "keep" && keys !== "new") throw new PlanckError("invalid_argument", 'keys is "keep" or "new"');
  const manifest = format === "csv"
    ? JSON.parse(await Deno.readTextFile(`${path}.manifest.json`).catch(() => "null")) ?? undefined
    : undefined;
  using file = await Deno.open(path);
  const records = format === "bson"
    ? bsonRecords(file.readable)
    : format === "csv"
    ? csvRecords(lines(file.readable), manifest)
    : jsonlRecords(lines(file.readable));
  const rejects: BadRecord[] = [];
  const result = await importRecords(records, databaseSink(ctx.db), {
    store,
    keys,
    onReject: options.skipBad === true ? (bad) => Promise.resolve(void rejects.push(bad)) : undefined,
  });
  if (rejects.length > 0) {
    await Deno.writeTextFile(
      `${path}.rejects.jsonl`,
      rejects.map((bad) => JSON.stringify(bad) + "\n").join(""),
    );
  }
  return { bytes: (await Deno.stat(path)).size, details: { path, ...result } };
}

async function* lines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let pending = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    const parts = (pending + chunk).split("\n");
    pending = parts.pop()!;
    for (const part of parts) yield part.endsWith("\r") ? part.slice(0, -1) : part;
  }
  if (pending !== "") yield pending;
}

async function restoreDrill(options: Record<string, unknown>, ctx: TaskContext): Promise<TaskResult> {
  const dir = backupDir(options, ctx.dataDir);
  const latest = (await backupFiles(dir)).at(-1);
  if (latest === undefined) {
    throw new PlanckError("not_found", `No backup to drill in "${dir}"`, { file: dir });
  }
  const scratch = await Deno.makeTempDir({ prefix: "planck_drill_" });
  try {
    const result = await restoreBackup(`${dir}/${latest}`, `${scratch}/data`, { quiet: true });
    return {
      bytes: result.bytes,
      details: { backup: `${dir}/${latest}`, lsn: result.lsn, stores: result.stores },
    };
  } finally {
    await Deno.remove(scratch, { recursive: true });
  }
}
