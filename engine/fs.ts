/**
 * The engine's one door to the disk for files it writes and syncs: WAL segments, value-log segments
 * and the B+tree file (reads of value-log entries go through their own read-only descriptors).
 * Production uses Deno's files; crash and fault tests pass a FileSystem that fails writes (disk full,
 * EIO), shortens them, or fails or slows syncs (tests/_util/faulty_fs.ts).
 */

/** The file operations the engine's writers use; Deno.FsFile satisfies it. */
export interface DbFile {
  writeSync(bytes: Uint8Array): number;
  readSync(bytes: Uint8Array): number | null;
  seekSync(offset: number, whence: Deno.SeekMode): number;
  truncateSync(length?: number): void;
  statSync(): { size: number };
  syncData(): Promise<void>;
  syncDataSync(): void;
  close(): void;
}

/** Opens files; the default is the real disk. */
export interface FileSystem {
  openSync(path: string, options: Deno.OpenOptions): DbFile;
}

/** The real disk. */
export const DISK: FileSystem = {
  openSync: (path, options) => Deno.openSync(path, options),
};

/** Writes all of `bytes` (writeSync may write less than asked). */
export function writeAllSync(file: DbFile, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) done += file.writeSync(bytes.subarray(done));
}

/** fsyncs a directory so that file creations and renames in it are durable. Best effort where unsupported. */
export function syncDirSync(path: string): void {
  let dir: Deno.FsFile | undefined;
  try {
    dir = Deno.openSync(path, { read: true });
    dir.syncSync();
  } catch {
    // Some platforms cannot open or fsync a directory; the files themselves are synced.
  } finally {
    dir?.close();
  }
}
