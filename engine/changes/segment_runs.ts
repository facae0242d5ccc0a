/**
 * Runs of whole committed groups read straight out of WAL segment files, for replication's catch-up
 * (engine/changes/wal_groups.ts). A run is a byte range of the segment as the WAL wrote it (frames
 * back to back, each group ending with its commit marker): it is handed out as read, never decoded
 * and encoded again. Only a window around the run is read — about `maxBytes` plus the distance from
 * the nearest indexed group end — never the whole segment.
 *
 * Each segment has a sparse index of group ends (commit LSN → byte offset just past the marker),
 * at least SEGMENT_INDEX_STEP_BYTES apart, filled in as runs are read; a request after LSN `since`
 * starts reading at the indexed group end at or below it and skips forward to it.
 *
 * Invariants: a run starts right after the commit marker of LSN `since` and holds whole groups with
 * consecutive LSNs up to `upTo` (the caller's durable LSN), at most about `maxBytes` (always one
 * group when one is there); every frame handed out passed its CRC; a `since` that does not end a
 * group, a bad frame or an LSN out of sequence below `upTo` is a `corruption`/`invalid_argument`
 * error, never a silent gap.
 */
import { PlanckError } from "../../protocol/errors.ts";
import { GROUP_BYTES_MAX } from "../limits.ts";
import { decodeFrame, FRAME_HEADER_BYTES, FrameKind, SEGMENT_HEADER_BYTES } from "../wal/format.ts";
import type { SegmentInfo } from "../wal/wal.ts";

/** Least distance in bytes between two entries of a segment's index (bounds the skip-ahead read). */
export const SEGMENT_INDEX_STEP_BYTES = 256 * 1024;
/** The largest window read at once: a whole maximal group and the skip before it. */
const WINDOW_BYTES_MAX = GROUP_BYTES_MAX + SEGMENT_INDEX_STEP_BYTES + 2 * FRAME_HEADER_BYTES;

/** A run read from one segment (`groups` 0 when the segment holds nothing after `since` yet). */
export interface SegmentRun {
  bytes: Uint8Array;
  lastLsn: number;
  groups: number;
}

/** Group ends of one segment, sorted by LSN (offsets grow with them). */
interface SegmentIndex {
  lsns: number[];
  offsets: number[];
}

/** Reads runs out of the segments of one WAL; keeps one sparse index per segment it has read. */
export class SegmentRuns {
  readonly #indexes = new Map<string, SegmentIndex>();

  /**
   * The groups after `since` (which must end a group in `segment`, or be the LSN before its first
   * frame) up to `upTo`, at most about `maxBytes`.
   * @throws Deno.errors.NotFound when the segment file is gone
   * @throws PlanckError `invalid_argument` when `since` is not the end of a committed group,
   *   `corruption` naming the segment and offset of a bad frame
   */
  async read(segment: SegmentInfo, since: number, upTo: number, maxBytes: number): Promise<SegmentRun> {
    const index = this.#index(segment);
    const from = floorEntry(index, since);
    let pos = index.offsets[from];
    let lsn = index.lsns[from];
    let windowBytes = Math.min(WINDOW_BYTES_MAX, maxBytes + SEGMENT_INDEX_STEP_BYTES + FRAME_HEADER_BYTES);
    using file = await Deno.open(segment.path, { read: true });
    while (true) {
      const window = await readAt(file, pos, windowBytes);
      const scan = scanWindow(
        window,
        lsn,
        since,
        upTo,
        maxBytes,
        (at, commitLsn) => {
          addEntry(index, commitLsn, pos + at);
        },
        segment.path,
        pos,
      );
      if (scan.groups > 0) {
        return { bytes: window.subarray(scan.start, scan.end), lastLsn: scan.lastLsn, groups: scan.groups };
      }
      if (scan.stopped || window.length < windowBytes) {
        return { bytes: new Uint8Array(0), lastLsn: since, groups: 0 }; // nothing more here yet
      }
      if (scan.start >= 0) {
        pos += scan.start; // at `since`: the next group is larger than what is left of the window
        lsn = since;
      } else if (scan.end > 0) {
        pos += scan.end; // skipped ahead; `since` is further on
        lsn = scan.lastLsn;
        continue;
      }
      if (windowBytes >= WINDOW_BYTES_MAX) {
        throw new PlanckError(
          "corruption",
          `WAL segment ${segment.path}: no whole group within ${WINDOW_BYTES_MAX} bytes at offset ${pos}`,
          { offset: pos },
        );
      }
      windowBytes = Math.min(WINDOW_BYTES_MAX, windowBytes * 2);
    }
  }

