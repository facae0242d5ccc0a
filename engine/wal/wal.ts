/**
 * The write-ahead log writer: appends atomic groups of frames to the active segment, rotates
 * segments at a size, and makes groups durable through group commit. Format: engine/wal/format.ts
 * and docs/storage-format.md.
 *
 * Invariants: LSNs are consecutive across frames and segments; a group (its frames and the commit
 * marker that ends it) lies in one segment; when an append fails the segment is cut back to the end
 * of the previous group, so the file never holds a partial group that a later group follows; a
 * segment is cut to its last group and synced before the next one is created, so only the last
 * segment can end torn; a retired segment is reused (as a spare) only when nothing else links it.
 *
 * Reused segments: a segment past recovery and retention is renamed `<sequence>.spare` instead of
 * removed (up to WAL_SPARE_SEGMENTS_MAX); the next rotation gives it the new sequence and header and
 * writes over its old frames, so commits overwrite allocated blocks. Those stale frames are told from
 * live ones by their LSNs (all below the new header's first LSN; docs/storage-format.md).
 */
import { assert } from "../assert.ts";
import { diskError } from "../disk_errors.ts";
import { PlanckError } from "../../protocol/errors.ts";
import { type DbFile, DISK, type FileSystem, syncDirSync, writeAllSync } from "../fs.ts";
import { GroupCommit } from "./group_commit.ts";
import {
  GROUP_BYTES_MAX,
  GROUP_OPS_MAX,
  SYNC_INTERVAL_MS_MAX,
  WAL_PREALLOCATE_BYTES,
  WAL_SPARE_SEGMENTS_MAX,
} from "../limits.ts";
import {
  encodeFrame,
  encodeSegmentHeader,
  FRAME_HEADER_BYTES,
  frameBytes,
  type FrameInput,
  FrameKind,
  SEGMENT_HEADER_BYTES,
  segmentFileName,
  spareFileName,
} from "./format.ts";

const SPARE_NAME = /^\d{16}\.spare$/;

/** How commits become durable. */
export type Durability = { mode: "sync" } | { mode: "interval"; intervalMs: number };

/**
 * Parses "sync" or "interval:<ms>".
 * @throws PlanckError `invalid_argument` naming the bad value
 */
export function parseDurability(text: string): Durability {
  if (text === "sync") return { mode: "sync" };
  const match = /^interval:(\d+)$/.exec(text);
  if (match !== null) {
    const intervalMs = Number(match[1]);
    if (intervalMs >= 1 && intervalMs <= SYNC_INTERVAL_MS_MAX) return { mode: "interval", intervalMs };
  }
  throw new PlanckError(
    "invalid_argument",
    `Invalid durability "${text}": expected "sync" or "interval:<ms>" with 1 <= ms <= ${SYNC_INTERVAL_MS_MAX}`,
    { field: "durability" },
  );
}

/** A segment on disk. */
export interface SegmentInfo {
  sequence: number;
  firstLsn: number;
  path: string;
}

export interface WalOptions {
  dir: string;
  segmentBytes: number;
  durability: Durability;
  fs?: FileSystem;
  /** Segments found by recovery, oldest first; the last one is the active segment. */
  segments: SegmentInfo[];
  /** The active segment's valid length (recovery cut any torn tail there). */
  activeBytes: number;
  /** The last LSN in the log (0 for an empty log). */
  lastLsn: number;
  /**
   * Run fdatasync on the event loop thread ("inline", lowest latency: the loop does nothing else
   * meanwhile) or on Deno's thread pool ("async": readers keep running during the sync).
   */
  syncMethod?: SyncMethod;
  /** Zeros to keep written ahead of the append offset (0 = off; see WAL_PREALLOCATE_BYTES). */
  preallocateBytes?: number;
}

/** Where the group commit's fdatasync runs. */
export type SyncMethod = "inline" | "async";

/** The result of one append: the LSN range of the group, commit marker included. */
export interface AppendResult {
  firstLsn: number;
  lastLsn: number;
}

