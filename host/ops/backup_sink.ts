/**
 * Where a backup's bytes go, written once as they arrive: a directory (the files at their relative
 * paths, `manifest.json` last) or one ustar file (each file's header, its bytes, its padding, then
 * `manifest.json` as the last entry, the end blocks and the record padding; host/ops/tar.ts has the
 * header format). Sizes are known up front from the source's listing, so nothing is staged.
 *
 * Pacing: every BACKUP_SYNC_BYTES written the sink syncs its current file (fdatasync), so dirty
 * pages never pile up in the page cache. On ext4 a writer's fsync also waits for the ordered data
 * of other files in the same journal commit; a backup that left hundreds of MiB dirty would stall
 * every durable write behind one huge writeback, a synced-as-it-goes backup costs each of them at
 * most one small one (docs/operations.md, "Pacing").
 *
 * Invariants: a directory target is missing or empty; a tar target does not exist and appears
 * only whole (written to `PATH.partial`, synced, renamed); every file gets exactly its listed
 * bytes (asserted at `endFile`); `abort` removes a partial tar.
 */
import { PlanckError } from "../../protocol/errors.ts";
import { sharedHasher } from "./hasher.ts";
import { MANIFEST_FILE } from "./manifest.ts";
import { TAR_BLOCK_BYTES, TAR_RECORD_BYTES, tarHeader } from "./tar.ts";

/** Bytes written between two syncs of the file being written. */
export const BACKUP_SYNC_BYTES = 8 * 1024 * 1024;
/** Bytes the backup worker reads and writes at once in `copyFile`. */
export const BACKUP_COPY_CHUNK_BYTES = 4 * 1024 * 1024;

/** Copies `src` into `dst` at `dstOffset` on the backup worker. */
function workerCopy(
  src: string,
  bytes: number,
  dst: string,
  dstOffset: number,
  onProgress?: (bytes: number) => void,
): Promise<string> {
  return sharedHasher().copyFile({
    src,
    length: bytes,
    dst,
    dstOffset,
    syncBytes: BACKUP_SYNC_BYTES,
    chunkBytes: BACKUP_COPY_CHUNK_BYTES,
  }, onProgress);
}

/** A backup's destination. */
export interface BackupSink {
  /** Starts the next file (`bytes` long). */
  beginFile(path: string, bytes: number): Promise<void>;
  /** Appends bytes of the current file. */
  write(chunk: Uint8Array): Promise<void>;
  /** Ends the current file. @throws PlanckError `internal` when its length is not the one begun */
  endFile(): Promise<void>;
  /**
   * Writes the next file whole from the local file `src` (its first `bytes`), copied and hashed on
   * the backup worker (host/ops/hasher.ts), synced every BACKUP_SYNC_BYTES; returns its SHA-256.
   */
  copyFile(path: string, src: string, bytes: number, onProgress?: (bytes: number) => void): Promise<string>;
  /** Writes the manifest text and makes the backup whole. */
  finish(manifest: string): Promise<void>;
  /** Gives up: closes the file; a tar's partial file is removed. */
  abort(): Promise<void>;
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

/** Writes all of `bytes` to `file`. */
async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.length;) at += await file.write(bytes.subarray(at));
}

/** Counts bytes and syncs `file` every BACKUP_SYNC_BYTES. */
class PacedFile {
  readonly file: Deno.FsFile;
  #unsynced = 0;

  constructor(file: Deno.FsFile) {
    this.file = file;
  }

