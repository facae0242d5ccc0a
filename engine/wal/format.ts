/**
 * The WAL's on-disk format: segment header and frames (docs/storage-format.md, "WAL").
 * All integers little-endian. Changing anything here changes WAL_VERSION and the doc and fixture.
 *
 * Segment header (32 bytes): magic "PLNKWAL\0" | u32 version | u32 crc32(bytes 16..32) |
 *   u64 segment sequence | u64 first LSN.
 * Frame (40-byte header + value): u32 crc32(bytes 4..frameBytes) | u32 frameBytes | u64 lsn |
 *   u8 kind | u8 flags (0) | u16 reserved (0) | u32 store id | 16-byte key | value.
 */
import { assert } from "../assert.ts";
import { crc32 } from "../checksum.ts";
import { keyToBytes } from "../key.ts";

export const WAL_MAGIC = new TextEncoder().encode("PLNKWAL\0");
export const WAL_VERSION = 1;
export const SEGMENT_HEADER_BYTES = 32;
export const FRAME_HEADER_BYTES = 40;

/** Frame kinds. Values are part of the format: never renumber. */
export const FrameKind = {
  /** A document's new version: value = BSON. */
  put: 1,
  /** A tombstone: value empty. */
  delete: 2,
  /** Ends an atomic group: value empty, store 0, key zero. */
  commit: 3,
  /** A new store: store id = its id, value = UTF-8 name. */
  createStore: 4,
  /** A store removed with all its documents: store id = its id. */
  dropStore: 5,
  /** Index DDL: value = BSON index definition (query layer). */
  createIndex: 6,
  dropIndex: 7,
  /**
   * A document's version where the writer found no live version of the key (in a store with
   * secondary indexes): value = BSON. Applied like `put`, but replay need not look up a previous
   * version to remove its index entries.
   */
  insert: 8,
} as const;
export type FrameKind = typeof FrameKind[keyof typeof FrameKind];

const KIND_MAX = 8;

/** A decoded frame. `value` is a view into the buffer it was read from. */
export interface Frame {
  lsn: number;
  kind: FrameKind;
  storeId: number;
  key: Uint8Array;
  value: Uint8Array;
}

/** One frame to encode (the LSN is assigned by the writer). */
export interface FrameInput {
  kind: FrameKind;
  storeId: number;
  /** 16 bytes, or undefined for frames without a key (written as zeros, unless `hexKey` is given). */
  key?: Uint8Array;
  value?: Uint8Array;
  /**
   * The key as 32 hex digits when the caller has it (saves decoding it again on apply). Written as the
   * frame's key when `key` is undefined, so live writes never allocate the 16 bytes.
   */
  hexKey?: string;
  /** Not written: the live previous version the writer looked up (undefined: none), for apply. */
  before?: Uint8Array;
}

/** Bytes `frame` takes on disk. */
export function frameBytes(frame: FrameInput): number {
  return FRAME_HEADER_BYTES + (frame.value?.length ?? 0);
}

/**
 * Encodes one frame at `offset` of `target`; returns the offset after it. `view` may be passed when the
 * caller encodes many frames into one buffer (a DataView over all of `target`).
 */
export function encodeFrame(
  target: Uint8Array,
  offset: number,
  lsn: number,
  frame: FrameInput,
  view = new DataView(target.buffer, target.byteOffset, target.byteLength),
): number {
  const size = frameBytes(frame);
  view.setUint32(offset + 4, size, true);
  view.setUint32(offset + 8, lsn % 0x1_0000_0000, true);
  view.setUint32(offset + 12, Math.floor(lsn / 0x1_0000_0000), true);
  target[offset + 16] = frame.kind;
  target[offset + 17] = 0;
  view.setUint16(offset + 18, 0, true);
  view.setUint32(offset + 20, frame.storeId, true);
  if (frame.key !== undefined) {
    assert(frame.key.length === 16, "frame keys are 16 bytes");
    target.set(frame.key, offset + 24);
  } else if (frame.hexKey !== undefined) {
    keyToBytes(frame.hexKey, target, offset + 24);
  } else {
    target.fill(0, offset + 24, offset + 40);
  }
  if (frame.value !== undefined) target.set(frame.value, offset + FRAME_HEADER_BYTES);
  view.setUint32(offset, crc32(target, offset + 4, offset + size), true);
  return offset + size;
}

/** Why a frame at some offset is not valid. */
export type FrameFault = "end" | "short" | "length" | "checksum" | "kind";

/**
 * Decodes the frame at `offset`, or reports why there is none: "end" (zero length: nothing was
 * written here), "short" (the frame runs past `end`), "length" (impossible length), "checksum", "kind".
 */
export function decodeFrame(bytes: Uint8Array, offset: number, end: number): Frame | FrameFault {
  if (offset + 8 > end) return offset === end ? "end" : "short";
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset);
  const size = view.getUint32(4, true);
  const crc = view.getUint32(0, true);
  if (size === 0 && crc === 0) return "end";
  if (size < FRAME_HEADER_BYTES) return "length";
  if (offset + size > end) return "short";
  if (crc32(bytes, offset + 4, offset + size) !== crc) return "checksum";
  const kind = view.getUint8(16);
  if (kind < 1 || kind > KIND_MAX) return "kind";
  return {
    lsn: Number(view.getBigUint64(8, true)),
    kind: kind as FrameKind,
    storeId: view.getUint32(20, true),
    key: bytes.subarray(offset + 24, offset + 40),
    value: bytes.subarray(offset + FRAME_HEADER_BYTES, offset + size),
  };
}

/** A segment's header fields. */
export interface SegmentHeader {
  sequence: number;
  firstLsn: number;
}

export function encodeSegmentHeader(header: SegmentHeader): Uint8Array {
  const bytes = new Uint8Array(SEGMENT_HEADER_BYTES);
  const view = new DataView(bytes.buffer);
  bytes.set(WAL_MAGIC, 0);
  view.setUint32(8, WAL_VERSION, true);
  view.setBigUint64(16, BigInt(header.sequence), true);
  view.setBigUint64(24, BigInt(header.firstLsn), true);
  view.setUint32(12, crc32(bytes, 16, 32), true);
  return bytes;
}

/** Decodes a segment header, or returns a reason it is not one. */
export function decodeSegmentHeader(bytes: Uint8Array): SegmentHeader | string {
  if (bytes.length < SEGMENT_HEADER_BYTES) return "the file is shorter than a segment header";
  for (let i = 0; i < WAL_MAGIC.length; i++) {
    if (bytes[i] !== WAL_MAGIC[i]) return "bad magic number";
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  const version = view.getUint32(8, true);
  if (version !== WAL_VERSION) return `unsupported WAL version ${version} (this build reads ${WAL_VERSION})`;
  if (view.getUint32(12, true) !== crc32(bytes, 16, 32)) return "header checksum mismatch";
  return { sequence: Number(view.getBigUint64(16, true)), firstLsn: Number(view.getBigUint64(24, true)) };
}

/**
 * The file name of a retired segment kept for reuse (never matched by segment listings): the old
 * sequence + ".spare". Its bytes are stale frames of that old life until it is reused.
 */
export function spareFileName(sequence: number): string {
  return `${String(sequence).padStart(16, "0")}.spare`;
}

/** The file name of segment `sequence`: 16 zero-padded digits + ".wal", so names sort by sequence. */
export function segmentFileName(sequence: number): string {
  return `${String(sequence).padStart(16, "0")}.wal`;
}
