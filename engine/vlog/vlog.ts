/**
 * The value log: documents flushed from memtables, appended to segment files. The primary B+tree
 * maps each key to a pointer (segment, offset, length) here. Format: docs/storage-format.md
 * ("Value log").
 *
 * Segment: 32-byte header (magic "PLNKVLG\0" | u32 version | u32 crc32(16..32) | u64 sequence |
 * u64 reserved) then entries: u32 crc32(bytes 4..end) | u32 value length | value. Little-endian.
 *
 * Invariants: entries are only appended; a pointer handed out refers to bytes written by this
 * process or before; bytes past a segment's committed length (recorded in the checkpoint) belong to
 * no committed pointer and are cut on open; a segment is deleted only once no committed tree
 * version points into it; once a sync fails the log fails every later append and sync with that
 * error (the page cache state is unknown: an fsync error is never retried into success, "fsyncgate").
 */
import { closeSync, openSync, readSync } from "node:fs";
import { assert } from "../assert.ts";
import { crc32 } from "../checksum.ts";
import { CorruptionError, diskError } from "../disk_errors.ts";
import { PlanckError } from "../../protocol/errors.ts";
import { type DbFile, DISK, type FileSystem, syncDirSync, writeAllSync } from "../fs.ts";

export const VLOG_MAGIC = new TextEncoder().encode("PLNKVLG\0");
export const VLOG_VERSION = 1;
export const VLOG_HEADER_BYTES = 32;
export const VLOG_ENTRY_HEADER_BYTES = 8;
/** Unit of the value-log block cache, in bytes: one read serves every entry inside the block. */
export const VLOG_BLOCK_BYTES = 64 * 1024;
/** Default block cache size, in bytes. */
export const VLOG_BLOCK_CACHE_BYTES_DEFAULT = 64 * 1024 * 1024;
/** Segment size at which appends move to a new segment, in bytes (GC rewrites whole segments). */
export const VLOG_SEGMENT_BYTES_DEFAULT = 64 * 1024 * 1024;

/**
 * Where a value lives. Encoded in the primary index as three unsigned LEB128 varints (segment, offset,
 * length): 7 bytes for a typical document instead of 12 fixed (docs/formats/value_log.md).
 */
export interface ValuePointer {
  segment: number;
  offset: number;
  length: number;
}

/** Longest encoded pointer, in bytes: three varints of at most 5 bytes (values < 2^35). */
export const POINTER_BYTES_MAX = 15;

/** A segment's committed state, kept in the checkpoint. */
export interface VlogSegmentState {
  sequence: number;
  /** Committed length in bytes. */
  bytes: number;
  /** Bytes of entries no committed tree version points to. */
  deadBytes: number;
}

interface Segment extends VlogSegmentState {
  path: string;
  fd: number;
  /** Being collected: left out of the committed state, still readable until removed. */
  retiring: boolean;
}

export function encodePointer(pointer: ValuePointer): Uint8Array {
  return encodePointerInto(pointer, new Uint8Array(POINTER_BYTES_MAX)).slice();
}

const POINTER_SCRATCH = new Uint8Array(POINTER_BYTES_MAX);
const POINTER_SCRATCH_VIEWS = Array.from(
  { length: POINTER_BYTES_MAX + 1 },
  (_, n) => POINTER_SCRATCH.subarray(0, n),
);

/** `encodePointer` into a shared buffer, for a B+tree put (which copies it). Valid until the next call. */
export function encodePointerScratch(pointer: ValuePointer): Uint8Array {
  return encodePointerInto(pointer, POINTER_SCRATCH);
}

