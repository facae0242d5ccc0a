/**
 * WAL recovery: replays committed groups after the checkpoint LSN, in order, and decides what
 * every irregular ending means (docs/storage-format.md, "WAL recovery"):
 *
 * | case                                                     | action                               |
 * |----------------------------------------------------------|--------------------------------------|
 * | last segment ends in zeros / a torn or partial frame     | torn tail: cut it, open              |
 * | last segment ends with a group without commit marker     | discard that group, cut it, open     |
 * | last segment shorter than its header (torn creation)     | remove the file, open                |
 * | bad frame followed by a valid later frame (same segment) | CorruptionError(file, offset)        |
 * | bad frame or partial group in a segment before the last  | CorruptionError(file, offset)        |
 * | a segment starting at the wrong LSN (missing segment)    | CorruptionError(file, 0)             |
 *
 * With `salvage`, a corruption instead ends replay there: the damaged bytes and every later
 * segment are moved to `wal/lost/` and reported, and the database opens with what came before.
 */
import { CorruptionError } from "../disk_errors.ts";
import { syncDirSync } from "../fs.ts";
import type { SegmentInfo } from "../wal/wal.ts";
import { decodeSegmentHeader, SEGMENT_HEADER_BYTES } from "../wal/format.ts";
import { type Group, scanSegment, validFrameAfter } from "../wal/reader.ts";

const SEGMENT_NAME = /^(\d{16})\.wal$/;

/** What recovery found and did. */
export interface RecoveryReport {
  segments: number;
  groups: number;
  lastLsn: number;
  /** A cut torn tail: uncommitted bytes at the end of the last segment. */
  tornTail: { file: string; offset: number; bytes: number } | null;
  /** Only with salvage: data given up at a corruption. */
  lost: LostData | null;
  durationMs: number;
}

/** What a salvage open gave up. */
export interface LostData {
  file: string;
  offset: number;
  reason: string;
  /** Bytes moved aside (the damaged segment's tail plus every later segment). */
  bytes: number;
  /** Segments moved aside whole. */
  segments: string[];
  /** Where the bytes went. */
  movedTo: string;
}

export interface RecoverOptions {
  /** Groups with a commit LSN at or below this are already in the persistent tiers. */
  checkpointLsn: number;
  salvage: boolean;
  apply(group: Group): void;
}

export interface RecoveredWal {
  report: RecoveryReport;
  segments: SegmentInfo[];
  activeBytes: number;
  lastLsn: number;
}

/** Lists segment files in `dir`, oldest first. */
export function listSegments(dir: string): { sequence: number; path: string; name: string }[] {
  const found: { sequence: number; path: string; name: string }[] = [];
  for (const entry of Deno.readDirSync(dir)) {
    const match = SEGMENT_NAME.exec(entry.name);
    if (entry.isFile && match !== null) {
      found.push({ sequence: Number(match[1]), path: `${dir}/${entry.name}`, name: entry.name });
    }
  }
  return found.sort((a, b) => a.sequence - b.sequence);
}

