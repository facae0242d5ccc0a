/**
 * The online-backup ops (admin only; docs/wire-protocol.md, "Backup"): `backupBegin` pins the
 * database (engine/db/file_pin.ts) and lists its files as of one LSN; `backupRead` returns a byte
 * range of a listed file; `backupEnd` releases the pin. The client writes the copy on its own
 * machine: the server never writes anywhere for a client, and reads only the files it listed.
 *
 * A held backup is released by `backupEnd`, after BACKUP_IDLE_MS without a read, or when the server
 * stops (`releaseBackups`). At most BACKUPS_HELD_MAX are held at once per database.
 *
 * Invariants: every op checks the backup id and the range against the listing; a pin is released
 * exactly once.
 */
import type { Database } from "../../engine/db/database.ts";
import { PlanckError } from "../../protocol/errors.ts";
import { BACKUP_READ_BYTES_MAX, type BackupSource, databaseSource } from "../ops/backup_source.ts";
import { expectFields, type OpCall, optionalInteger, stringField } from "./request.ts";

/** A held backup is released after this long without a read. */
export const BACKUP_IDLE_MS = 60_000;
/** Backups held at once per database. */
export const BACKUPS_HELD_MAX = 4;

interface Held {
  source: BackupSource;
  timer: ReturnType<typeof setTimeout>;
}

const HELD = new WeakMap<Database, Map<string, Held>>();

function heldOf(db: Database): Map<string, Held> {
  let map = HELD.get(db);
  if (map === undefined) HELD.set(db, map = new Map());
  return map;
}

function arm(db: Database, id: string): ReturnType<typeof setTimeout> {
  const timer = setTimeout(() => void release(db, id), BACKUP_IDLE_MS);
  Deno.unrefTimer(timer);
  return timer;
}

async function release(db: Database, id: string): Promise<boolean> {
  const map = heldOf(db);
  const held = map.get(id);
  if (held === undefined) return false;
  map.delete(id);
  clearTimeout(held.timer);
  await held.source.release();
  return true;
}

/** Releases every backup held on `db` (the server calls it before closing the database). */
export async function releaseBackups(db: Database): Promise<void> {
  for (const id of [...heldOf(db).keys()]) await release(db, id);
}

/** `backupBegin {}` → `{backup, lsn, files: [{path, bytes}], readBytesMax, pauseMs}`. */
export async function opBackupBegin({ ctx, request }: OpCall): Promise<unknown> {
  expectFields(request, []);
  const map = heldOf(ctx.db);
  if (map.size >= BACKUPS_HELD_MAX) {
    throw new PlanckError("limit_exceeded", `${BACKUPS_HELD_MAX} backups are already running`, {
      limit: "BACKUPS_HELD_MAX",
    });
  }
  const source = await databaseSource(ctx.db);
  const id = crypto.randomUUID();
  map.set(id, { source, timer: arm(ctx.db, id) });
  return {
    backup: id,
    lsn: source.lsn,
    files: source.files,
    readBytesMax: BACKUP_READ_BYTES_MAX,
    pauseMs: source.pauseMs,
  };
}

/** `backupRead {backup, path, offset, length}` → `{data: <binary>}`. */
export async function opBackupRead({ ctx, request }: OpCall): Promise<unknown> {
  expectFields(request, ["backup", "path", "offset", "length"]);
  const id = stringField(request, "backup");
  const held = heldOf(ctx.db).get(id);
  if (held === undefined) throw unknownBackup(id);
  clearTimeout(held.timer);
  held.timer = arm(ctx.db, id);
  const offset = optionalInteger(request, "offset", { min: 0, max: Number.MAX_SAFE_INTEGER }) ?? 0;
  const length = optionalInteger(request, "length", { min: 0, max: BACKUP_READ_BYTES_MAX }) ?? 0;
  return { data: await held.source.read(stringField(request, "path"), offset, length) };
}

/**
 * `backupEnd {backup, counts?}` → `{released: true}`; with `counts: true` the documents of every
 * store as of the pinned LSN are counted first: `{released: true, lsn, stores: [{name, documents}]}`.
 */
export async function opBackupEnd({ ctx, request }: OpCall): Promise<unknown> {
  expectFields(request, ["backup", "counts"]);
  const id = stringField(request, "backup");
  const held = heldOf(ctx.db).get(id);
  if (held === undefined) throw unknownBackup(id);
  if (request.counts !== undefined && typeof request.counts !== "boolean") {
    throw new PlanckError("invalid_argument", `"counts" must be a boolean`, { field: "counts" });
  }
  let stores: unknown;
  try {
    if (request.counts === true) {
      clearTimeout(held.timer); // counting is not idleness
      stores = await held.source.stores();
    }
  } finally {
    await release(ctx.db, id);
  }
  return stores === undefined ? { released: true } : { released: true, lsn: held.source.lsn, stores };
}

function unknownBackup(id: string): PlanckError {
  return new PlanckError(
    "not_found",
    `No running backup "${id.slice(0, 40)}" (ended, or idle past ${BACKUP_IDLE_MS} ms)`,
    {
      field: "backup",
    },
  );
}