  /** The index of `segment`; indexes of segments no longer listed are dropped by `forget`. */
  #index(segment: SegmentInfo): SegmentIndex {
    let index = this.#indexes.get(segment.path);
    if (index === undefined) {
      index = { lsns: [segment.firstLsn - 1], offsets: [SEGMENT_HEADER_BYTES] };
      this.#indexes.set(segment.path, index);
    }
    return index;
  }

  /** Drops the indexes of segments not in `kept` (removed by retention). */
  forget(kept: readonly SegmentInfo[]): void {
    if (this.#indexes.size <= kept.length) return;
    const paths = new Set(kept.map((segment) => segment.path));
    for (const path of this.#indexes.keys()) if (!paths.has(path)) this.#indexes.delete(path);
  }
}

/** What one window held: the run's byte range (start −1 while `since` was not reached yet). */
interface WindowScan {
  start: number;
  end: number;
  lastLsn: number;
  groups: number;
  /** True when `upTo` or the end of the written data was reached (nothing more to read now). */
  stopped: boolean;
}

/**
 * Walks the frames of `window` (read at file offset `base`; its first frame carries LSN `lsn` + 1).
 * Before `since` it only skips (`end`/`lastLsn` = the last group end passed); from `since` on it
 * collects whole groups up to `upTo` and about `maxBytes`.
 */
function scanWindow(
  window: Uint8Array,
  lsn: number,
  since: number,
  upTo: number,
  maxBytes: number,
  onGroupEnd: (at: number, commitLsn: number) => void,
  path: string,
  base: number,
): WindowScan {
  const out: WindowScan = { start: lsn === since ? 0 : -1, end: 0, lastLsn: lsn, groups: 0, stopped: false };
  let next = lsn + 1;
  let at = 0;
  while (true) {
    const frame = decodeFrame(window, at, window.length);
    if (frame === "short") return out; // the window ends inside this frame
    if (frame === "end") {
      out.stopped = true; // zeros: nothing written after this yet
      return out;
    }
    if (typeof frame === "string" || frame.lsn !== next) {
      if (next > upTo) {
        out.stopped = true; // past the durable LSN a frame may still be being written
        return out;
      }
      const why = typeof frame === "string" ? frame : `LSN ${frame.lsn}, expected ${next}`;
      throw new PlanckError("corruption", `WAL segment ${path}: bad frame at offset ${base + at}: ${why}`, {
        offset: base + at,
        lsn: BigInt(next),
      });
    }
    next++;
    at += FRAME_HEADER_BYTES + frame.value.length;
    if (frame.kind !== FrameKind.commit) continue;
    const commitLsn = frame.lsn;
    if (out.start < 0) {
      if (commitLsn > since) {
        throw new PlanckError("invalid_argument", `LSN ${since} is not the end of a committed group`, {
          field: "since",
          lsn: BigInt(since),
        });
      }
      onGroupEnd(at, commitLsn);
      out.end = at;
      out.lastLsn = commitLsn;
      if (commitLsn === since) {
        out.start = at;
        out.end = at;
      }
      continue;
    }
    if (commitLsn > upTo || (out.groups > 0 && at - out.start > maxBytes)) {
      out.stopped = true;
      return out;
    }
    onGroupEnd(at, commitLsn);
    out.end = at;
    out.lastLsn = commitLsn;
    out.groups++;
  }
}

/** The entry with the largest LSN at or below `lsn` (entry 0 is the segment's start). */
function floorEntry(index: SegmentIndex, lsn: number): number {
  let low = 0;
  let high = index.lsns.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (index.lsns[mid] <= lsn) low = mid;
    else high = mid - 1;
  }
  return low;
}

/** Records a group end unless an entry lies within SEGMENT_INDEX_STEP_BYTES of it. */
function addEntry(index: SegmentIndex, lsn: number, offset: number): void {
  const at = floorEntry(index, lsn);
  if (index.lsns[at] === lsn) return;
  if (offset - index.offsets[at] < SEGMENT_INDEX_STEP_BYTES) return;
  const after = index.offsets[at + 1];
  if (after !== undefined && after - offset < SEGMENT_INDEX_STEP_BYTES) return;
  index.lsns.splice(at + 1, 0, lsn);
  index.offsets.splice(at + 1, 0, offset);
}

/** Up to `length` bytes of `file` from `offset` (fewer at the end of the file). */
async function readAt(file: Deno.FsFile, offset: number, length: number): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  await file.seek(offset, Deno.SeekMode.Start);
  let filled = 0;
  while (filled < length) {
    const count = await file.read(out.subarray(filled));
    if (count === null) break;
    filled += count;
  }
  return filled === length ? out : out.subarray(0, filled);
}