/** Writes the pointer's varints at the start of `bytes`; returns the view of exactly those bytes. */
function encodePointerInto(pointer: ValuePointer, bytes: Uint8Array): Uint8Array {
  let at = 0;
  for (const n of [pointer.segment, pointer.offset, pointer.length]) {
    assert(Number.isInteger(n) && n >= 0 && n < 2 ** 35, "a pointer field is a small unsigned integer");
    let v = n;
    while (v >= 0x80) {
      bytes[at++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    bytes[at++] = v;
  }
  return bytes === POINTER_SCRATCH ? POINTER_SCRATCH_VIEWS[at] : bytes.subarray(0, at);
}

/** True when a primary-index value is a document pointer (secondary index entries hold empty values). */
export function isPointer(bytes: Uint8Array): boolean {
  return bytes.length > 0;
}

/**
 * Decodes a pointer. Bytes that end inside a varint decode to a pointer the read then rejects (its
 * length or CRC does not match), so damage surfaces as a CorruptionError at the entry.
 */
export function decodePointer(bytes: Uint8Array): ValuePointer {
  // Inline varint loops: this runs on every read of a flushed document.
  let at = 0;
  let b = 0x80;
  let segment = 0;
  for (let scale = 1; b >= 0x80 && at < bytes.length; scale *= 128) {
    b = bytes[at++];
    segment += (b & 0x7f) * scale;
  }
  b = 0x80;
  let offset = 0;
  for (let scale = 1; b >= 0x80 && at < bytes.length; scale *= 128) {
    b = bytes[at++];
    offset += (b & 0x7f) * scale;
  }
  b = 0x80;
  let length = 0;
  for (let scale = 1; b >= 0x80 && at < bytes.length; scale *= 128) {
    b = bytes[at++];
    length += (b & 0x7f) * scale;
  }
  return { segment, offset, length };
}

function u32le(bytes: Uint8Array, at: number): number {
  return (bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16)) + bytes[at + 3] * 0x1000000;
}

function badEntry(segment: { path: string }, pointer: ValuePointer): CorruptionError {
  return new CorruptionError(
    `Cannot read value log segment "${segmentName(pointer.segment)}": bad entry at offset ${pointer.offset}`,
    { file: segment.path, offset: pointer.offset },
  );
}

function segmentName(sequence: number): string {
  return `${String(sequence).padStart(16, "0")}.vlog`;
}

/** The value log of one database. */
export class ValueLog {
  readonly #dir: string;
  readonly #segmentBytes: number;
  readonly #segments = new Map<number, Segment>();
  #active!: Segment;
  #activeFile!: DbFile;
  #unsynced = false;
  readonly #fs: FileSystem;
  /** The first failed sync: every later append and sync throws it (never retried). */
  #failure: Error | null = null;
  readonly #blocks = new Map<number, Uint8Array>();
  readonly #blockCacheBytes: number;

  /**
   * Opens the value log in `dir` with the checkpointed segment states (empty for a new database):
   * cuts each segment to its committed length and deletes segments the checkpoint does not list.
   */
  constructor(
    dir: string,
    state: VlogSegmentState[],
    segmentBytes = VLOG_SEGMENT_BYTES_DEFAULT,
    blockCacheBytes = VLOG_BLOCK_CACHE_BYTES_DEFAULT,
    fs: FileSystem = DISK,
  ) {
    this.#dir = dir;
    this.#fs = fs;
    this.#blockCacheBytes = blockCacheBytes;
    this.#segmentBytes = segmentBytes;
    Deno.mkdirSync(dir, { recursive: true });
    const listed = new Map(state.map((s) => [s.sequence, s]));
    for (const entry of Deno.readDirSync(dir)) {
      const match = /^(\d{16})\.vlog$/.exec(entry.name);
      if (match !== null && !listed.has(Number(match[1]))) Deno.removeSync(`${dir}/${entry.name}`);
    }
    for (const s of state) {
      const path = `${dir}/${segmentName(s.sequence)}`;
      const file = fs.openSync(path, { read: true, write: true });
      file.truncateSync(s.bytes);
      file.close();
      this.#segments.set(s.sequence, { ...s, path, fd: openSync(path, "r"), retiring: false });
    }
    const last = Math.max(0, ...state.map((s) => s.sequence));
    if (last === 0) this.#startSegment(1);
    else this.#resume(this.#segments.get(last)!);
  }

  /** Committed state of every segment (for the checkpoint). */
  state(): VlogSegmentState[] {
    return [...this.#segments.values()].filter((s) => !s.retiring)
      .map(({ sequence, bytes, deadBytes }) => ({ sequence, bytes, deadBytes }))
      .sort((a, b) => a.sequence - b.sequence);
  }

  /** Total bytes and dead bytes over all segments. */
  totals(): { bytes: number; deadBytes: number; segments: number } {
    let bytes = 0;
    let deadBytes = 0;
    for (const s of this.#segments.values()) {
      bytes += s.bytes;
      deadBytes += s.deadBytes;
    }
    return { bytes, deadBytes, segments: this.#segments.size };
  }

  /** The active (appended-to) segment's sequence. */
  get activeSequence(): number {
    return this.#active.sequence;
  }

  /** Appends values in one write; returns their pointers. Durable after `sync()`. */
  append(values: readonly Uint8Array[]): ValuePointer[] {
    if (this.#failure !== null) throw this.#failure;
    let size = 0;
    for (const value of values) size += VLOG_ENTRY_HEADER_BYTES + value.length;
    if (this.#active.bytes + size > this.#segmentBytes && this.#active.bytes > VLOG_HEADER_BYTES) {
      this.#startSegment(this.#active.sequence + 1);
    }
    const bytes = new Uint8Array(size);
    const view = new DataView(bytes.buffer);
    const pointers: ValuePointer[] = [];
    let at = 0;
    for (const value of values) {
      view.setUint32(at + 4, value.length, true);
      bytes.set(value, at + VLOG_ENTRY_HEADER_BYTES);
      view.setUint32(at, crc32(bytes, at + 4, at + VLOG_ENTRY_HEADER_BYTES + value.length), true);
      pointers.push({
        segment: this.#active.sequence,
        offset: this.#active.bytes + at,
        length: value.length,
      });
      at += VLOG_ENTRY_HEADER_BYTES + value.length;
    }
    try {
      writeAllSync(this.#activeFile, bytes);
    } catch (error) {
      this.#activeFile.truncateSync(this.#active.bytes);
      this.#activeFile.seekSync(this.#active.bytes, Deno.SeekMode.Start);
      throw diskError(error, this.#active.path, "append to value log");
    }
    this.#active.bytes += size;
    this.#unsynced = true;
    return pointers;
  }

  /** Reads the value at `pointer`, checking its checksum. @throws CorruptionError */
  read(pointer: ValuePointer): Uint8Array {
    const segment = this.#segments.get(pointer.segment);
    assert(segment !== undefined, "a pointer names a live segment");
    const size = VLOG_ENTRY_HEADER_BYTES + pointer.length;
    const block = Math.floor(pointer.offset / VLOG_BLOCK_BYTES);
    let data: Uint8Array;
    let at: number;
    if (
      Math.floor((pointer.offset + size - 1) / VLOG_BLOCK_BYTES) === block &&
      (block + 1) * VLOG_BLOCK_BYTES <= segment.bytes
    ) {
      // Inside one complete block: serve it from the block cache (one read fills ~200 documents).
      data = this.#block(segment, block);
      at = pointer.offset - block * VLOG_BLOCK_BYTES;
      if (data.length > VLOG_BLOCK_BYTES) { // a cached block: its entries' CRCs are checked once
        const bit = VLOG_BLOCK_BYTES + (at >> 3);
        const mask = 1 << (at & 7);
        if (u32le(data, at + 4) !== pointer.length) throw badEntry(segment, pointer);
        if ((data[bit] & mask) === 0) {
          if (u32le(data, at) !== crc32(data, at + 4, at + size)) throw badEntry(segment, pointer);
          data[bit] |= mask;
        }
        return data.subarray(at + VLOG_ENTRY_HEADER_BYTES, at + size);
      }
    } else {
      data = new Uint8Array(size);
      at = 0;
      if (!this.#fromTwoBlocks(segment, block, pointer.offset, data)) {
        if (readSync(segment.fd, data, 0, size, pointer.offset) !== size) throw badEntry(segment, pointer);
      }
    }
    // Header fields read in place (no DataView); one view for the CRC, one for the value.
    if (u32le(data, at + 4) !== pointer.length || u32le(data, at) !== crc32(data, at + 4, at + size)) {
      throw badEntry(segment, pointer);
    }
    return data.subarray(at + VLOG_ENTRY_HEADER_BYTES, at + size);
  }

  /**
   * Fills `into` with the entry at `offset` when it spans exactly blocks `block` and `block + 1`,
   * both complete, from the block cache (a scan meets one such entry per ~200 documents; a read
   * call for each cost more than the copy). False when it cannot: the caller reads the file.
   */
  #fromTwoBlocks(segment: Segment, block: number, offset: number, into: Uint8Array): boolean {
    const split = (block + 1) * VLOG_BLOCK_BYTES;
    if (offset + into.length > split + VLOG_BLOCK_BYTES || split + VLOG_BLOCK_BYTES > segment.bytes) {
      return false;
    }
    const first = this.#block(segment, block);
    const second = this.#block(segment, block + 1);
    if (first.length <= VLOG_BLOCK_BYTES || second.length <= VLOG_BLOCK_BYTES) return false;
    const head = split - offset;
    into.set(first.subarray(offset - block * VLOG_BLOCK_BYTES, VLOG_BLOCK_BYTES), 0);
    into.set(second.subarray(0, into.length - head), head);
    return true;
  }

  /**
   * Block `block` of a segment, from the cache or the file (LRU by insertion, bounded by bytes). A
   * cached block is VLOG_BLOCK_BYTES of data followed by VLOG_BLOCK_BYTES / 8 bytes of flags, one bit
   * per data offset: set once the entry starting there passed its CRC check. Blocks are immutable
   * once cached (only whole blocks below a segment's committed length are), so one check suffices.
   * A short read returns just the bytes read, uncached and without flags.
   */
  #block(segment: Segment, block: number): Uint8Array {
    const id = segment.sequence * 4294967296 + block;
    const cached = this.#blocks.get(id);
    if (cached !== undefined) return cached;
    const data = new Uint8Array(VLOG_BLOCK_BYTES + VLOG_BLOCK_BYTES / 8);
    const n = readSync(segment.fd, data, 0, VLOG_BLOCK_BYTES, block * VLOG_BLOCK_BYTES);
    if (n !== VLOG_BLOCK_BYTES) return data.subarray(0, n); // short: not cached, the caller reports it
    this.#blocks.set(id, data);
    if (this.#blocks.size * VLOG_BLOCK_BYTES > this.#blockCacheBytes) {
      const oldest = this.#blocks.keys().next().value!;
      this.#blocks.delete(oldest);
    }
    return data;
  }

  /** Counts an entry as dead (its key was overwritten or deleted in a committed flush). */
  markDead(pointer: ValuePointer): void {
    const segment = this.#segments.get(pointer.segment);
    if (segment !== undefined) segment.deadBytes += VLOG_ENTRY_HEADER_BYTES + pointer.length;
  }

  /** Sealed segments whose dead ratio is at least `ratio`, worst first. */
  gcCandidates(ratio: number): VlogSegmentState[] {
    return this.state()
      .filter((s) => s.sequence !== this.#active.sequence && s.bytes > VLOG_HEADER_BYTES)
      .filter((s) => s.deadBytes / (s.bytes - VLOG_HEADER_BYTES) >= ratio)
      .sort((a, b) => b.deadBytes / b.bytes - a.deadBytes / a.bytes);
  }

  /** Leaves a segment out of the committed state from the next commit on (GC is moving it). */
  forget(sequence: number): void {
    const segment = this.#segments.get(sequence);
    assert(segment !== undefined, "only known segments are forgotten");
    segment.retiring = true;
  }

  /** Undoes `forget` after a GC that did not commit: the segment is part of the committed state again. */
  keep(sequence: number): void {
    const segment = this.#segments.get(sequence);
    if (segment !== undefined) segment.retiring = false;
  }

  /** Deletes a segment no committed pointer refers to any more. Returns the bytes freed. */
  removeSegment(sequence: number): number {
    const segment = this.#segments.get(sequence);
    assert(segment !== undefined, "only known segments are removed");
    assert(sequence !== this.#active.sequence, "the active segment is never removed");
    closeSync(segment.fd);
    this.#segments.delete(sequence);
    Deno.removeSync(segment.path);
    syncDirSync(this.#dir);
    return segment.bytes;
  }

  /** Makes every appended entry durable. */
  async sync(): Promise<void> {
    if (this.#failure !== null) throw this.#failure;
    if (!this.#unsynced) return;
    try {
      await this.#activeFile.syncData();
    } catch (error) {
      throw this.#fail(error, this.#active.path);
    }
    this.#unsynced = false;
  }

  /** Records the first failed sync as the log's failure and returns it. */
  #fail(error: unknown, path: string): Error {
    const failure = diskError(error, path, "sync value log");
    this.#failure ??= new PlanckError(
      failure.code === "disk_full" ? "disk_full" : "internal",
      `Value log sync failed, the database must be reopened: ${failure.message}`,
      { file: path },
      { cause: error },
    );
    return this.#failure;
  }

  close(): void {
    this.#activeFile.close();
    for (const segment of this.#segments.values()) closeSync(segment.fd);
    this.#segments.clear();
  }

  #startSegment(sequence: number): void {
    if (this.#activeFile !== undefined) {
      try {
        this.#activeFile.syncDataSync(); // a sealed segment is complete on disk before the next starts
      } catch (error) {
        throw this.#fail(error, this.#active.path);
      }
      this.#activeFile.close();
    }
    const path = `${this.#dir}/${segmentName(sequence)}`;
    const header = new Uint8Array(VLOG_HEADER_BYTES);
    header.set(VLOG_MAGIC, 0);
    const view = new DataView(header.buffer);
    view.setUint32(8, VLOG_VERSION, true);
    view.setBigUint64(16, BigInt(sequence), true);
    view.setUint32(12, crc32(header, 16, 32), true);
    try {
      this.#activeFile = this.#fs.openSync(path, { read: true, write: true, create: true, truncate: true });
      writeAllSync(this.#activeFile, header);
    } catch (error) {
      throw diskError(error, path, "create value log segment");
    }
    syncDirSync(this.#dir);
    const segment: Segment = {
      sequence,
      bytes: VLOG_HEADER_BYTES,
      deadBytes: 0,
      path,
      fd: openSync(path, "r"),
      retiring: false,
    };
    this.#segments.set(sequence, segment);
    this.#active = segment;
    this.#unsynced = true;
  }

  #resume(segment: Segment): void {
    this.#activeFile = this.#fs.openSync(segment.path, { read: true, write: true });
    this.#activeFile.seekSync(segment.bytes, Deno.SeekMode.Start);
    this.#active = segment;
  }
}
