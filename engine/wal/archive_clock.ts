/**
 * The archive's clock file, `<archive>/clock` (docs/replication.md, "Archive clock file"): a log of
 * (LSN, wall time) records saying "at this time (Unix ms, UTC) every group up to this LSN was
 * durable". The WAL itself carries no time, so a point-in-time restore by RFC 3339 time looks the
 * time up here: the last record at or before the time gives the last LSN known to be committed by
 * then.
 *
 * Layout (little-endian): a 16-byte header, magic "PLNKCLK\0" (8) | u32 version (1) | u32 reserved
 * (0); then 24-byte records: u32 CRC-32 of the record's bytes 4..24 | u32 reserved (0) | u64 LSN |
 * u64 Unix ms.
 *
 * Invariants: records are appended in LSN and time order (both never decrease); a torn or damaged
 * record ends the readable file (what follows it is ignored, and the writer cuts it off before it
 * appends); the file is only ever appended to or replaced atomically (compaction).
 */
import { crc32 } from "../checksum.ts";

/** The clock file's name inside an archive directory. */
export const CLOCK_FILE = "clock";
/** How often a running server records its durable LSN in the clock, in ms (when it moved). */
export const ARCHIVE_CLOCK_MS = 100;
const MAGIC = new TextEncoder().encode("PLNKCLK\0");
const VERSION = 1;
export const CLOCK_HEADER_BYTES = 16;
export const CLOCK_RECORD_BYTES = 24;

/** One record: by `ms`, every group up to `lsn` was durable. */
export interface ClockMark {
  lsn: number;
  ms: number;
}

/** The file's header bytes. */
export function clockHeader(): Uint8Array {
  const bytes = new Uint8Array(CLOCK_HEADER_BYTES);
  bytes.set(MAGIC, 0);
  new DataView(bytes.buffer).setUint32(8, VERSION, true);
  return bytes;
}

/** Encodes records (without the header). */
export function encodeMarks(marks: readonly ClockMark[]): Uint8Array {
  const bytes = new Uint8Array(marks.length * CLOCK_RECORD_BYTES);
  const view = new DataView(bytes.buffer);
  marks.forEach((mark, i) => {
    const at = i * CLOCK_RECORD_BYTES;
    view.setBigUint64(at + 8, BigInt(mark.lsn), true);
    view.setBigUint64(at + 16, BigInt(mark.ms), true);
    view.setUint32(at, crc32(bytes, at + 4, at + CLOCK_RECORD_BYTES), true);
  });
  return bytes;
}

/** What a read of the file found. */
export interface ClockRead {
  marks: ClockMark[];
  /** Bytes of the file that hold the header and valid records (the rest is a torn or damaged tail). */
  validBytes: number;
  /** Why reading stopped before the end, or null. */
  fault: string | null;
}

/** Decodes a clock file's bytes (a missing header or magic: no marks, a fault). */
export function decodeClock(bytes: Uint8Array): ClockRead {
  if (bytes.length < CLOCK_HEADER_BYTES) {
    return { marks: [], validBytes: 0, fault: bytes.length === 0 ? null : "short header" };
  }
  for (let i = 0; i < MAGIC.length; i++) {
    if (bytes[i] !== MAGIC[i]) return { marks: [], validBytes: 0, fault: "bad magic number" };
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version !== VERSION) return { marks: [], validBytes: 0, fault: `unsupported version ${version}` };
  const marks: ClockMark[] = [];
  let at = CLOCK_HEADER_BYTES;
  let fault: string | null = null;
  while (at < bytes.length) {
    if (at + CLOCK_RECORD_BYTES > bytes.length) {
      fault = `torn record at offset ${at}`;
      break;
    }
    if (view.getUint32(at, true) !== crc32(bytes, at + 4, at + CLOCK_RECORD_BYTES)) {
      fault = `checksum mismatch at offset ${at}`;
      break;
    }
    const mark = {
      lsn: Number(view.getBigUint64(at + 8, true)),
      ms: Number(view.getBigUint64(at + 16, true)),
    };
    const last = marks[marks.length - 1];
    if (last !== undefined && (mark.lsn < last.lsn || mark.ms < last.ms)) {
      fault = `record at offset ${at} goes backwards`;
      break;
    }
    marks.push(mark);
    at += CLOCK_RECORD_BYTES;
  }
  return { marks, validBytes: at, fault };
}

/** Reads `<dir>/clock` (no marks when it is absent). */
export function readClock(dir: string): ClockRead {
  try {
    return decodeClock(Deno.readFileSync(`${dir}/${CLOCK_FILE}`));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return { marks: [], validBytes: 0, fault: null };
    throw error;
  }
}

/**
 * The last LSN known committed at or before `ms`: the LSN of the last mark whose time is at or
 * before it, or null when no mark is.
 */
export function lsnAtTime(marks: readonly ClockMark[], ms: number): number | null {
  let found: number | null = null;
  for (const mark of marks) {
    if (mark.ms > ms) break;
    found = mark.lsn;
  }
  return found;
}
