/**
 * Removing WAL segments past the change-stream retention window once recovery no longer needs them
 * (engine/changes/retention.ts decides how many), after handing each to the archive when one is
 * configured (engine/wal/archive.ts; docs/replication.md, "WAL archive").
 *
 * Invariants: only a prefix of the log goes, never the active segment (a removed segment may be kept
 * as a spare by the WAL, engine/wal/wal.ts, and reused as a later segment); a segment is handed to the
 * archive before it is removed, and an archive failure never stops the removal (the archive
 * reports it).
 */
import { assert } from "../assert.ts";
import { type Retention, segmentsToRemove } from "../changes/retention.ts";
import type { SegmentInfo, Wal } from "../wal/wal.ts";

/** Receives a segment about to be removed (it still exists while this runs). */
export type SegmentSink = (segment: SegmentInfo) => void;

/** Removes the oldest segments of `wal` that are below `reclaimableBefore` and past `retention`. */
export function pruneWal(
  wal: Wal,
  reclaimableBefore: number,
  retention: Retention,
  sink: SegmentSink | undefined,
): void {
  const segments = wal.segments();
  const stats = segments.map((segment) => {
    const info = Deno.statSync(segment.path);
    return { sequence: segment.sequence, bytes: info.size, mtimeMs: info.mtime?.getTime() ?? 0 };
  });
  const count = segmentsToRemove(stats, reclaimableBefore, retention, Date.now());
  if (count === 0) return;
  assert(count < segments.length, "the active segment is never removed");
  for (const segment of wal.dropSegmentsBefore(segments[count].sequence)) {
    sink?.(segment);
    wal.retire(segment); // kept as a spare for reuse, or removed
  }
}
