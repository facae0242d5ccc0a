/**
 * Point-in-time restore: `planck restore --from BACKUP_OR_ARCHIVE --until <RFC 3339 time | LSN>
 * --data NEWDIR` (docs/replication.md, "Point-in-time restore"). The base is a backup (restored and
 * verified by host/ops, at the backup's LSN) or an empty directory (LSN 0); the archived WAL groups
 * after the base's LSN are then applied, in order, up to the last group committed at or before the
 * `--until` point, through the same code as replication and recovery (engine/db/replicated.ts), so
 * the restored WAL holds the primary's frames byte for byte and the directory opens at that LSN.
 *
 * Invariants: the work happens in `<NEWDIR>.restoring`, renamed into place only when whole (a failed
 * restore leaves NEWDIR as it was); no group past the point is applied and none before it is
 * skipped (a gap in the archive is an error naming the missing segment); a time is turned into an
 * LSN only by what the archive's clock or the backup's manifest prove was committed by then.
 */
import { openDatabase } from "../../engine/db/database.ts";
import { lockDir } from "../../engine/db/dir_lock.ts";
import { applyReplicated } from "../../engine/db/replicated.ts";
import { PlanckError } from "../../protocol/errors.ts";
import { type ClockMark, lsnAtTime, readClock } from "../../engine/wal/archive_clock.ts";
import { ensureEmptyDir } from "../ops/backup.ts";
import { MANIFEST_FILE, readManifest } from "../ops/manifest.ts";
import { restoreBackup, withBackupDir } from "../ops/verify.ts";
import { groupsFrom, listArchived } from "./archive_segments.ts";

/** Where a restore stops: at an LSN, or at a time (Unix ms, with the text the user gave). */
export type RestorePoint = { lsn: number } | { ms: number; text: string };

/** Options of `restoreToPoint`. */
export interface PointRestoreOptions {
  /** A backup (directory or .tar) or a WAL archive directory (then the restore starts empty). */
  from: string;
  /** A WAL archive directory to read segments from (with a backup as `from`). */
  archive?: string;
  /** A further directory of WAL segments (a copy of a primary's `wal/`), read after the archive. */
  wal?: string;
  until: RestorePoint;
  data: string;
  /** Replace a non-empty `data` (refused while a server holds it). */
  force?: boolean;
  quiet?: boolean;
  /** Progress lines (stderr by default). */
  log?: (line: string) => void;
}

/** What a restore did. */
export interface PointRestoreResult {
  /** The LSN the restored directory opens at. */
  lsn: number;
  base: "backup" | "empty";
  baseLsn: number;
  /** Groups applied from the archive. */
  groups: number;
  /** The last LSN the segments read hold (how far this archive could go). */
  archiveLsn: number;
}

/** Parses `--until`: a whole number is an LSN, else an RFC 3339 time with a zone. @throws PlanckError `invalid_argument` */
export function parseRestorePoint(text: string): RestorePoint {
  if (/^\d+$/.test(text)) {
    const lsn = Number(text);
    if (!Number.isSafeInteger(lsn)) throw badPoint(text);
    return { lsn };
  }
  const rfc3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
  const ms = Date.parse(text.replace(" ", "T"));
  if (!rfc3339.test(text) || Number.isNaN(ms)) throw badPoint(text);
  return { ms, text };
}

function badPoint(text: string): PlanckError {
  return new PlanckError(
    "invalid_argument",
    `Invalid --until "${text}": give an LSN (a whole number) or an RFC 3339 time with a zone, e.g. 2026-12-07T12:30:00Z`,
    { field: "until" },
  );
}

