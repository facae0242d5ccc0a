/**
 * The write path of the database (steps as in database.ts): a group of frames is checked against
 * the leader, its puts marked as inserts where the key has no live version, appended to the WAL as
 * one group, applied to the memtable, indexes and catalog, recorded for change streams; the writer
 * then awaits durability (sync mode) and, when too many memtables wait for their flush, the flush.
 *
 * Invariants: steps up to the append and apply run in one synchronous turn (no await), so every
 * group is serializable with every other; a group's LSNs are contiguous and applied in order; the
 * memtable freezes only between groups.
 */
import { assert } from "../assert.ts";
import { type FrameInput, FrameKind } from "../wal/format.ts";
import { applyGroup, type GroupFrames, hexKeyOf } from "./apply_group.ts";
import { freeze } from "./flush.ts";
import { notLeader } from "./not_leader.ts";
import { read } from "./reads.ts";
import type { DatabaseState } from "./state.ts";

/** Frozen memtables that may wait for their flush before writers are held back. */
export const FROZEN_MEMTABLES_MAX = 2;

/** Commits one group of frames; resolves with its last LSN once durable (sync) or applied (interval). */
export async function commitFrames(s: DatabaseState, frames: FrameInput[]): Promise<number> {
  if (s.leader !== null) throw notLeader(s.leader);
  markInserts(s, frames);
  const lastLsn = appendGroup(s, frames);
  if (s.wal.durability.mode === "sync") await s.wal.waitDurable(lastLsn);
  // Backpressure: too many memtables wait for their flush, so this writer waits too.
  while (s.frozen.length > FROZEN_MEMTABLES_MAX && s.flushError === null) await s.flushing;
  return lastLsn;
}

/** Steps 2–3 of the write path: append one group, apply it, record it for change streams. */
export function appendGroup(s: DatabaseState, frames: FrameInput[]): number {
  const lastBefore = s.wal.lastLsn;
  const { firstLsn, lastLsn } = s.wal.append(frames);
  assert(firstLsn === lastBefore + 1 && lastLsn >= firstLsn, "write: a group's LSNs follow the last one");
  applyGroupAt(s, frames, firstLsn);
  s.changes.recordFrames(frames, firstLsn, lastLsn);
  freezeWhenFull(s);
  return lastLsn;
}

/** Freezes the memtable when it is full or the WAL since the last freeze is (between groups only). */
export function freezeWhenFull(s: DatabaseState): void {
  // The WAL bound (recovery time) freezes only when no flush is waiting: under a write burst the
  // memtable size alone paces flushes, so writers are never held back to shorten recovery.
  const walBytes = s.wal.appendedBytes - s.walBytesAtFreeze;
  const walFull = walBytes >= s.walCheckpointBytes && s.frozen.length === 0;
  if (s.active.bytes >= s.memtableBytes || walFull) freeze(s);
}

/**
 * Writes a put whose key has no live version as `insert` (change streams read insert versus update
 * from the kind; replay then skips the lookup) and keeps the previous version for index deltas.
 */
function markInserts(s: DatabaseState, frames: FrameInput[]): void {
  for (const frame of frames) {
    if (frame.kind !== FrameKind.put && frame.kind !== FrameKind.delete) continue;
    const before = read(s, frame.storeId, hexKeyOf(frame));
    if (before !== undefined) frame.before = before;
    else if (frame.kind === FrameKind.put) frame.kind = FrameKind.insert;
  }
}

/** Applies one committed group to the memtable, indexes and catalog (commit, recovery, replication). */
export function applyGroupAt(s: DatabaseState, frames: GroupFrames, firstLsn: number): void {
  applyGroup(s.applyTarget, frames, firstLsn);
}