/** Receives each group appended: its frames and commit marker exactly as written, and its LSN range. */
export type AppendListener = (bytes: Uint8Array, firstLsn: number, lastLsn: number) => void;

/** Zeros written ahead of the append offset, reused (a fresh 1 MiB array per preallocation costs). */
const ZEROS = new Uint8Array(256 * 1024);

/** The WAL writer. */
export class Wal {
  readonly #dir: string;
  readonly #segmentBytes: number;
  readonly #durability: Durability;
  readonly #fs: FileSystem;
  readonly #segments: SegmentInfo[];
  readonly #commit: GroupCommit;
  #file: DbFile;
  #offset: number;
  /** Bytes of the active segment already written (zeros ahead of #offset): see WAL_PREALLOCATE_BYTES. */
  #allocated: number;
  readonly #preallocateBytes: number;
  #lastLsn: number;
  /** Rotated segments whose tail is not yet synced; the next sync covers and closes them. */
  #sealed: DbFile[] = [];
  #dirDirty = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;
  #appendedBytes = 0;
  #onRotate: ((segment: SegmentInfo) => void) | undefined;
  #onAppend: AppendListener | undefined;
  /** Retired segments kept for reuse, oldest first (paths of `<sequence>.spare` files). */
  readonly #spares: string[] = [];
  #reusedSegments = 0;

