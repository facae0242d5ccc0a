/**
 * `planck backup` while the server runs: copies a BackupSource (a pinned database, here or over
 * the wire) into a staging directory, releases the pin, then opens the staging copy (recovery
 * replays the copied WAL up to the pinned LSN), counts its stores, closes it (which checkpoints),
 * and writes the manifest: the same layout as an offline backup, as a directory or one tar file.
 *
 * Invariants: the pin is released whatever happens; the copy opens at exactly the pinned LSN
 * (asserted); `manifest.json` is written last, so a directory without it is incomplete; a tar is
 * written to `PATH.partial` and renamed into place when whole.
 */
import { PlanckError } from "../../protocol/errors.ts";
import { ensureEmptyDir, inventory } from "./backup.ts";
import { BACKUP_READ_BYTES_MAX, type BackupSource } from "./backup_source.ts";
import {
  hashFile,
  listFiles,
  type Manifest,
  MANIFEST_FILE,
  MANIFEST_FORMAT,
  MANIFEST_VERSION,
} from "./manifest.ts";
import { Progress } from "./progress.ts";
import { isTarPath, tarStaging, writeTar } from "./tar.ts";

/** Backs up `source` into `target` (a directory, or a `.tar` file); always releases the source. */
export async function backupSource(
  source: BackupSource,
  target: string,
  options: { quiet?: boolean; label?: string } = {},
): Promise<Manifest> {
  const tar = isTarPath(target);
  let staging: string;
  try {
    staging = tar ? await tarStaging(target) : (await ensureEmptyDir(target, "Backup target"), target);
  } catch (error) {
    await source.release();
    throw error;
  }
  try {
    try {
      await copySource(source, staging, options.quiet);
    } finally {
      await source.release();
    }
    const manifest = await finishBackup(staging, source.lsn, options.label ?? "online");
    if (tar) await writeTar(target, staging, [MANIFEST_FILE, ...manifest.files.map((file) => file.path)]);
    return manifest;
  } finally {
    if (tar) await Deno.remove(staging, { recursive: true }).catch(() => {});
  }
}

/** Copies every file of `source` into `dir`, chunk by chunk. */
async function copySource(source: BackupSource, dir: string, quiet?: boolean): Promise<void> {
  const totalBytes = source.files.reduce((sum, file) => sum + file.bytes, 0);
  const progress = new Progress("backup", { totalBytes, quiet, unit: "files" });
  let done = 0;
  let count = 0;
  for (const file of source.files) {
    const slash = file.path.lastIndexOf("/");
    if (slash > 0) await Deno.mkdir(`${dir}/${file.path.slice(0, slash)}`, { recursive: true });
    using out = await Deno.open(`${dir}/${file.path}`, { write: true, createNew: true });
    for (let offset = 0; offset < file.bytes; offset += BACKUP_READ_BYTES_MAX) {
      const chunk = await source.read(
        file.path,
        offset,
        Math.min(BACKUP_READ_BYTES_MAX, file.bytes - offset),
      );
      for (let at = 0; at < chunk.length;) at += await out.write(chunk.subarray(at));
      done += chunk.length;
      progress.update(count, done);
    }
    count++;
  }
  progress.done(count, done);
}

/**
 * Opens the copy in `dir` (recovering it), counts its stores, closes it, hashes every file and
 * writes the manifest. @throws PlanckError `internal` when the copy does not open at `lsn`
 */
export async function finishBackup(dir: string, lsn: number, source: string): Promise<Manifest> {
  const found = await inventory(dir);
  if (found.lsn !== lsn) {
    throw new PlanckError("internal", `The backup copy opened at LSN ${found.lsn}, pinned at ${lsn}`, {
      file: dir,
    });
  }
  const files: Manifest["files"] = [];
  for (const path of await listFiles(dir)) {
    const { sha256, bytes } = await hashFile(`${dir}/${path}`);
    files.push({ path, bytes, sha256 });
  }
  const manifest: Manifest = {
    format: MANIFEST_FORMAT,
    version: MANIFEST_VERSION,
    lsn,
    createdAt: new Date().toISOString(),
    source,
    stores: found.stores,
    files,
  };
  await Deno.writeTextFile(`${dir}/${MANIFEST_FILE}`, JSON.stringify(manifest, null, 2) + "\n");
  return manifest;
}
