/**
 * Reads committed groups back from WAL segments for watchers behind the in-memory tail. One call
 * reads one segment (the one holding the LSN after `since`) and returns its groups after `since`,
 * up to `upTo`; the caller calls again from the last LSN returned.
 *
 * A segment may be the active one, being appended to while it is read: only groups whose commit
 * marker is read intact count (engine/wal/reader.ts), and `upTo` (the durable LSN) bounds them.
 */
import { PlanckError } from "../../protocol/errors.ts";
import { scanSegment } from "../wal/reader.ts";
import type { SegmentInfo } from "../wal/wal.ts";
import { type ChangeGroup, groupFromWal } from "./record.ts";

/** The oldest LSN the segments hold (a resume needs `since >= oldest - 1`). */
export function oldestLsn(segments: readonly SegmentInfo[]): number {
  return segments.length === 0 ? 1 : segments[0].firstLsn;
}

/** The error for a resume point older than what is kept. */
export function resumePointLost(since: number, oldest: number): PlanckError {
  return new PlanckError(
    "resume_point_lost",
    `Cannot resume after LSN ${since}: the WAL kept for change streams starts at LSN ${oldest} ` +
      `(older segments were removed by changes.retention); resume from ${oldest - 1} after a fresh read`,
    { lsn: BigInt(oldest), field: "since" },
  );
}

/**
 * Groups committed after `since`, up to `upTo`, from the segment that holds LSN since + 1.
 * @throws PlanckError `resume_point_lost` when that segment is no longer kept
 */
export async function readWalGroups(
  segments: () => readonly SegmentInfo[],
  since: number,
  upTo: number,
): Promise<ChangeGroup[]> {
  const list = [...segments()];
  const oldest = oldestLsn(list);
  if (since + 1 < oldest) throw resumePointLost(since, oldest);
  let at = list.length - 1;
  while (at > 0 && list[at].firstLsn > since + 1) at--;
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(list[at].path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) throw resumePointLost(since, oldestLsn(segments()));
    throw error;
  }
  const scan = scanSegment(bytes, 0);
  const out: ChangeGroup[] = [];
  for (const group of scan.groups) {
    if (group.commitLsn <= since) continue;
    if (group.commitLsn > upTo) break;
    out.push(groupFromWal(group));
  }
  return out;
}
