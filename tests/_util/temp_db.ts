/**
 * Temp-dir fixtures for engine tests: a directory removed in `finally`, and a database opened in one
 * and closed in `finally` (Deno KV's dbTest). Tests that reopen a directory use `withTempDir` and
 * open/close themselves.
 */
import { type Database, type DatabaseOptions, openDatabase } from "../../engine/db/database.ts";

/** Runs `body` with a fresh temp dir and removes it afterwards, whatever happens. */
export async function withTempDir<T>(
  body: (dir: string) => Promise<T> | T,
  prefix = "planck_test_",
): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix });
  try {
    return await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Opens a database in `dir`, runs `body`, and closes it in `finally`. */
export async function withDatabase<T>(
  dir: string,
  options: DatabaseOptions,
  body: (db: Database) => Promise<T> | T,
): Promise<T> {
  const db = await openDatabase(dir, { walPreallocateBytes: 0, ...options });
  try {
    return await body(db);
  } finally {
    await db.close();
  }
}

/** Runs `body` with a database in a fresh temp dir; both are cleaned up afterwards. */
export function withTempDatabase<T>(
  body: (db: Database, dir: string) => Promise<T> | T,
  options: DatabaseOptions = {},
): Promise<T> {
  return withTempDir((dir) => withDatabase(dir, options, (db) => body(db, dir)));
}

/** The WAL segment files of a data directory, oldest first, as absolute paths. */
export function walFiles(dir: string): string[] {
  return [...Deno.readDirSync(`${dir}/wal`)]
    .filter((entry) => entry.isFile && entry.name.endsWith(".wal"))
    .map((entry) => `${dir}/wal/${entry.name}`)
    .sort();
}

/** Copies a directory tree (files and folders) from `source` to `target`. */
export function copyDirSync(source: string, target: string): void {
  Deno.mkdirSync(target, { recursive: true });
  for (const entry of Deno.readDirSync(source)) {
    const from = `${source}/${entry.name}`;
    const to = `${target}/${entry.name}`;
    if (entry.isDirectory) copyDirSync(from, to);
    else if (entry.isFile) Deno.copyFileSync(from, to);
  }
}

/**
 * Takes a crash image of an open database: syncs its WAL, then copies the data directory to
 * `target`. Opening the copy is what a restart after a power cut at this moment would see (the copy
 * holds no lock; the memtable was never flushed, so every write since the last flush is replayed
 * from the WAL). Close checkpoints the WAL away, so recovery tests corrupt copies like this one.
 */
export async function crashImage(db: Database, target: string): Promise<string> {
  await db.sync();
  copyDirSync(db.dir, target);
  return target;
}
