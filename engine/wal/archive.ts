/**
 * The WAL archive (`archive.dir`, docs/replication.md "WAL archive"): every segment the database is
 * about to remove is handed here, hard-linked into `wal/archiving/` (instant, same file system) and
 * then copied in the background to the archive directory: written as `<name>.partial`, synced, read
 * back and checked (SHA-256 equal to the source's, and every frame's CRC valid), renamed into place.
 * The archive keeps segments within its retention (bytes and age; the oldest go first).
 *
 * Invariants: handing over a segment never blocks or fails a commit (errors are recorded, counted
 * and logged once, and the segment stays in `wal/archiving/` to be retried on the next hand-over);
 * an archived segment is complete and verified (a `.partial` is never a segment); only one copy runs
 * at a time, in segment order.
 */
import { createHash } from "node:crypto";
import {
  ARCHIVE_CLOCK_MS,
  CLOCK_FILE,
  clockHeader,
  type ClockMark,
  encodeMarks,
  readClock,
} from "./archive_clock.ts";
import { decodeSegmentHeader, SEGMENT_HEADER_BYTES } from "./format.ts";
import { scanSegment } from "./reader.ts";
import type { SegmentInfo } from "./wal.ts";

/** What the archive reports (status, metrics). */
export interface ArchiveStatus {
  dir: string;
  archivedSegments: number;
  archivedBytes: number;
  pendingSegments: number;
  failures: number;
  lastError: string | null;
  lastArchived: string | null;
}

/** Options of a WAL archive. */
export interface ArchiveOptions {
  dir: string;
  /** Most bytes kept in the archive (0: no bound). */
  retentionBytes: number;
  /** Oldest segment kept, by its modification time, in ms (0: no bound). */
  retentionAgeMs: number;
  log?: (line: string) => void;
}

const NAME = /^\d{16}\.wal$/;

/** The archive of one database's WAL. */
export class WalArchive {
  readonly #options: ArchiveOptions;
  #staging: string | null = null;
  #running: Promise<void> = Promise.resolve();
  #status: ArchiveStatus;
  #lastLogged = "";
  /** Clock marks not written yet, the last LSN and time queued, and whether the file's tail was checked. */
  #pendingMarks: ClockMark[] = [];
  #marked: ClockMark = { lsn: 0, ms: 0 };
  #clockChecked = false;
  #clockTimer: ReturnType<typeof setInterval> | undefined;

