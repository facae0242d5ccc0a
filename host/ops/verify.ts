/**
 * `planck verify BACKUP` and `planck restore --from BACKUP --data DIR`. Verify checks every file
 * of the manifest (present, size, SHA-256; extra files are reported too), then restores into a
 * scratch directory, opens it and compares its LSN and per-store counts with the manifest, and
 * removes the scratch copy: the backup itself is only read. Restore verifies the checksums, copies
 * into the target (empty, or any content removed with `force`, under the target's lock), and
 * checks the restored directory's LSN and counts the same way.
 *
 * Invariants: a damaged backup is never restored; errors name the file at fault.
 */
import { lockDir } from "../../engine/db/dir_lock.ts";
import { CorruptionError } from "../../engine/disk_errors.ts";
import { PlanckError } from "../../protocol/errors.ts";
import { ensureEmptyDir, inventory } from "./backup.ts";
import { hashFile, listFiles, type Manifest, readManifest } from "./manifest.ts";
import { Progress } from "./progress.ts";
import { extractTar } from "./tar.ts";

/** What verify or restore found. */
export interface VerifyResult {
  lsn: number;
  files: number;
  bytes: number;
  stores: Manifest["stores"];
}

/** Checks the checksums of `backupDir`. @throws CorruptionError naming the damaged file */
export async function verifyChecksums(
  backupDir: string,
  options: { quiet?: boolean } = {},
): Promise<Manifest> {
  const manifest = await readManifest(backupDir);
  const listed = new Set(manifest.files.map((file) => file.path));
  for (const path of await listFiles(backupDir)) {
    if (!listed.has(path)) {
      throw new CorruptionError(`Backup file "${path}" is not in the manifest`, {
        file: `${backupDir}/${path}`,
        offset: 0,
      });
    }
  }
  const totalBytes = manifest.files.reduce((sum, file) => sum + file.bytes, 0);
  const progress = new Progress("verify", { totalBytes, quiet: options.quiet, unit: "files" });
  let done = 0;
  let count = 0;
  for (const file of manifest.files) {
    const path = `${backupDir}/${file.path}`;
    let actual: { sha256: string; bytes: number };
    try {
      actual = await hashFile(path);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
      throw new CorruptionError(`Backup file "${file.path}" is missing`, { file: path, offset: 0 });
    }
    if (actual.bytes !== file.bytes) {
      throw new CorruptionError(
        `Backup file "${file.path}" has ${actual.bytes} bytes, the manifest says ${file.bytes}`,
        {
          file: path,
          offset: Math.min(actual.bytes, file.bytes),
        },
      );
    }
    if (actual.sha256 !== file.sha256) {
      throw new CorruptionError(`Backup file "${file.path}" is damaged: SHA-256 mismatch`, {
        file: path,
        offset: 0,
      });
    }
    done += actual.bytes;
    progress.update(++count, done);
  }
  progress.done(count, done);
  return manifest;
}

/** Copies a verified backup into `target` and checks the result opens at the manifest's LSN and counts. */
async function copyOut(backupDir: string, manifest: Manifest, target: string): Promise<void> {
  const lock = lockDir(target);
  try {
    for (const file of manifest.files) {
      const slash = file.path.lastIndexOf("/");
      if (slash > 0) await Deno.mkdir(`${target}/${file.path.slice(0, slash)}`, { recursive: true });
      await Deno.copyFile(`${backupDir}/${file.path}`, `${target}/${file.path}`);
    }
  } finally {
    lock.release();
  }
  const found = await inventory(target);
  if (found.lsn !== manifest.lsn) {
    throw new PlanckError(
      "corruption",
      `Restored directory "${target}" opened at LSN ${found.lsn}, the backup is at ${manifest.lsn}`,
      {
        file: target,
      },
    );
  }
  const expected = JSON.stringify(manifest.stores);
  if (JSON.stringify(found.stores) !== expected) {
    throw new PlanckError(
      "corruption",
      `Restored directory "${target}" has stores ${
        JSON.stringify(found.stores)
      }, the manifest says ${expected}`,
      {
        file: target,
      },
    );
  }
}

/** Verifies `backup` (a directory or a tar file): checksums, then a scratch restore opened and counted. */
export function verifyBackup(backup: string, options: { quiet?: boolean } = {}): Promise<VerifyResult> {
  return withBackupDir(backup, async (backupDir) => {
    const manifest = await verifyChecksums(backupDir, options);
    const scratch = await Deno.makeTempDir({ prefix: "planck_verify_" });
    try {
      await copyOut(backupDir, manifest, scratch);
    } finally {
      await Deno.remove(scratch, { recursive: true });
    }
    return summary(manifest);
  });
}

/** Restores `backup` (a directory or a tar file) into `target`. @throws PlanckError `conflict` for a non-empty target without force */
export function restoreBackup(
  backup: string,
  target: string,
  options: { force?: boolean; quiet?: boolean } = {},
): Promise<VerifyResult> {
  return withBackupDir(backup, async (backupDir) => {
    const manifest = await verifyChecksums(backupDir, options);
    if (options.force) await clearDir(target);
    else await ensureEmptyDir(target, "Restore target (pass --force to replace it)");
    await copyOut(backupDir, manifest, target);
    return summary(manifest);
  });
}

/**
 * Runs `fn` on the backup directory: `backup` itself, or a tar file extracted into a scratch
 * directory (removed after). Checksum errors then name the file inside the archive.
 */
export async function withBackupDir<T>(backup: string, fn: (dir: string) => Promise<T>): Promise<T> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(backup);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    throw new PlanckError("not_found", `No backup at "${backup}"`, { file: backup });
  }
  if (info.isDirectory) return await fn(backup);
  const scratch = await Deno.makeTempDir({ prefix: "planck_untar_" });
  try {
    await extractTar(backup, scratch);
    return await fn(scratch);
  } finally {
    await Deno.remove(scratch, { recursive: true });
  }
}

/** Removes everything in `dir` (creating it if missing), refusing while a server holds it. */
async function clearDir(dir: string): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  const lock = lockDir(dir);
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.name !== "LOCK") await Deno.remove(`${dir}/${entry.name}`, { recursive: true });
    }
  } finally {
    lock.release();
  }
}

function summary(manifest: Manifest): VerifyResult {
  const bytes = manifest.files.reduce((sum, file) => sum + file.bytes, 0);
  return { lsn: manifest.lsn, files: manifest.files.length, bytes, stores: manifest.stores };
}
