/**
 * Reads WAL segments back: recovery replays them, change streams and replication read committed
 * groups since an LSN. Applies the validity rules of docs/storage-format.md ("WAL recovery"):
 * a frame is valid when its length fits the file, its CRC matches and its LSN is the next one; a
 * group counts only when its commit marker is valid; the first invalid frame ends the segment. What
 * follows the end is preallocated zeros, a torn write, or (in a reused segment) stale frames of the
 * file's previous life, whose LSNs are all below the header's first LSN.
 */
import { decodeFrame, decodeSegmentHeader, type Frame, FrameKind, SEGMENT_HEADER_BYTES } from "./format.ts";

/** A committed group: its frames (without the commit marker) and the marker's LSN. */
export interface Group {
  frames: Frame[];
  commitLsn: number;
}

/** How a segment scan ended. */
export interface SegmentScan {
  /** Committed groups in order. */
  groups: Group[];
  /** Offset just past the last commit marker (where a writer may continue). */
  validEnd: number;
  /** The first bad byte's offset and why, or null when the segment ended cleanly. */
  fault: { offset: number; reason: string } | null;
  /** Bytes after validEnd that belong to no committed group. */
  discardedBytes: number;
  /** The segment's header, or null when it has none. */
  firstLsn: number | null;
}

const FAULT_TEXT: Record<string, string> = {
  short: "frame runs past the end of the file",
  length: "impossible frame length",
  checksum: "checksum mismatch",
  kind: "unknown frame kind",
  lsn: "LSN out of sequence",
  end: "zero bytes followed by data",
};

/**
 * Scans one segment's bytes. `expectedLsn` is the LSN the first frame must carry (or 0 to accept
 * the header's first LSN).
 */
export function scanSegment(bytes: Uint8Array, expectedLsn: number): SegmentScan {
  const header = decodeSegmentHeader(bytes);
  if (typeof header === "string") {
    return {
      groups: [],
      validEnd: 0,
      fault: { offset: 0, reason: header },
      discardedBytes: bytes.length,
      firstLsn: null,
    };
  }
  let next = expectedLsn === 0 ? header.firstLsn : expectedLsn;
  const groups: Group[] = [];
  let pending: Frame[] = [];
  let offset = SEGMENT_HEADER_BYTES;
  let validEnd = offset;
  let fault: SegmentScan["fault"] = null;
  while (offset < bytes.length) {
    const frame = decodeFrame(bytes, offset, bytes.length);
    if (frame === "end") {
      if (!allZero(bytes, offset)) fault = { offset, reason: FAULT_TEXT.end };
      break;
    }
    if (typeof frame === "string") {
      fault = { offset, reason: FAULT_TEXT[frame] };
      break;
    }
    if (frame.lsn !== next) {
      fault = { offset, reason: `${FAULT_TEXT.lsn} (expected ${next}, found ${frame.lsn})` };
      break;
    }
    next++;
    offset += frame.value.length + 40;
    if (frame.kind === FrameKind.commit) {
      groups.push({ frames: pending, commitLsn: frame.lsn });
      pending = [];
      validEnd = offset;
    } else {
      pending.push(frame);
    }
  }
  // Preallocated zeros after the data are not discarded data: count only bytes up to them.
  let dataEnd = bytes.length;
  while (dataEnd > validEnd && bytes[dataEnd - 1] === 0) dataEnd--;
  return { groups, validEnd, fault, discardedBytes: dataEnd - validEnd, firstLsn: header.firstLsn };
}

function allZero(bytes: Uint8Array, from: number): boolean {
  for (let i = from; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}

/**
 * True when some valid frame with an LSN above `afterLsn` starts after `offset`: the damage is then
 * in the middle of the log (committed data follows it), not a torn tail.
 */
export function validFrameAfter(bytes: Uint8Array, offset: number, afterLsn: number): number | null {
  // A reused segment can hold megabytes of stale frames after its live end: reject an offset on its
  // length and LSN fields before paying for the CRC (stale frames carry LSNs below the live ones).
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = offset + 1; at + 40 <= bytes.length; at++) {
    const size = view.getUint32(at + 4, true);
    if (size < 40 || at + size > bytes.length) continue;
    const lsn = view.getUint32(at + 12, true) * 0x1_0000_0000 + view.getUint32(at + 8, true);
    if (lsn <= afterLsn) continue;
    const frame = decodeFrame(bytes, at, bytes.length);
    if (typeof frame !== "string" && frame.lsn > afterLsn) return at;
  }
  return null;
}