  async write(bytes: Uint8Array): Promise<void> {
    await writeAll(this.file, bytes);
    this.#unsynced += bytes.length;
    if (this.#unsynced >= BACKUP_SYNC_BYTES) await this.sync();
  }

  async sync(): Promise<void> {
    this.#unsynced = 0;
    await this.file.syncData();
  }
}

/** The file being written and how far it is. */
interface Current {
  path: string;
  bytes: number;
  written: number;
}

function checkLength(current: Current | undefined): Current {
  if (current === undefined) throw new PlanckError("internal", "No backup file begun");
  if (current.written !== current.bytes) {
    throw new PlanckError(
      "internal",
      `Backup file "${current.path}" got ${current.written} bytes, listed ${current.bytes}`,
    );
  }
  return current;
}

/** A directory sink: `dir` must be missing or empty. */
export async function directorySink(dir: string): Promise<BackupSink> {
  await ensureEmptyDir(dir, "Backup target");
  let out: PacedFile | undefined;
  let current: Current | undefined;
  return {
    async beginFile(path, bytes) {
      const slash = path.lastIndexOf("/");
      if (slash > 0) await Deno.mkdir(`${dir}/${path.slice(0, slash)}`, { recursive: true });
      out = new PacedFile(await Deno.open(`${dir}/${path}`, { write: true, createNew: true, mode: 0o600 }));
      current = { path, bytes, written: 0 };
    },
    async write(chunk) {
      current!.written += chunk.length;
      await out!.write(chunk);
    },
    async endFile() {
      checkLength(current);
      await out!.sync();
      out!.file.close();
      out = current = undefined;
    },
    async copyFile(path, src, bytes, onProgress) {
      const slash = path.lastIndexOf("/");
      if (slash > 0) await Deno.mkdir(`${dir}/${path.slice(0, slash)}`, { recursive: true });
      (await Deno.open(`${dir}/${path}`, { write: true, createNew: true, mode: 0o600 })).close();
      return await workerCopy(src, bytes, `${dir}/${path}`, 0, onProgress); // synced at its end
    },
    async finish(manifest) {
      await Deno.writeTextFile(`${dir}/${MANIFEST_FILE}`, manifest);
      using file = await Deno.open(`${dir}/${MANIFEST_FILE}`, { write: true });
      await file.syncData();
    },
    abort() {
      out?.file.close();
      out = current = undefined;
      return Promise.resolve();
    },
  };
}

/** A tar sink: `target` must not exist; `mtime` (seconds) stamps every entry. */
export async function tarSink(target: string, mtime: number): Promise<BackupSink> {
  try {
    await Deno.lstat(target);
    throw new PlanckError("conflict", `Backup target "${target}" exists`, { file: target });
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  const slash = target.lastIndexOf("/");
  if (slash > 0) await Deno.mkdir(target.slice(0, slash), { recursive: true });
  const partial = `${target}.partial`;
  const out = new PacedFile(
    await Deno.open(partial, { write: true, create: true, truncate: true, mode: 0o600 }),
  );
  let offset = 0;
  let current: Current | undefined;
  let closed = false;
  const put = async (bytes: Uint8Array) => {
    await out.write(bytes);
    offset += bytes.length;
  };
  const pad = (length: number) =>
    new Uint8Array((TAR_BLOCK_BYTES - length % TAR_BLOCK_BYTES) % TAR_BLOCK_BYTES);
  return {
    async beginFile(path, bytes) {
      await put(tarHeader(path, bytes, mtime));
      current = { path, bytes, written: 0 };
    },
    async write(chunk) {
      current!.written += chunk.length;
      await put(chunk);
    },
    async endFile() {
      const done = checkLength(current);
      await put(pad(done.bytes));
      current = undefined;
    },
    async copyFile(path, src, bytes, onProgress) {
      await put(tarHeader(path, bytes, mtime));
      const sha256 = await workerCopy(src, bytes, partial, offset, onProgress);
      offset += bytes;
      await out.file.seek(offset, Deno.SeekMode.Start);
      await put(pad(bytes));
      return sha256;
    },
    async finish(manifest) {
      const bytes = new TextEncoder().encode(manifest);
      await put(tarHeader(MANIFEST_FILE, bytes.length, mtime));
      await put(bytes);
      await put(pad(bytes.length));
      await put(new Uint8Array(2 * TAR_BLOCK_BYTES));
      await put(new Uint8Array((TAR_RECORD_BYTES - offset % TAR_RECORD_BYTES) % TAR_RECORD_BYTES));
      await out.sync();
      out.file.close();
      closed = true;
      await Deno.rename(partial, target);
    },
    async abort() {
      if (!closed) out.file.close();
      closed = true;
      await Deno.remove(partial).catch(() => {});
    },
  };
}
