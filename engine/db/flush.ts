/**
 * Flush: the active memtable is frozen (a new one takes writes, the WAL rotates) and written to the
 * persistent tiers in the background, one flush after another; the tiers' commit records the
 * checkpoint LSN; WAL segments wholly below it are then kept for change streams within the
 * retention window (engine/changes/retention.ts) and removed (or archived) past it; then the value
 * log is collected (gc.ts). File pins (online backups) hold flush-time removals back.
 *
 * Invariants: a checkpoint never runs ahead of the durable log (the flush awaits the WAL first); a
 * frozen memtable stays readable until its flush has committed; after a failed flush no later one
 * runs and every write fails with its error.
 */
import { assert } from "../assert.ts";
import { Memtable } from "../memtable/memtable.ts";
import type { FilePin } from "./file_pin.ts";
import { gcAfterFlush } from "./gc.ts";
import { checkOpen, type DatabaseState, throwFlushError } from "./state.ts";
import { pruneWal as pruneSegments } from "./wal_prune.ts";

/**
 * Freezes the active memtable and chains its flush behind the ones already waiting. The WAL rotates
 * (so the segments below can go after the flush) unless `rotate` is false: a file pin freezes
 * without rotating, since a rotation's synchronous fdatasync would hold every write for its length.
 */
export function freeze(s: DatabaseState, options: { rotate?: boolean } = {}): void {
  s.walBytesAtFreeze = s.wal.appendedBytes;
  const memtable = s.active;
  memtable.freeze();
  s.frozen.push(memtable);
  s.active = new Memtable();
  if (options.rotate !== false) s.wal.rotate();
  const segments = s.wal.segments();
  const keepFrom = segments[segments.length - 1].sequence;
  const input = {
    memtable,
    lsn: s.wal.lastLsn,
    stores: s.catalog.list(),
    indexes: s.indexes.list().map((d) => ({ ...d })),
    nextId: s.catalog.nextId,
    dropped: [...s.dropped],
  };
  s.dropped.clear();
  assert(s.frozen.length > 0 && memtable !== s.active, "freeze: the frozen memtable left the write path");
  s.flushing = s.flushing.then(async () => {
    if (s.flushError !== null) return;
    try {
      await s.wal.waitDurable(input.lsn); // the checkpoint never runs ahead of the log
      await s.tiers.flush(input);
      assert(s.tiers.checkpoint.lsn >= input.lsn, "flush: the checkpoint covers the flushed memtable");
      s.flushes++;
      const at = s.frozen.indexOf(memtable);
      assert(at === 0, "flush: memtables are flushed oldest first");
      s.frozen.splice(at, 1);
      s.reclaimableBefore = Math.max(s.reclaimableBefore, keepFrom);
      pruneWal(s);
      await gcAfterFlush(s);
    } catch (error) {
      s.flushError = error; // the frozen memtable stays readable; writes now fail
    }
  });
}

/**
 * Freezes the active memtable and writes it to the persistent tiers; resolves when the checkpoint
 * covering every write so far is committed.
 */
export async function flush(s: DatabaseState): Promise<void> {
  checkOpen(s);
  if (s.wal.lastLsn > s.tiers.checkpoint.lsn) freeze(s);
  await s.flushing;
  throwFlushError(s);
}

/** Removes (after archiving) the oldest segments recovery no longer needs that are past the retention window. */
export function pruneWal(s: DatabaseState): void {
  if (s.pins.held) return; // an online backup is copying them
  pruneSegments(s.wal, s.reclaimableBefore, s.retention, s.segmentSink);
}

/** Holds flushes, GC and WAL removal for an online backup (engine/db/file_pin.ts); writes go on. */
export function pinFiles(s: DatabaseState): Promise<FilePin> {
  checkOpen(s);
  return s.pins.pin(s.wal, s.tiers, s.catalog, () => s.closed || pruneWal(s));
}
