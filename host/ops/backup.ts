/**
 * `planck backup --to DIR --data DIR` (offline): the stopped server's data directory is opened in
 * this process (recovering it, so a crashed directory is backed up in its recovered state; the open
 * database holds the directory's LOCK, so no server can start on it meanwhile) and backed up exactly
 * as a running server is (host/ops/online_backup.ts: pinned at one LSN, each file read once, hashed
 * and written), then closed.
 *
 * Invariants: the target is empty or missing (a directory) or does not exist (a tar); the manifest
 * lists exactly the files copied, with the counts as of its LSN.
 */
import { openDatabase } from "../../engine/db/database.ts";
import { databaseSource } from "./backup_source.ts";
import type { Manifest } from "./manifest.ts";
import { backupSource } from "./online_backup.ts";

export { ensureEmptyDir } from "./backup_sink.ts";

/** Counts documents store by store, and the last LSN, of a directory (opened, then closed). */
export async function inventory(dir: string): Promise<{ lsn: number; stores: Manifest["stores"] }> {
  const db = await openDatabase(dir);
  try {
    const pin = await db.pinFiles();
    try {
      return { lsn: pin.lsn, stores: await pin.counts() };
    } finally {
      pin.release();
    }
  } finally {
    await db.close();
  }
}

/** Backs up `source` (a data directory, no server on it) into the empty `target` (or a new `.tar` file). */
export async function backupDirectory(
  source: string,
  target: string,
  options: { quiet?: boolean } = {},
): Promise<Manifest> {
  const db = await openDatabase(source);
  try {
    return await backupSource(await databaseSource(db), target, { quiet: options.quiet, label: source });
  } finally {
    await db.close();
  }
}
