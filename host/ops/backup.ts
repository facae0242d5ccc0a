/**
 * `planck backup --to DIR --data DIR` (offline): a consistent copy of a stopped server's data
 * directory as of one LSN. The database is opened (recovering it), flushed and closed, so its
 * LSN and per-store counts are known; then the directory lock is taken again for the whole copy,
 * so no server can write while the files are copied and hashed. `manifest.json` is written last:
 * a backup without it is incomplete and `verify` says so.
 *
 * Invariants: the target is empty or missing; every copied file is hashed from the copy (what
 * verify will read), with its size; the manifest lists exactly the files copied.
 */
import { openDatabase } from "../../engine/db/database.ts";
import { lockDir } from "../../engine/db/dir_lock.ts";
import { PlanckError } from "../../protocol/errors.ts";
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

/** Counts documents store by store, and the last LSN, of a directory (opened, then closed). */
export async function inventory(dir: string): Promise<{ lsn: number; stores: Manifest["stores"] }> {
  const db = await openDatabase(dir);
  try {
    await db.flush();
    const stores = db.listStores().map((store) => {
      let documents = 0;
      for (const _ of db.scan(store.id)) documents++;
      return { name: store.name, documents };
    });
    return { lsn: db.lastLsn, stores };
  } finally {
    await db.close();
  }
}

/** Fails unless `dir` is missing or empty (creates it). @throws PlanckError `conflict` */
export async function ensureEmptyDir(dir: string, what: string): Promise<void> {
  try {
    for await (const _ of Deno.readDir(dir)) {
      throw new PlanckError("conflict", `${what} "${dir}" is not empty`, { file: dir });
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  await Deno.mkdir(dir, { recursive: true });
}

/** Copies `source` (a data directory, no server on it) into the empty `target` (or a new `.tar` file) with a manifest. */
export async function backupDirectory(
  source: string,
  target: string,
  options: { quiet?: boolean } = {},
): Promise<Manifest> {
  if (!isTarPath(target)) return await backupToDirectory(source, target, options);
  const staging = await tarStaging(target);
  try {
    const manifest = await backupToDirectory(source, staging, options);
    await writeTar(target, staging, [MANIFEST_FILE, ...manifest.files.map((file) => file.path)]);
    return manifest;
  } finally {
    await Deno.remove(staging, { recursive: true }).catch(() => {});
  }
}

async function backupToDirectory(
  source: string,
  target: string,
  options: { quiet?: boolean },
): Promise<Manifest> {
  await ensureEmptyDir(target, "Backup target");
  const { lsn, stores } = await inventory(source);
  const lock = lockDir(source);
  try {
    const paths = await listFiles(source);
    let totalBytes = 0;
    for (const path of paths) totalBytes += (await Deno.stat(`${source}/${path}`)).size;
    const progress = new Progress("backup", { totalBytes, quiet: options.quiet, unit: "files" });
    const files: Manifest["files"] = [];
    let done = 0;
    for (const path of paths) {
      const slash = path.lastIndexOf("/");
      if (slash > 0) await Deno.mkdir(`${target}/${path.slice(0, slash)}`, { recursive: true });
      await Deno.copyFile(`${source}/${path}`, `${target}/${path}`);
      const { sha256, bytes } = await hashFile(`${target}/${path}`);
      files.push({ path, bytes, sha256 });
      done += bytes;
      progress.update(files.length, done);
    }
    progress.done(files.length, done);
    const manifest: Manifest = {
      format: MANIFEST_FORMAT,
      version: MANIFEST_VERSION,
      lsn,
      createdAt: new Date().toISOString(),
      source,
      stores,
      files,
    };
    await Deno.writeTextFile(`${target}/${MANIFEST_FILE}`, JSON.stringify(manifest, null, 2) + "\n");
    return manifest;
  } finally {
    lock.release();
  }
}
