/**
 * Reads of committed state: a point read and a key-ordered scan of one store, each merged newest
 * first across the active memtable, the frozen memtables (newest first) and the persistent tiers;
 * the sources index reads (index_reads.ts) merge the same way; the counters of `stats`.
 *
 * Invariants: a read never awaits (it sees one state); a tombstone in a newer source hides every
 * older version of its key.
 */
import type { Key } from "../key.ts";
import type { IndexReadSource } from "./index_reads.ts";
import { limitIterator, versions } from "./iterators.ts";
import { mergeNewest, type Version } from "./merge.ts";
import type { DatabaseStats, ScanOptions } from "./options.ts";
import type { DatabaseState } from "./state.ts";

/** The live version of `key` in store `storeId`, or undefined. */
export function read(s: DatabaseState, storeId: number, key: Key): Uint8Array | undefined {
  const entry = s.active.get(storeId, key);
  if (entry !== undefined) return entry.value ?? undefined;
  for (let i = s.frozen.length - 1; i >= 0; i--) {
    const older = s.frozen[i].get(storeId, key);
    if (older !== undefined) return older.value ?? undefined;
  }
  return s.tiers.read(storeId, key);
}

/** Live documents of one store in key order. */
export function scan(
  s: DatabaseState,
  storeId: number,
  options: ScanOptions = {},
): IterableIterator<[Key, Uint8Array]> {
  const reverse = options.reverse === true;
  if (
    options.limit === undefined && s.active.count(storeId) === 0 &&
    s.frozen.every((m) => m.count(storeId) === 0)
  ) {
    return s.tiers.entries(storeId, options.from, options.to, reverse); // all flushed: nothing to merge
  }
  const sources: Iterator<[string, Version]>[] = [s.active, ...[...s.frozen].reverse()].map((m) =>
    versions(m.entries(storeId, options.from, options.to, reverse))
  );
  sources.push(s.tiers.entries(storeId, options.from, options.to, reverse));
  return limitIterator(mergeNewest(sources, reverse), options.limit);
}

/** What index reads merge: the memtables newest first, the tiers, and point reads. */
export function indexSource(s: DatabaseState): IndexReadSource {
  return {
    memtables: [s.active, ...[...s.frozen].reverse()],
    tiers: s.tiers,
    db: { read: (storeId, key) => read(s, storeId, key) },
  };
}

/** Counters for status pages and benchmarks. */
export function stats(s: DatabaseState): DatabaseStats {
  return {
    lastLsn: s.wal.lastLsn,
    durableLsn: s.wal.durableLsn,
    syncs: s.wal.syncs,
    memtableBytes: s.active.bytes,
    frozenMemtables: s.frozen.length,
    walSegments: s.wal.segments().length,
    changesOldestLsn: s.changes.oldestLsn,
    stores: s.catalog.list().length,
    flushes: s.flushes,
    tiers: s.tiers.stats(),
  };
}