  constructor(options: WalOptions) {
    this.#dir = options.dir;
    this.#segmentBytes = options.segmentBytes;
    this.#durability = options.durability;
    this.#fs = options.fs ?? DISK;
    this.#segments = [...options.segments];
    this.#lastLsn = options.lastLsn;
    this.#preallocateBytes = options.preallocateBytes ?? WAL_PREALLOCATE_BYTES;
    this.#spares = findSpares(this.#dir);
    if (this.#segments.length === 0) {
      const created = this.#createSegment(1, this.#lastLsn + 1);
      this.#file = created.file;
      this.#offset = SEGMENT_HEADER_BYTES;
      this.#allocated = created.allocated;
    } else {
      const active = this.#segments[this.#segments.length - 1];
      this.#file = this.#fs.openSync(active.path, { read: true, write: true });
      this.#file.truncateSync(options.activeBytes);
      this.#file.seekSync(options.activeBytes, Deno.SeekMode.Start);
      this.#offset = options.activeBytes;
      this.#allocated = options.activeBytes;
    }
    this.#commit = new GroupCommit(
      this.#lastLsn,
      options.syncMethod === "async" ? () => this.#syncAll() : () => this.#syncAllInline(),
    );
  }

  /** The last LSN appended (visible, maybe not yet durable). */
  get lastLsn(): number {
    return this.#lastLsn;
  }
  /** The last LSN known to be on stable storage. */
  get durableLsn(): number {
    return this.#commit.durableLsn;
  }
  /** Syncs run so far. */
  get syncs(): number {
    return this.#commit.syncs;
  }
  get durability(): Durability {
    return this.#durability;
  }
  /** Bytes of groups appended since this WAL was opened (the checkpoint trigger reads it). */
  get appendedBytes(): number {
    return this.#appendedBytes;
  }
  /** Bytes of the active (last) segment written so far, header included: a group ends there. */
  get activeBytes(): number {
    return this.#offset;
  }
  /** The size at which the active segment is rotated (a group larger than it gets a segment alone). */
  get segmentBytes(): number {
    return this.#segmentBytes;
  }
  /** The sync failure that stopped this WAL, or null. */
  get failure(): Error | null {
    return this.#commit.failure;
  }
  /** Segments created by reusing a spare since this WAL was opened. */
  get reusedSegments(): number {
    return this.#reusedSegments;
  }
  /** Spare segments on disk waiting for reuse. */
  get spares(): number {
    return this.#spares.length;
  }
  /** Segments on disk, oldest first. */
  segments(): readonly SegmentInfo[] {
    return this.#segments;
  }
  /** Called after each rotation with the segment just sealed (archiving, checkpoints). */
  set onRotate(callback: ((segment: SegmentInfo) => void) | undefined) {
    this.#onRotate = callback;
  }

  /** Called after each append with the group's bytes as written (replication ships them). */
  set onAppend(callback: AppendListener | undefined) {
    this.#onAppend = callback;
  }

  /**
   * Appends `frames` plus a commit marker as one atomic group, synchronously (into the page cache).
   * Durability comes from `waitDurable(result.lastLsn)`.
   * @throws PlanckError `limit_exceeded` for an oversized group, `disk_full` when the disk is full
   */
  append(frames: readonly FrameInput[]): AppendResult {
    this.#checkWritable();
    if (frames.length >= GROUP_OPS_MAX) {
      throw new PlanckError(
        "limit_exceeded",
        `Too many operations in one atomic group: ${frames.length} (the limit GROUP_OPS_MAX is ${GROUP_OPS_MAX})`,
        { limit: "GROUP_OPS_MAX" },
      );
    }
    let size = FRAME_HEADER_BYTES;
    for (const frame of frames) size += frameBytes(frame);
    if (size > GROUP_BYTES_MAX) {
      throw new PlanckError(
        "limit_exceeded",
        `Atomic group too large: ${size} bytes (the limit GROUP_BYTES_MAX is ${GROUP_BYTES_MAX} bytes)`,
        { limit: "GROUP_BYTES_MAX" },
      );
    }
    if (this.#offset + size > this.#segmentBytes && this.#offset > SEGMENT_HEADER_BYTES) this.#rotate();
    const bytes = new Uint8Array(size);
    const firstLsn = this.#lastLsn + 1;
    let lsn = firstLsn;
    let at = 0;
    const view = new DataView(bytes.buffer);
    for (const frame of frames) at = encodeFrame(bytes, at, lsn++, frame, view);
    at = encodeFrame(bytes, at, lsn, { kind: FrameKind.commit, storeId: 0 }, view);
    assert(at === size, "the group fills its buffer exactly");
    this.#write(bytes);
    this.#lastLsn = lsn;
    this.#commit.written(lsn);
    this.#onAppend?.(bytes, firstLsn, lsn);
    if (this.#durability.mode === "interval") this.#armTimer();
    return { firstLsn, lastLsn: lsn };
  }

  /**
   * Appends whole committed groups that are already encoded with their LSNs — a replica writes the
   * primary's frames byte for byte (engine/db/append_encoded.ts) — with one write call, after a
   * rotation when they do not fit the active segment. The caller checked them: frames with valid
   * CRCs, consecutive LSNs from `lastLsn + 1` to `commitLsn`, each group ending with its marker; and
   * it passes no more than fits one segment unless it is a single group (as `append` allows).
   */
  appendEncoded(bytes: Uint8Array, commitLsn: number): AppendResult {
    this.#checkWritable();
    assert(
      bytes.length >= FRAME_HEADER_BYTES && commitLsn > this.#lastLsn,
      "appendEncoded: whole groups after the last LSN",
    );
    if (this.#offset + bytes.length > this.#segmentBytes && this.#offset > SEGMENT_HEADER_BYTES) {
      this.#rotate();
    }
    const firstLsn = this.#lastLsn + 1;
    this.#write(bytes);
    this.#lastLsn = commitLsn;
    this.#commit.written(commitLsn);
    this.#onAppend?.(bytes, firstLsn, commitLsn);
    if (this.#durability.mode === "interval") this.#armTimer();
    return { firstLsn, lastLsn: commitLsn };
  }

  /** Resolves when every frame up to `lsn` is durable. */
  waitDurable(lsn: number): Promise<void> {
    return this.#commit.waitDurable(lsn);
  }

  /** Makes everything appended so far durable. */
  sync(): Promise<void> {
    return this.#commit.syncNow();
  }

  /** Starts a new segment now (checkpoints use it so that older segments can be removed). */
  rotate(): void {
    this.#checkWritable();
    if (this.#offset > SEGMENT_HEADER_BYTES) this.#rotate();
  }

  /** Forgets segments removed from disk by the caller (all segments before `sequence`). */
  dropSegmentsBefore(sequence: number): SegmentInfo[] {
    const index = this.#segments.findIndex((s) => s.sequence >= sequence);
    assert(index >= 1 || index === -1 || sequence <= this.#segments[0].sequence, "segments are ordered");
    const count = index === -1 ? this.#segments.length - 1 : index;
    return this.#segments.splice(0, Math.max(0, count));
  }

  /**
   * Takes back a segment the caller dropped (dropSegmentsBefore) and no longer needs: keeps it as a
   * spare for a later rotation when there is room and no other name links the file (the WAL archive
   * hard-links segments it copies), else removes it.
   */
  retire(segment: SegmentInfo): void {
    const info = Deno.statSync(segment.path);
    const reusable = this.#spares.length < WAL_SPARE_SEGMENTS_MAX && (info.nlink ?? 2) === 1 &&
      info.size >= this.#segmentBytes / 2;
    if (!reusable) {
      Deno.removeSync(segment.path);
      return;
    }
    const spare = `${this.#dir}/${spareFileName(segment.sequence)}`;
    Deno.renameSync(segment.path, spare);
    this.#spares.push(spare);
    this.#dirDirty = true;
  }

  /** Syncs and closes. Later appends fail. */
  async close(): Promise<void> {
    if (this.#closed) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#commit.failure === null) await this.#commit.syncNow();
    await this.#commit.idle();
    this.#closed = true;
    for (const file of this.#sealed.splice(0)) file.close();
    if (this.#commit.failure === null && this.#allocated > this.#offset) {
      this.#file.truncateSync(this.#offset); // no zeros left behind
    }
    this.#file.close();
  }

  #checkWritable(): void {
    if (this.#closed) throw new PlanckError("unavailable", "The database is closed");
    const failure = this.#commit.failure;
    if (failure !== null) throw failure;
  }

  #write(bytes: Uint8Array): void {
    const path = this.#segments[this.#segments.length - 1].path;
    try {
      if (this.#preallocateBytes > 0 && this.#offset + bytes.length > this.#allocated) {
        this.#preallocate(this.#offset + bytes.length);
      }
      writeAllSync(this.#file, bytes);
      this.#offset += bytes.length;
      this.#appendedBytes += bytes.length;
    } catch (error) {
      // Cut the segment back to the previous group so no partial group is left before later ones.
      try {
        this.#file.truncateSync(this.#offset);
        this.#file.seekSync(this.#offset, Deno.SeekMode.Start);
        this.#allocated = this.#offset;
      } catch (cutError) {
        throw diskError(cutError, path, "cut back WAL segment");
      }
      throw diskError(error, path, "append to WAL segment");
    }
  }

  /**
   * Writes zeros ahead of the append offset, so that the fdatasync of a commit overwrites allocated
   * blocks instead of growing the file (growing makes every sync also journal the new size:
   * measured 25–30% slower here). Recovery reads trailing zeros as the end of the log.
   */
  #preallocate(needed: number): void {
    const end = Math.min(Math.max(needed, this.#allocated + this.#preallocateBytes), this.#segmentBytes);
    if (end <= this.#allocated) return;
    this.#file.seekSync(this.#allocated, Deno.SeekMode.Start);
    for (let at = this.#allocated; at < end; at += ZEROS.length) {
      writeAllSync(this.#file, ZEROS.subarray(0, Math.min(ZEROS.length, end - at)));
    }
    this.#file.seekSync(this.#offset, Deno.SeekMode.Start);
    this.#allocated = end;
  }

  /** A new active segment: a reused spare when one is kept, else a new file. */
  #createSegment(sequence: number, firstLsn: number): { file: DbFile; allocated: number } {
    const path = `${this.#dir}/${segmentFileName(sequence)}`;
    const spare = this.#spares.shift();
    if (spare !== undefined) {
      const reused = this.#reuseSpare(spare, path, sequence, firstLsn);
      if (reused !== undefined) return reused;
    }
    let file: DbFile | undefined;
    try {
      file = this.#fs.openSync(path, { read: true, write: true, createNew: true });
      writeAllSync(file, encodeSegmentHeader({ sequence, firstLsn }));
    } catch (error) {
      file?.close();
      try {
        Deno.removeSync(path);
      } catch { /* it was never created */ }
      throw diskError(error, path, "create WAL segment");
    }
    this.#segments.push({ sequence, firstLsn, path });
    this.#dirDirty = true;
    return { file, allocated: SEGMENT_HEADER_BYTES };
  }

  /**
   * Makes `spare` segment `sequence`: writes its new header and syncs it before the rename, so that a
   * file named as a segment never carries an old header; the old frames after it stay (they are
   * overwritten by the new ones and told apart by LSN). Returns undefined (spare removed) on failure.
   */
  #reuseSpare(
    spare: string,
    path: string,
    sequence: number,
    firstLsn: number,
  ): { file: DbFile; allocated: number } | undefined {
    let file: DbFile | undefined;
    try {
      file = this.#fs.openSync(spare, { read: true, write: true });
      file.seekSync(0, Deno.SeekMode.Start);
      writeAllSync(file, encodeSegmentHeader({ sequence, firstLsn }));
      file.syncDataSync();
      Deno.renameSync(spare, path);
      const allocated = Math.min(file.statSync().size, this.#segmentBytes);
      assert(allocated >= SEGMENT_HEADER_BYTES, "a spare holds at least its header");
      this.#segments.push({ sequence, firstLsn, path });
      this.#dirDirty = true;
      this.#reusedSegments++;
      return { file, allocated };
    } catch {
      file?.close();
      try {
        Deno.removeSync(spare);
      } catch { /* already gone */ }
      return undefined; // a fresh file instead
    }
  }

  #rotate(): void {
    const sealed = this.#segments[this.#segments.length - 1];
    // Cut the sealed segment to its last group (dropping preallocated zeros, or a reused segment's
    // stale frames) and make it durable before the next one exists: after a power cut only the last
    // segment can have a torn or stale tail, and damage in any earlier one is corruption.
    try {
      if (this.#allocated > this.#offset) this.#file.truncateSync(this.#offset);
      this.#file.syncDataSync(); // the new size is part of what fdatasync makes durable
    } catch (error) {
      throw this.#commit.fail(error);
    }
    const next = this.#createSegment(sealed.sequence + 1, this.#lastLsn + 1);
    this.#sealed.push(this.#file);
    this.#file = next.file;
    this.#offset = SEGMENT_HEADER_BYTES;
    this.#allocated = next.allocated;
    this.#onRotate?.(sealed);
  }

  async #syncAll(): Promise<void> {
    // Capture both before the first await: a rotation during this sync must not redirect it.
    const active = this.#file;
    const sealed = this.#sealed.splice(0);
    for (const file of sealed) {
      await file.syncData();
      file.close();
    }
    await active.syncData();
    if (this.#dirDirty) {
      this.#dirDirty = false;
      syncDirSync(this.#dir);
    }
  }

  #syncAllInline(): void {
    for (const file of this.#sealed.splice(0)) {
      file.syncDataSync();
      file.close();
    }
    this.#file.syncDataSync();
    if (this.#dirDirty) {
      this.#dirDirty = false;
      syncDirSync(this.#dir);
    }
  }

  #armTimer(): void {
    if (this.#timer !== undefined || this.#durability.mode !== "interval") return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#commit.syncNow().catch(() => {/* the failure is reported to the next writer */});
    }, this.#durability.intervalMs);
  }
}

/** Spare segments left in `dir` by an earlier run, oldest first. */
function findSpares(dir: string): string[] {
  const names: string[] = [];
  for (const entry of Deno.readDirSync(dir)) {
    if (entry.isFile && SPARE_NAME.test(entry.name)) names.push(entry.name);
  }
  return names.sort().slice(0, WAL_SPARE_SEGMENTS_MAX).map((name) => `${dir}/${name}`);
}
