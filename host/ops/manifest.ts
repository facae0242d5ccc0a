/**
 * The manifest of a backup (`manifest.json` in the backup directory) and the file walk and SHA-256
 * it is built from. Format (docs/operations.md, "Backups"): `{"format":"planck-backup","version":1,
 * "lsn":N,"createdAt":ISO,"source":DIR,"stores":[{"name","documents"}],"files":[{"path","bytes","sha256"}]}`.
 *
 * Invariants: paths are relative, "/"-separated, sorted, never ".." or absolute; the manifest
 * itself and the data directory's LOCK file are never listed.
 */
import { createHash } from "node:crypto";
import { CorruptionError } from "../../engine/disk_errors.ts";
import { PlanckError } from "../../protocol/errors.ts";

/** The manifest's file name inside a backup. */
export const MANIFEST_FILE = "manifest.json";
/** The manifest format name and version this code writes and reads. */
export const MANIFEST_FORMAT = "planck-backup";
export const MANIFEST_VERSION = 1;
/** Files of a data directory a backup leaves out. */
export const BACKUP_SKIPPED_FILES = ["LOCK"] as const;

/** One copied file. */
export interface ManifestFile {
  path: string;
  bytes: number;
  sha256: string;
}

/** A backup's manifest. */
export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  version: typeof MANIFEST_VERSION;
  lsn: number;
  createdAt: string;
  source: string;
  stores: { name: string; documents: number }[];
  files: ManifestFile[];
}

/** The regular files under `dir` (relative paths, sorted), without the manifest and skipped files. */
export async function listFiles(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(prefix === "" ? dir : `${dir}/${prefix}`)) {
    const path = prefix === "" ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory) out.push(...await listFiles(dir, path));
    else if (entry.isFile && !(prefix === "" && isSkipped(entry.name))) out.push(path);
  }
  return out.sort();
}

function isSkipped(name: string): boolean {
  return name === MANIFEST_FILE || (BACKUP_SKIPPED_FILES as readonly string[]).includes(name);
}

/** The SHA-256 (hex) and size of a file, streamed. `onBytes` sees each chunk's size. */
export async function hashFile(
  path: string,
  onBytes?: (bytes: number) => void,
): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash("sha256");
  let bytes = 0;
  using file = await Deno.open(path);
  for await (const chunk of file.readable) {
    hash.update(chunk);
    bytes += chunk.length;
    onBytes?.(chunk.length);
  }
  return { sha256: hash.digest("hex"), bytes };
}

/** Reads and checks a backup's manifest. @throws PlanckError `not_found`, CorruptionError */
export async function readManifest(backupDir: string): Promise<Manifest> {
  const path = `${backupDir}/${MANIFEST_FILE}`;
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new PlanckError("not_found", `No backup at "${backupDir}": "${MANIFEST_FILE}" is missing`, {
        file: path,
      });
    }
    throw error;
  }
  let manifest: Manifest;
  try {
    manifest = JSON.parse(text);
  } catch (error) {
    throw new CorruptionError(`Cannot read backup manifest "${path}": ${(error as Error).message}`, {
      file: path,
      offset: 0,
    });
  }
  const ok = manifest !== null && typeof manifest === "object" && manifest.format === MANIFEST_FORMAT &&
    manifest.version === MANIFEST_VERSION && Number.isInteger(manifest.lsn) &&
    Array.isArray(manifest.files) &&
    Array.isArray(manifest.stores) &&
    manifest.files.every((f) =>
      typeof f.path === "string" && safePath(f.path) && typeof f.sha256 === "string"
    );
  if (!ok) {
    throw new CorruptionError(
      `Backup manifest "${path}" is not a ${MANIFEST_FORMAT} v${MANIFEST_VERSION} manifest`,
      {
        file: path,
        offset: 0,
      },
    );
  }
  return manifest;
}

function safePath(path: string): boolean {
  return path !== "" && !path.startsWith("/") &&
    !path.split("/").some((part) => part === ".." || part === "" || part === ".");
}
