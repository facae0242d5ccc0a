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
 * The store counts come from the pin (engine/db/pin_counts.ts): the pinned tree and the memtables
 * frozen at the pin, counted in the background while the files are copied.
 *
 * Invariants: only listed paths are read, never past their listed length; `release` is idempotent.
 */
import type { Database } from "../../engine/db/database.ts";
import { PlanckError } from "../../protocol/errors.ts";
import { sharedHasher } from "./hasher.ts";
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
  /** Milliseconds writes were held while the pin was taken (its one synchronous turn), when known. */
  pauseMs?: number;
  /** Live documents of every store as of `lsn`, in catalog order; call before `release`. */
  stores(): Promise<{ name: string; documents: number }[]>;
  /**
   * Reads `length` bytes of `path` at `offset` (within its listed length). With `into` (at least
   * `length` bytes) the result may be a view of it; the caller then owns it again once it resolves.
   */
  read(path: string, offset: number, length: number, into?: Uint8Array): Promise<Uint8Array>;
  /**
   * The local path of a listed file when the files are on this machine (a pinned database in this
   * process): the backup worker then reads it itself (its first `bytes`, the listed length).
   */
  localPath?(path: string): string;
  /** Lets the database checkpoint and remove WAL segments again. */
  release(): Promise<void>;
}

/** Pins `db` and lists its files. Writes go on; call `release` when the files are copied. */
export async function databaseSource(db: Database): Promise<BackupSource> {
  sharedHasher(); // a backup of this source will hash: the worker starts while the files are pinned
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
    const reader = new RangeReader(db.dir, byPath);
    const counting = pin.counts(); // in the background, while the files are copied
    counting.catch(() => {}); // a release before the end stops it; `stores` reports that
    return {
      lsn: pin.lsn,
      files,
      pauseMs: pin.turnMs,
      stores: () => counting,
      read: (path, offset, length, into) => reader.read(path, offset, length, into),
      localPath: (path) => {
        checkRange(byPath, path, 0, 0);
        return `${db.dir}/${path}`;
      },
      release: async () => {
        await reader.close();
        pin.release();
      },
    };
  } catch (error) {
    pin.release();
    throw error;
  }
}

/**
 * Reads listed ranges of a directory's files, one at a time (a chain: reads ahead queue here), through
 * one open handle kept on the file last read, so a file read in order is opened once and never seeks.
 */
class RangeReader {
  readonly #dir: string;
  readonly #files: ReadonlyMap<string, SourceFile>;
  #chain: Promise<unknown> = Promise.resolve();
  #open: { path: string; file: Deno.FsFile; position: number } | undefined;
  #closed = false;

  constructor(dir: string, files: ReadonlyMap<string, SourceFile>) {
    this.#dir = dir;
    this.#files = files;
  }

  read(path: string, offset: number, length: number, into?: Uint8Array): Promise<Uint8Array> {
    checkRange(this.#files, path, offset, length);
    const out = into !== undefined && into.length >= length
      ? into.subarray(0, length)
      : new Uint8Array(length);
    const read = this.#chain.then(() => this.#readAt(path, offset, out));
    this.#chain = read.catch(() => {});
    return read;
  }

  /** Closes the handle once the queued reads are done; later reads fail. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#chain;
    this.#open?.file.close();
    this.#open = undefined;
  }

  async #readAt(path: string, offset: number, out: Uint8Array): Promise<Uint8Array> {
    if (this.#closed) throw new PlanckError("conflict", "The backup source was released");
    if (this.#open?.path !== path) {
      this.#open?.file.close();
      this.#open = undefined;
      this.#open = { path, file: await Deno.open(`${this.#dir}/${path}`), position: 0 };
    }
    const open = this.#open;
    if (open.position !== offset) await open.file.seek(offset, Deno.SeekMode.Start);
    open.position = offset;
    let at = 0;
    while (at < out.length) {
      const n = await open.file.read(out.subarray(at));
      if (n === null) {
        open.position = -1;
        throw new PlanckError(
          "internal",
          `Backup file "${path}" ended at ${offset + at} bytes, listed ${this.#files.get(path)!.bytes}`,
          { file: `${this.#dir}/${path}` },
        );
      }
      at += n;
    }
    open.position = offset + at;
    return out;
  }
}

/** Checks a read against the listing. @throws PlanckError `invalid_argument` */
export function checkRange(
  files: ReadonlyMap<string, SourceFile>,
  path: string,
  offset: number,
  length: number,
): void {
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
}
