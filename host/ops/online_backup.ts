/**
 * A backup of a BackupSource (a pinned database here, or one over the wire): every listed file is
 * read once, in chunks of at most BACKUP_READ_BYTES_MAX with up to BACKUP_READS_AHEAD reads in
 * flight, written straight to the sink (a directory or one tar file, host/ops/backup_sink.ts) as it
 * arrives, and hashed (SHA-256, streamed per file) on a worker thread (host/ops/hasher.ts) while
 * the next chunks are read and written; read buffers go round a small pool. The documents of every
 * store as of the pinned LSN come from the source (counted from the pinned files while they are
 * copied); then the pin is released and `manifest.json` is written last.
 *
 * The copy is not opened here: `planck verify` (and `restore`, and the scheduler's restore drill)
 * open a scratch copy and check that it comes up at the manifest's LSN with its counts.
 *
 * Invariants: the source is released whatever happens; each file's SHA-256 is of exactly the bytes
 * written for it; a failed backup leaves no tar behind (a directory target keeps what was written,
 * without a manifest: incomplete, and `verify` says so).
 */
import { BACKUP_READ_BYTES_MAX, type BackupSource } from "./backup_source.ts";
import { type BackupSink, directorySink, tarSink } from "./backup_sink.ts";
import { sharedHasher } from "./hasher.ts";
import { type Manifest, MANIFEST_FORMAT, MANIFEST_VERSION } from "./manifest.ts";
import { Progress } from "./progress.ts";
import { isTarPath } from "./tar.ts";

/** Reads of a source in flight at once (one is written while the next arrive). */
export const BACKUP_READS_AHEAD = 4;

/** Backs up `source` into `target` (a directory, or a `.tar` file); always releases the source. */
export async function backupSource(
  source: BackupSource,
  target: string,
  options: { quiet?: boolean; label?: string } = {},
): Promise<Manifest> {
  sharedHasher(); // starts the hashing worker (if not running) while the sink is made and the first reads go
  let sink: BackupSink;
  const createdAt = new Date();
  try {
    sink = isTarPath(target)
      ? await tarSink(target, Math.floor(createdAt.getTime() / 1000))
      : await directorySink(target);
  } catch (error) {
    await source.release();
    throw error;
  }
  try {
    let files: Manifest["files"];
    let stores: Manifest["stores"];
    try {
      files = await copySource(source, sink, options.quiet);
      stores = await source.stores();
    } finally {
      await source.release();
    }
    const manifest: Manifest = {
      format: MANIFEST_FORMAT,
      version: MANIFEST_VERSION,
      lsn: source.lsn,
      createdAt: createdAt.toISOString(),
      source: options.label ?? "online",
      stores,
      files: files.sort((a, b) => a.path < b.path ? -1 : a.path > b.path ? 1 : 0),
    };
    await sink.finish(JSON.stringify(manifest, null, 2) + "\n");
    return manifest;
  } catch (error) {
    await sink.abort();
    throw error;
  }
}

/** One read of the copy plan. */
interface Chunk {
  file: number;
  offset: number;
  length: number;
}

/**
 * Copies every file of a local `source` into `sink` on the backup worker, one message per file: the
 * event loop only starts each file and takes its digest.
 */
async function copyLocal(
  source: BackupSource,
  localPath: (path: string) => string,
  sink: BackupSink,
  progress: Progress,
): Promise<Manifest["files"]> {
  const out: Manifest["files"] = [];
  let done = 0;
  for (const file of source.files) {
    const sha256 = await sink.copyFile(file.path, localPath(file.path), file.bytes, (bytes) => {
      done += bytes;
      progress.update(out.length, done);
    });
    out.push({ path: file.path, bytes: file.bytes, sha256 });
  }
  progress.done(out.length, done);
  return out;
}

/** Copies every file of `source` into `sink`; returns each file's size and SHA-256. */
async function copySource(
  source: BackupSource,
  sink: BackupSink,
  quiet?: boolean,
): Promise<Manifest["files"]> {
  const totalBytes = source.files.reduce((sum, file) => sum + file.bytes, 0);
  const progress = new Progress("backup", { totalBytes, quiet, unit: "files" });
  if (source.localPath !== undefined) return await copyLocal(source, source.localPath, sink, progress);
  const plan: Chunk[] = [];
  source.files.forEach((file, index) => {
    for (let offset = 0; offset < file.bytes; offset += BACKUP_READ_BYTES_MAX) {
      plan.push({ file: index, offset, length: Math.min(BACKUP_READ_BYTES_MAX, file.bytes - offset) });
    }
  });
  const pool: Uint8Array[] = [];
  const reads: Promise<Uint8Array>[] = [];
  const readAhead = (upTo: number) => {
    while (reads.length < Math.min(upTo, plan.length)) {
      const chunk = plan[reads.length];
      const into = pool.pop() ?? new Uint8Array(BACKUP_READ_BYTES_MAX);
      const read = source.read(source.files[chunk.file].path, chunk.offset, chunk.length, into);
      read.catch(() => {}); // awaited in order below; an early failure must not go unhandled
      reads.push(read);
    }
  };
  const hasher = sharedHasher();
  const hashing: Promise<unknown>[] = [];
  const out: Manifest["files"] = [];
  let next = 0;
  let done = 0;
  let hashed: number | undefined;
  try {
    for (const [index, file] of source.files.entries()) {
      hashed = hasher.newFile();
      await sink.beginFile(file.path, file.bytes);
      while (next < plan.length && plan[next].file === index) {
        readAhead(next + BACKUP_READS_AHEAD);
        const chunk = await reads[next];
        delete reads[next]; // the bytes are not kept once written and hashed
        next++;
        await sink.write(chunk);
        // The worker hashes this chunk while the next ones are read and written; pool buffers come back.
        const owned = chunk.byteOffset === 0 && chunk.buffer.byteLength === BACKUP_READ_BYTES_MAX;
        hashing.push(hasher.update(hashed, chunk, owned).then((buffer) => buffer && pool.push(buffer)));
        if (hashing.length > BACKUP_READS_AHEAD) await hashing.shift();
        done += chunk.length;
        progress.update(out.length, done);
      }
      await sink.endFile();
      out.push({ path: file.path, bytes: file.bytes, sha256: await hasher.digest(hashed) });
      hashed = undefined;
      hashing.length = 0; // the digest came after every update of the file
    }
  } finally {
    await Promise.allSettled([...reads.slice(next), ...hashing]); // nothing outlives the copy
    if (hashed !== undefined) await hasher.digest(hashed).catch(() => {}); // the worker forgets the file
  }
  progress.done(out.length, done);
  return out;
}
