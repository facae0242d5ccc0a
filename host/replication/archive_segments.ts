/**
 * Reading WAL segments back from a WAL archive (and from copies of a live `wal/` directory) for a
 * point-in-time restore (docs/replication.md, "Point-in-time restore"): lists the segment files of
 * several directories in log order and yields their committed groups from an LSN on, refusing any
 * gap with an error that names the missing segment.
 *
 * Invariants: groups come out in LSN order, consecutive from the LSN asked for (a gap is a
 * `not_found` error naming the segment and the LSNs missing, never skipped); a damaged segment that
 * later segments would have to follow is a `corruption` error naming the file and offset; the first
 * directory that holds a segment's name is the one read.
 */
import { PlanckError } from "../../protocol/errors.ts";
import { decodeSegmentHeader, segmentFileName } from "../../engine/wal/format.ts";
import { type Group, scanSegment } from "../../engine/wal/reader.ts";

const NAME = /^(\d{16})\.wal$/;

/** A segment file found in one of the directories. */
export interface ArchivedSegment {
  sequence: number;
  name: string;
  path: string;
  /** The header's first LSN, or null when the header is unreadable. */
  firstLsn: number | null;
}

/** The segment files of `dirs` (missing dirs hold none), by sequence; the first dir holding a name wins. */
export function listArchived(dirs: readonly string[]): ArchivedSegment[] {
  const found = new Map<number, ArchivedSegment>();
  for (const dir of dirs) {
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(dir)];
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) continue;
      throw error;
    }
    for (const entry of entries) {
      const match = entry.isFile ? NAME.exec(entry.name) : null;
      if (match === null) continue;
      const sequence = Number(match[1]);
      if (found.has(sequence)) continue;
      const path = `${dir}/${entry.name}`;
      found.set(sequence, { sequence, name: entry.name, path, firstLsn: headerLsn(path) });
    }
  }
  return [...found.values()].sort((a, b) => a.sequence - b.sequence);
}

function headerLsn(path: string): number | null {
  const file = Deno.openSync(path, { read: true });
  try {
    const bytes = new Uint8Array(32);
    let at = 0;
    while (at < bytes.length) {
      const n = file.readSync(bytes.subarray(at));
      if (n === null) break;
      at += n;
    }
    const header = decodeSegmentHeader(bytes.subarray(0, at));
    return typeof header === "string" ? null : header.firstLsn;
  } finally {
    file.close();
  }
}

/**
 * The committed groups of `segments` whose commit LSN is at least `from`, in order, each starting
 * right after the previous one (the first one at or before `from`). Stops at the end of the
 * segments; the caller stops earlier by breaking the loop.
 * @throws PlanckError `not_found` for a gap (naming the missing segment), `corruption` for a damaged segment
 */
export function* groupsFrom(segments: readonly ArchivedSegment[], from: number): Generator<Group> {
  let next = from; // the LSN the next group must cover (its first frame at or before it)
  let previous: ArchivedSegment | null = null;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i];
    const following = segments[i + 1];
    // A segment that ends before `next` (the next segment starts at or before it) is not needed.
    if (
      following?.firstLsn != null && following.sequence === segment.sequence + 1 && following.firstLsn <= next
    ) {
      previous = segment;
      continue;
    }
    if (segment.firstLsn === null) {
      throw new PlanckError("corruption", `WAL segment "${segment.path}" has no valid header`, {
        file: segment.path,
        offset: 0,
      });
    }
    if (segment.firstLsn > next) throw gap(segment, previous, next);
    const scan = scanSegment(Deno.readFileSync(segment.path), 0);
    for (const group of scan.groups) {
      if (group.commitLsn < next) continue;
      const firstLsn = group.commitLsn - group.frames.length;
      if (firstLsn > next) throw gap(segment, previous, next);
      yield group;
      next = group.commitLsn + 1;
    }
    if (scan.fault !== null && following !== undefined) {
      throw new PlanckError(
        "corruption",
        `WAL segment "${segment.path}" is damaged at offset ${scan.fault.offset} (${scan.fault.reason}); ` +
          `LSNs from ${next} on cannot be restored from it`,
        { file: segment.path, offset: scan.fault.offset, lsn: BigInt(next) },
      );
    }
    previous = segment;
  }
}

/** The error for LSNs from `next` missing before `segment`. */
function gap(segment: ArchivedSegment, previous: ArchivedSegment | null, next: number): PlanckError {
  const dir = segment.path.slice(0, segment.path.lastIndexOf("/"));
  const missingSequence = previous !== null && previous.sequence + 1 < segment.sequence
    ? previous.sequence + 1
    : Math.max(1, segment.sequence - 1);
  const missing = segmentFileName(missingSequence);
  const range = `LSNs ${next}..${(segment.firstLsn ?? next + 1) - 1}`;
  return new PlanckError(
    "not_found",
    `The WAL archive has a gap: segment "${missing}" (${range}) is missing` +
      (missingSequence === segment.sequence ? "" : ` before "${segment.name}"`) + ` in "${dir}"`,
    { file: `${dir}/${missing}`, lsn: BigInt(next) },
  );
}