  constructor(options: ArchiveOptions) {
    this.#options = options;
    this.#status = {
      dir: options.dir,
      archivedSegments: 0,
      archivedBytes: 0,
      pendingSegments: 0,
      failures: 0,
      lastError: null,
      lastArchived: null,
    };
  }

  /** The database's segment sink: links the segment aside (synchronously) and copies it later. */
  readonly sink = (segment: SegmentInfo): void => {
    const at = segment.path.lastIndexOf("/");
    const walDir = segment.path.slice(0, at);
    const staging = `${walDir}/archiving`;
    this.#staging = staging;
    try {
      Deno.mkdirSync(staging, { recursive: true });
      Deno.linkSync(segment.path, `${staging}/${segment.path.slice(at + 1)}`);
    } catch (error) {
      this.#fail(`Cannot stage WAL segment "${segment.path}" for the archive: ${(error as Error).message}`);
      return;
    }
    this.#kick();
  };

  /**
   * Records in the archive's clock file that every group up to `lsn` was durable by `ms`
   * (archive_clock.ts). Queued behind copies; never blocks and never throws (failures are reported
   * like a failed copy). An LSN not past the last one marked is ignored.
   */
  mark(lsn: number, ms: number = Date.now()): void {
    if (lsn <= this.#marked.lsn) return;
    this.#marked = { lsn, ms: Math.max(ms, this.#marked.ms) };
    this.#pendingMarks.push(this.#marked);
    if (this.#pendingMarks.length > 1) return; // a write is already queued and takes this one too
    this.#running = this.#running.then(() => this.#writeMarks()).catch((error) =>
      this.#fail(`Cannot write the archive clock in "${this.#options.dir}": ${(error as Error).message}`)
    );
  }

  /** Marks `durableLsn()` every ARCHIVE_CLOCK_MS while it moves, until stopClock. */
  startClock(durableLsn: () => number): void {
    this.stopClock();
    const timer = setInterval(() => this.mark(durableLsn()), ARCHIVE_CLOCK_MS);
    Deno.unrefTimer(timer);
    this.#clockTimer = timer;
  }

  /** Stops the clock timer (a last mark of `lsn` when given). */
  stopClock(lsn?: number): void {
    if (this.#clockTimer !== undefined) clearInterval(this.#clockTimer);
    this.#clockTimer = undefined;
    if (lsn !== undefined) this.mark(lsn);
  }

  status(): ArchiveStatus {
    return { ...this.#status };
  }

  /** Resolves when every staged segment was tried once. */
  idle(): Promise<void> {
    return this.#running;
  }

  #kick(): void {
    this.#running = this.#running.then(() => this.#drain()).catch((error) => this.#fail(String(error)));
  }

  async #drain(): Promise<void> {
    const staging = this.#staging;
    if (staging === null) return;
    const names = [...Deno.readDirSync(staging)].filter((e) => e.isFile && NAME.test(e.name)).map((e) =>
      e.name
    )
      .sort();
    this.#status.pendingSegments = names.length;
    for (const name of names) {
      try {
        await this.#copy(`${staging}/${name}`, name);
        await Deno.remove(`${staging}/${name}`);
        this.#status.pendingSegments--;
        this.#status.lastError = null;
      } catch (error) {
        this.#fail(
          `Cannot archive WAL segment "${name}" to "${this.#options.dir}": ${(error as Error).message}`,
        );
        return; // keep order: later segments wait for the next hand-over
      }
    }
    await this.#applyRetention();
  }

  async #copy(source: string, name: string): Promise<void> {
    const dir = this.#options.dir;
    await Deno.mkdir(dir, { recursive: true });
    const bytes = await Deno.readFile(source);
    const partial = `${dir}/${name}.partial`;
    await writeSynced(partial, bytes);
    // Verify the copy as read back from the archive disk: same digest, and a valid WAL segment.
    const copy = await Deno.readFile(partial);
    if (digest(copy) !== digest(bytes)) throw new Error("the copy's SHA-256 differs from the segment's");
    const scan = scanSegment(copy, 0);
    if (scan.fault !== null || scan.firstLsn === null) {
      throw new Error(`the copy is not a valid segment: ${scan.fault?.reason ?? "no header"}`);
    }
    await Deno.rename(partial, `${dir}/${name}`);
    await syncDir(dir);
    this.#status.archivedSegments++;
    this.#status.archivedBytes += bytes.length;
    this.#status.lastArchived = name;
  }

  async #writeMarks(): Promise<void> {
    const dir = this.#options.dir;
    const path = `${dir}/${CLOCK_FILE}`;
    await Deno.mkdir(dir, { recursive: true });
    let last: ClockMark | undefined;
    if (!this.#clockChecked) {
      // Cut off a tail a crash tore (appending after it would hide every later record).
      const read = readClock(dir);
      if (read.validBytes === 0) await Deno.writeFile(path, clockHeader());
      else if (read.fault !== null) await Deno.truncate(path, read.validBytes);
      last = read.marks[read.marks.length - 1];
      this.#clockChecked = true;
    }
    const marks = this.#pendingMarks.splice(0).filter((mark) => last === undefined || mark.lsn > last.lsn)
      .map((mark) => last === undefined ? mark : { lsn: mark.lsn, ms: Math.max(mark.ms, last.ms) });
    if (marks.length === 0) return;
    const file = await Deno.open(path, { append: true });
    try {
      const bytes = encodeMarks(marks);
      let at = 0;
      while (at < bytes.length) at += await file.write(bytes.subarray(at));
      await file.syncData();
    } finally {
      file.close();
    }
  }

  /** Drops clock marks below the oldest archived segment (`firstLsn` of it), replacing the file atomically. */
  async #compactClock(firstLsn: number): Promise<void> {
    const dir = this.#options.dir;
    const read = readClock(dir);
    if (read.marks.length === 0) return;
    const kept = read.marks.filter((mark) => mark.lsn >= firstLsn - 1);
    if (kept.length === read.marks.length) return;
    const marks = encodeMarks(kept);
    const bytes = new Uint8Array(16 + marks.length);
    bytes.set(clockHeader(), 0);
    bytes.set(marks, 16);
    const temp = `${dir}/${CLOCK_FILE}.tmp`;
    await writeSynced(temp, bytes);
    await Deno.rename(temp, `${dir}/${CLOCK_FILE}`);
    await syncDir(dir);
  }

  async #applyRetention(): Promise<void> {
    const { dir, retentionBytes, retentionAgeMs } = this.#options;
    if (retentionBytes === 0 && retentionAgeMs === 0) return;
    const files: { name: string; bytes: number; mtimeMs: number }[] = [];
    for await (const entry of Deno.readDir(dir)) {
      if (!entry.isFile || !NAME.test(entry.name)) continue;
      const info = await Deno.stat(`${dir}/${entry.name}`);
      files.push({ name: entry.name, bytes: info.size, mtimeMs: info.mtime?.getTime() ?? 0 });
    }
    files.sort((a, b) => a.name < b.name ? -1 : 1);
    let total = files.reduce((sum, f) => sum + f.bytes, 0);
    const now = Date.now();
    let removed = 0;
    for (const file of files.slice(0, -1)) { // the newest segment always stays
      const tooBig = retentionBytes > 0 && total > retentionBytes;
      const tooOld = retentionAgeMs > 0 && now - file.mtimeMs > retentionAgeMs;
      if (!tooBig && !tooOld) break;
      await Deno.remove(`${dir}/${file.name}`);
      total -= file.bytes;
      removed++;
    }
    if (removed === 0) return;
    const header = decodeSegmentHeader(await readHead(`${dir}/${files[removed].name}`));
    if (typeof header !== "string") await this.#compactClock(header.firstLsn);
  }

  #fail(message: string): void {
    this.#status.failures++;
    this.#status.lastError = message;
    if (message !== this.#lastLogged) this.#options.log?.(`planck: ARCHIVE: ${message}`);
    this.#lastLogged = message;
  }
}

function digest(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

async function syncDir(dir: string): Promise<void> {
  const handle = await Deno.open(dir, { read: true });
  try {
    await handle.sync();
  } finally {
    handle.close();
  }
}

/** The first SEGMENT_HEADER_BYTES of a file (fewer when it is shorter). */
async function readHead(path: string): Promise<Uint8Array> {
  const file = await Deno.open(path, { read: true });
  try {
    const bytes = new Uint8Array(SEGMENT_HEADER_BYTES);
    let at = 0;
    while (at < bytes.length) {
      const n = await file.read(bytes.subarray(at));
      if (n === null) break;
      at += n;
    }
    return bytes.subarray(0, at);
  } finally {
    file.close();
  }
}

/** Writes `bytes` as the whole of `path` (created or truncated) and fsyncs it. */
async function writeSynced(path: string, bytes: Uint8Array): Promise<void> {
  const file = await Deno.open(path, { write: true, create: true, truncate: true });
  try {
    let at = 0;
    while (at < bytes.length) at += await file.write(bytes.subarray(at));
    await file.sync();
  } finally {
    file.close();
  }
}