/** True when `path` is a backup (a .tar file, or a directory with a manifest). */
export async function isBackup(path: string): Promise<boolean> {
  try {
    const info = await Deno.stat(path);
    if (!info.isDirectory) return true;
    await Deno.stat(`${path}/${MANIFEST_FILE}`);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** Restores the state as of `options.until` into `options.data`. */
export async function restoreToPoint(options: PointRestoreOptions): Promise<PointRestoreResult> {
  const log = options.quiet ? () => {} : (options.log ?? ((line: string) => console.error(line)));
  const target = options.data.replace(/\/+$/, "");
  if (!options.force) await ensureEmptyDir(target, "Restore target (pass --force to replace it)");
  const fromBackup = await isBackup(options.from);
  const dirs = [options.archive, options.wal, fromBackup ? undefined : options.from]
    .filter((dir): dir is string => dir !== undefined);
  const segments = listArchived(dirs);
  if (!fromBackup && segments.length === 0) {
    throw new PlanckError(
      "not_found",
      `"${options.from}" is neither a backup (no ${MANIFEST_FILE}) nor a WAL archive (no segment files)`,
      { file: options.from },
    );
  }
  const staging = `${target}.restoring`;
  await Deno.remove(staging, { recursive: true }).catch(() => {}); // a restore a crash left behind
  try {
    let baseLsn = 0;
    let baseMs = -Infinity;
    if (fromBackup) {
      if ("ms" in options.until) {
        baseMs = Date.parse((await withBackupDir(options.from, readManifest)).createdAt);
      }
      baseLsn = (await restoreBackup(options.from, staging, { quiet: options.quiet })).lsn;
      log(`planck restore: base: backup "${options.from}" at LSN ${baseLsn}`);
    }
    const untilLsn = pointLsn(options.until, { baseLsn, baseMs, fromBackup }, clockOf(dirs));
    const result = await replay(staging, segments, baseLsn, untilLsn, options.until);
    log(
      `planck restore: applied ${result.groups} archived groups: LSN ${baseLsn} -> ${result.lsn}` +
        ` (the segments read hold LSNs up to ${result.archiveLsn})`,
    );
    await moveIntoPlace(staging, target, options.force === true);
    return { ...result, base: fromBackup ? "backup" : "empty", baseLsn };
  } catch (error) {
    await Deno.remove(staging, { recursive: true }).catch(() => {});
    throw error;
  }
}

/** Every clock mark of `dirs`, by LSN. */
function clockOf(dirs: readonly string[]): ClockMark[] {
  return dirs.flatMap((dir) => readClock(dir).marks).sort((a, b) => a.lsn - b.lsn || a.ms - b.ms);
}

/** The LSN to restore up to. @throws PlanckError `invalid_argument` when it lies before the base */
function pointLsn(
  until: RestorePoint,
  base: { baseLsn: number; baseMs: number; fromBackup: boolean },
  marks: ClockMark[],
): number {
  if ("lsn" in until) {
    if (until.lsn < base.baseLsn) {
      throw new PlanckError(
        "invalid_argument",
        `--until LSN ${until.lsn} is before the backup's LSN ${base.baseLsn}: restore from an older backup, ` +
          `or from the archive alone`,
        { field: "until", lsn: BigInt(base.baseLsn) },
      );
    }
    return until.lsn;
  }
  if (base.fromBackup && until.ms < base.baseMs) {
    throw new PlanckError(
      "invalid_argument",
      `--until ${until.text} is before the backup (made ${new Date(base.baseMs).toISOString()}, ` +
        `LSN ${base.baseLsn}): restore from an older backup, or from the archive alone`,
      { field: "until", lsn: BigInt(base.baseLsn) },
    );
  }
  const marked = lsnAtTime(marks, until.ms);
  if (marked === null && !base.fromBackup) {
    const first = marks[0];
    throw new PlanckError(
      "invalid_argument",
      first === undefined
        ? `--until ${until.text}: the archive has no clock file, so no time can be turned into an LSN; give an LSN`
        : `--until ${until.text} is before the archive's first clock mark (${
          new Date(first.ms).toISOString()
        }, ` +
          `LSN ${first.lsn})`,
      { field: "until" },
    );
  }
  return Math.max(base.baseLsn, marked ?? 0);
}

/** Applies the archived groups after `baseLsn` up to `untilLsn` to the database in `dir`. */
async function replay(
  dir: string,
  segments: ReturnType<typeof listArchived>,
  baseLsn: number,
  untilLsn: number,
  until: RestorePoint,
): Promise<{ lsn: number; groups: number; archiveLsn: number }> {
  const db = await openDatabase(dir);
  try {
    if (db.lastLsn !== baseLsn) {
      throw new PlanckError("internal", `The base opened at LSN ${db.lastLsn}, expected ${baseLsn}`, {
        file: dir,
      });
    }
    let groups = 0;
    let archiveLsn = baseLsn;
    for (const group of groupsFrom(segments, baseLsn + 1)) {
      archiveLsn = group.commitLsn;
      if (group.commitLsn > untilLsn) break;
      applyReplicated(db, group.frames, group.commitLsn);
      groups++;
      if (groups % 1024 === 0) await db.sync();
    }
    await db.sync();
    // A point past every archived group is refused: the state there is not known. (A point inside
    // the next group, or a time, stops at the last group committed at or before it.)
    if (archiveLsn < untilLsn) {
      const last = segments[segments.length - 1];
      const point = "lsn" in until
        ? `LSN ${until.lsn}`
        : `${until.text} (LSN ${untilLsn} by the archive's clock)`;
      throw new PlanckError(
        "not_found",
        `The archive ends at LSN ${archiveLsn}${last === undefined ? "" : ` (segment "${last.path}")`}, ` +
          `before ${point}: the segments after it are not archived yet (pass the primary's wal/ copy with --wal)`,
        { file: last?.path, lsn: BigInt(archiveLsn + 1) },
      );
    }
    return { lsn: db.lastLsn, groups, archiveLsn };
  } finally {
    await db.close();
  }
}

/** Renames the finished `staging` to `target` (replacing its content with `force`, under its lock). */
async function moveIntoPlace(staging: string, target: string, force: boolean): Promise<void> {
  if (force) {
    await Deno.mkdir(target, { recursive: true });
    lockDir(target).release(); // refuses (locked) while a server holds it
  }
  await Deno.remove(target, { recursive: true }).catch((error) => {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  });
  await Deno.rename(staging, target);
}
