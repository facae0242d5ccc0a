/**
 * Where an online backup reads: a BackupSource is the file list of a pinned database (every file
 * as of one LSN, with its length) and a reader of byte ranges of those files. `databaseSource`
 * pins an open database in this process (engine/db/file_pin.ts); the wire's backup ops serve the
 * same source to a remote client (host/wire/ops_backup.ts, client side in remote_source.ts).
 *
 * What is listed: every regular file of the data directory except LOCK, the server log, the tree's
 * compaction scratch file and WAL segments created after the pin; the last pinned WAL segment is
 * listed up to the pin's length (the end of the group at the LSN), every other file whole.
 *
 * Invariants: only listed paths are read, never past their listed length; `release` is idempotent.
 */
import type { Database } from "../../engine/db/database.ts";
import { PlanckError } from "../../protocol/errors.ts";
import { listFiles } from "./manifest.ts";

/** Bytes one read returns at most (also the wire's backupRead limit). */
export const BACKUP_READ_BYTES_MAX = 4 * 1024 * 1024;
/** Files of a data directory an online backup leaves out besides LOCK: the server log and compaction scratch. */
export const ONLINE_SKIPPED_FILES = ["planck.log", "index.btree.compact"] as const;

/** A file of a source: relative path and the bytes to copy. */
export interface SourceFile {
  path: string;
  bytes: number;
}

/** A pinned set of files as of one LSN. */
export interface BackupSource {
  lsn: number;
  files: SourceFile[];
  /** Reads `length` bytes of `path` at `offset` (within its listed length). */
  read(path: string, offset: number, length: number): Promise<Uint8Array>;
  /** Lets the database checkpoint and remove WAL segments again. */
  release(): Promise<void>;
}

/** Pins `db` and lists its files. Writes go on; call `release` when the files are copied. */
export async function databaseSource(db: Database): Promise<BackupSource> {
  const pin = await db.pinFiles();
  try {
    await db.waitDurable(pin.lsn); // a backup never holds a write a power cut could still take back
    const prefix = `${db.dir}/`;
    const wal = pin.wal.map((path) => path.startsWith(prefix) ? path.slice(prefix.length) : path);
    const pinnedWal = new Set(wal);
    const files: SourceFile[] = [];
    for (const path of await listFiles(db.dir)) {
      if ((ONLINE_SKIPPED_FILES as readonly string[]).includes(path)) continue;
      if (path.startsWith("wal/") && !pinnedWal.has(path)) continue; // created after the pin
      const bytes = path === wal.at(-1) ? pin.activeBytes : (await Deno.stat(`${db.dir}/${path}`)).size;
      files.push({ path, bytes });
    }
    const byPath = new Map(files.map((file) => [file.path, file]));
    return {
      lsn: pin.lsn,
      files,
      read: (path, offset, length) => readRange(db.dir, byPath, path, offset, length),
      release: () => Promise.resolve(pin.release()),
    };
  } catch (error) {
    pin.release();
    throw error;
  }
}

/** Checks a read against the listing and reads it. @throws PlanckError `invalid_argument` */
export async function readRange(
  dir: string,
  files: ReadonlyMap<string, SourceFile>,
  path: string,
  offset: number,
  length: number,
): Promise<Uint8Array> {
  const file = files.get(path);
  if (file === undefined) {
    throw new PlanckError("invalid_argument", `"${path.slice(0, 200)}" is not a file of this backup`, {
      field: "path",
    });
  }
  const ok = Number.isInteger(offset) && Number.isInteger(length) && offset >= 0 && length >= 0 &&
    length <= BACKUP_READ_BYTES_MAX && offset + length <= file.bytes;
  if (!ok) {
    throw new PlanckError(
      "invalid_argument",
      `Invalid range ${offset}+${length} of "${path}" (${file.bytes} bytes, at most ${BACKUP_READ_BYTES_MAX} a read)`,
      { field: "offset", limit: "BACKUP_READ_BYTES_MAX" },
    );
  }
  const out = new Uint8Array(length);
  using handle = await Deno.open(`${dir}/${path}`);
  await handle.seek(offset, Deno.SeekMode.Start);
  let at = 0;
  while (at < length) {
    const n = await handle.read(out.subarray(at));
    if (n === null) {
      throw new PlanckError(
        "internal",
        `Backup file "${path}" ended at ${offset + at} bytes, listed ${file.bytes}`,
        {
          file: `${dir}/${path}`,
        },
      );
    }
    at += n;
  }
  return out;
}
