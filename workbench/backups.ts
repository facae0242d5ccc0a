/**
 * What the Backups screen and `/api/backups` read and do: the backup files (`planck-<UTC time>-lsn<N>.tar`,
 * the scheduler's naming) in the backup directories — the default `<data>-backups` and the `dir`
 * option of every backup or restore-drill schedule — an online backup into the default directory
 * (host/ops/: the database pinned at one LSN while writes go on), verify, restore into a new
 * directory, and the file itself for a download.
 *
 * Invariants: admins only (a backup holds every store, the users' key hashes included); a backup is
 * named by its file name only and looked up in the known directories (no path from the request is
 * ever opened); a restore never targets the server's own data directory or a non-empty one.
 */
import { resolve, sep } from "node:path";
import { PlanckError } from "../protocol/errors.ts";
import {
  backupSource,
  databaseSource,
  restoreBackup,
  verifyBackup,
  type VerifyResult,
} from "../host/ops/mod.ts";
import { backupDir } from "../host/schedule/tasks.ts";
import { authorize } from "../host/wire/authorize.ts";
import type { WorkbenchParts } from "../host/server/workbench_hook.ts";
import type { Principal } from "./access.ts";
import { BACKUPS_LISTED_MAX } from "./limits.ts";

/** The name of a backup file (as the scheduler's backup task writes them). */
export const BACKUP_NAME = /^planck-(\d{8}T\d{6}Z)-lsn(\d+)\.tar$/;

/** One backup file. */
export interface BackupRow {
  name: string;
  dir: string;
  bytes: number;
  /** When it was taken (from its name), ISO. */
  takenAt: string;
  lsn: number;
  /** The last verification from this workbench since the server started, if any. */
  verified?: { at: string; ok: boolean; message: string };
}

const VERIFIED = new WeakMap<WorkbenchParts, Map<string, NonNullable<BackupRow["verified"]>>>();

function verifiedOf(parts: WorkbenchParts) {
  let map = VERIFIED.get(parts);
  if (map === undefined) VERIFIED.set(parts, map = new Map());
  return map;
}

function allow(who: Principal, what: string): void {
  authorize(who.user, { access: "admin", what });
}

/** The directories backups are listed from, the default first. */
export function backupDirs(parts: WorkbenchParts): string[] {
  const dirs = [backupDir({}, parts.dataDir)];
  for (const s of parts.scheduler?.list() ?? []) {
    if (s.task === "backup" || s.task === "restore-drill") dirs.push(backupDir(s.options, parts.dataDir));
  }
  return [...new Set(dirs.map((d) => resolve(d)))];
}