/** Replays the WAL in `dir`. */
export function recoverWal(dir: string, options: RecoverOptions): RecoveredWal {
  const started = performance.now();
  const files = listSegments(dir);
  const segments: SegmentInfo[] = [];
  const report: RecoveryReport = {
    segments: 0,
    groups: 0,
    lastLsn: options.checkpointLsn,
    tornTail: null,
    lost: null,
    durationMs: 0,
  };
  let expected = 0;
  let activeBytes = SEGMENT_HEADER_BYTES;
  for (let i = 0; i < files.length; i++) {
    const file = files[i];
    const last = i === files.length - 1;
    const bytes = Deno.readFileSync(file.path);
    if (last && bytes.length < SEGMENT_HEADER_BYTES) {
      Deno.removeSync(file.path); // torn creation: nothing was ever committed in it
      syncDirSync(dir);
      break;
    }
    const header = decodeSegmentHeader(bytes);
    const fail = (offset: number, reason: string, cutAt = 0): boolean => {
      if (!options.salvage) {
        throw new CorruptionError(`Cannot replay WAL segment "${file.name}": ${reason} at offset ${offset}`, {
          file: file.path,
          offset,
          lsn: BigInt(report.lastLsn),
        });
      }
      report.lost = salvage(dir, files.slice(i), { offset, cutAt, reason });
      return true;
    };
    if (typeof header === "string") {
      if (fail(0, header)) break;
    } else if (expected !== 0 && header.firstLsn !== expected) {
      if (fail(0, `segment starts at LSN ${header.firstLsn}, expected ${expected} (a segment is missing)`)) {
        break;
      }
    }
    // Skip reading a segment wholly below the checkpoint (the next one starts at or before it).
    const nextHeader = last ? null : readHeader(files[i + 1].path);
    if (nextHeader !== null && nextHeader.firstLsn - 1 <= options.checkpointLsn) {
      segments.push({
        sequence: file.sequence,
        firstLsn: (header as { firstLsn: number }).firstLsn,
        path: file.path,
      });
      expected = nextHeader.firstLsn;
      continue;
    }
    const scan = scanSegment(bytes, expected);
    const cleanEnd = scan.fault === null && scan.discardedBytes === 0;
    let tornOk = false;
    if (!cleanEnd) {
      const lastGood = scan.groups.length > 0 ? scan.groups[scan.groups.length - 1].commitLsn : expected - 1;
      const faultAt = scan.fault?.offset ?? scan.validEnd;
      // Search for committed data after the first bad frame; a clean end (a group missing only its
      // commit marker) has valid frames of that group after validEnd but nothing after the end.
      const searchFrom = scan.fault?.offset ?? bytes.length;
      tornOk = last && validFrameAfter(bytes, searchFrom, lastGood) === null;
      if (!tornOk) {
        const reason = scan.fault?.reason ?? "group without commit marker before a later segment";
        for (const group of scan.groups) applyGroup(group, options, report);
        if (fail(faultAt, reason, scan.validEnd)) {
          segments.push({ sequence: file.sequence, firstLsn: scan.firstLsn!, path: file.path });
          activeBytes = scan.validEnd;
          break;
        }
      }
    }
    for (const group of scan.groups) applyGroup(group, options, report);
    if (tornOk && scan.discardedBytes > 0) {
      report.tornTail = { file: file.path, offset: scan.validEnd, bytes: scan.discardedBytes };
    }
    segments.push({ sequence: file.sequence, firstLsn: scan.firstLsn!, path: file.path });
    activeBytes = scan.validEnd;
    expected = scan.groups.length > 0 ? scan.groups[scan.groups.length - 1].commitLsn + 1 : scan.firstLsn!;
  }
  if (segments.length > 0 && report.lastLsn < expected - 1) report.lastLsn = expected - 1;
  report.segments = segments.length;
  report.durationMs = performance.now() - started;
  return { report, segments, activeBytes, lastLsn: report.lastLsn };
}

function applyGroup(group: Group, options: RecoverOptions, report: RecoveryReport): void {
  if (group.commitLsn > report.lastLsn) report.lastLsn = group.commitLsn;
  if (group.commitLsn <= options.checkpointLsn) return;
  options.apply(group);
  report.groups++;
}

function readHeader(path: string): { firstLsn: number } | null {
  const file = Deno.openSync(path, { read: true });
  try {
    const bytes = new Uint8Array(SEGMENT_HEADER_BYTES);
    const n = file.readSync(bytes);
    if (n !== SEGMENT_HEADER_BYTES) return null;
    const header = decodeSegmentHeader(bytes);
    return typeof header === "string" ? null : header;
  } finally {
    file.close();
  }
}

/** Moves the damaged tail of files[0] (from `at.cutAt`) and every later segment to wal/lost/. */
function salvage(
  dir: string,
  files: { path: string; name: string }[],
  at: { offset: number; cutAt: number; reason: string },
): LostData {
  const { offset, cutAt, reason } = at;
  const lostDir = `${dir}/lost`;
  Deno.mkdirSync(lostDir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const [damaged, ...later] = files;
  const bytes = Deno.readFileSync(damaged.path);
  let moved = bytes.length - cutAt;
  if (cutAt < SEGMENT_HEADER_BYTES) {
    Deno.renameSync(damaged.path, `${lostDir}/${damaged.name}.${stamp}`);
  } else {
    Deno.writeFileSync(`${lostDir}/${damaged.name}.from-${cutAt}.${stamp}`, bytes.subarray(cutAt));
    const cut = Deno.openSync(damaged.path, { write: true });
    cut.truncateSync(cutAt);
    cut.syncSync();
    cut.close();
  }
  for (const file of later) {
    moved += Deno.statSync(file.path).size;
    Deno.renameSync(file.path, `${lostDir}/${file.name}.${stamp}`);
  }
  syncDirSync(lostDir);
  syncDirSync(dir);
  return {
    file: damaged.path,
    offset,
    reason,
    bytes: moved,
    segments: later.map((f) => f.name),
    movedTo: lostDir,
  };
}

/**
 * The sequence of the first segment recovery still needs: a segment is wholly below the checkpoint
 * when the next one starts at or before checkpointLsn + 1.
 */
export function reclaimableBefore(
  segments: readonly { sequence: number; firstLsn: number }[],
  checkpointLsn: number,
): number {
  let at = 0;
  while (at + 1 < segments.length && segments[at + 1].firstLsn - 1 <= checkpointLsn) at++;
  return segments.length === 0 ? 0 : segments[at].sequence;
}