/** Every backup file, newest first. */
export async function listBackups(parts: WorkbenchParts, who: Principal): Promise<BackupRow[]> {
  allow(who, "listing backups");
  const rows: BackupRow[] = [];
  const verified = verifiedOf(parts);
  for (const dir of backupDirs(parts)) {
    let n = 0;
    try {
      for await (const entry of Deno.readDir(dir)) {
        const m = BACKUP_NAME.exec(entry.name);
        if (!entry.isFile || m === null || n++ >= BACKUPS_LISTED_MAX) continue;
        const info = await Deno.stat(`${dir}/${entry.name}`).catch(() => null);
        if (info === null) continue;
        const t = m[1];
        rows.push({
          name: entry.name,
          dir,
          bytes: info.size,
          takenAt: `${t.slice(0, 4)}-${t.slice(4, 6)}-${t.slice(6, 8)}T${t.slice(9, 11)}:${t.slice(11, 13)}:${
            t.slice(13, 15)
          }Z`,
          lsn: Number(m[2]),
          verified: verified.get(`${dir}/${entry.name}`),
        });
      }
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
  return rows.sort((a, b) => a.name < b.name ? 1 : a.name > b.name ? -1 : 0);
}

/** The path of backup `name`. @throws PlanckError `invalid_argument` (not a backup name), `not_found` */
export async function backupPath(parts: WorkbenchParts, name: string): Promise<string> {
  if (!BACKUP_NAME.test(name)) {
    throw new PlanckError(
      "invalid_argument",
      `"${name.slice(0, 80)}" is not a backup name (planck-…-lsnN.tar)`,
      {
        field: "name",
      },
    );
  }
  for (const dir of backupDirs(parts)) {
    const path = `${dir}/${name}`;
    try {
      if ((await Deno.stat(path)).isFile) return path;
    } catch {
      // not in this directory
    }
  }
  throw new PlanckError("not_found", `No backup "${name}"`, { field: "name" });
}

function stamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
}

/** Takes an online backup into the default directory. @throws PlanckError `conflict` (one with that name exists) */
export async function createBackup(parts: WorkbenchParts, who: Principal): Promise<BackupRow & VerifyResult> {
  allow(who, "taking a backup");
  const dir = backupDirs(parts)[0];
  await Deno.mkdir(dir, { recursive: true });
  const source = await databaseSource(parts.db);
  const name = `planck-${stamp(Date.now())}-lsn${source.lsn}.tar`;
  const path = `${dir}/${name}`;
  if (await Deno.stat(path).then(() => true, () => false)) {
    await source.release();
    throw new PlanckError("conflict", `Backup "${name}" exists (one was taken this second at the same LSN)`);
  }
  const manifest = await backupSource(source, path, { quiet: true, label: "online" });
  parts.logs.add("info", `planck: workbench: ${who.user.name} took backup ${path} (LSN ${manifest.lsn})`);
  const rows = await listBackups(parts, who);
  const row = rows.find((r) => r.name === name)!;
  return {
    ...row,
    files: manifest.files.length,
    stores: manifest.stores,
  };
}

/** Verifies backup `name` (checksums, then a scratch restore compared with its manifest). */
export async function verify(
  parts: WorkbenchParts,
  who: Principal,
  name: string,
): Promise<{ name: string; ok: boolean; message: string; result?: VerifyResult }> {
  allow(who, "verifying a backup");
  const path = await backupPath(parts, name);
  const at = new Date().toISOString();
  try {
    const result = await verifyBackup(path, { quiet: true });
    const message =
      `LSN ${result.lsn}, ${result.files} files, ${result.bytes} bytes, ${result.stores.length} stores`;
    verifiedOf(parts).set(path, { at, ok: true, message });
    return { name, ok: true, message, result };
  } catch (error) {
    const message = (error as Error).message;
    verifiedOf(parts).set(path, { at, ok: false, message });
    return { name, ok: false, message };
  }
}

/**
 * Restores backup `name` into `target` (absolute; missing or empty; never the server's own data).
 * @throws PlanckError `invalid_argument` (target), `conflict` (not empty), CorruptionError (damaged backup)
 */
export async function restore(
  parts: WorkbenchParts,
  who: Principal,
  name: string,
  target: unknown,
): Promise<VerifyResult & { name: string; target: string }> {
  allow(who, "restoring a backup");
  if (typeof target !== "string" || !target.startsWith("/") || target.includes("\0")) {
    throw new PlanckError("invalid_argument", 'Invalid "target": expected an absolute directory path', {
      field: "target",
    });
  }
  const resolved = resolve(target);
  const data = resolve(parts.dataDir);
  if (resolved === data || resolved.startsWith(data + sep) || data.startsWith(resolved + sep)) {
    throw new PlanckError(
      "invalid_argument",
      "The restore target must be a new directory outside the server's data",
      {
        field: "target",
      },
    );
  }
  const path = await backupPath(parts, name);
  const result = await restoreBackup(path, resolved, { quiet: true });
  parts.logs.add("info", `planck: workbench: ${who.user.name} restored ${name} into ${resolved}`);
  return { ...result, name, target: resolved };
}

/** `GET /api/backups/NAME/download`: the tar file. */
export async function download(
  parts: WorkbenchParts,
  who: Principal,
  name: string,
  headOnly = false,
): Promise<Response> {
  allow(who, "downloading a backup");
  const path = await backupPath(parts, name);
  const headers = {
    "content-type": "application/x-tar",
    "content-length": String((await Deno.stat(path)).size),
    "content-disposition": `attachment; filename="${name}"`,
    "cache-control": "no-store",
  };
  if (headOnly) return new Response(null, { headers });
  const file = await Deno.open(path);
  return new Response(file.readable, { headers });
}
