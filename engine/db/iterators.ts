/**
 * Small generators the read paths share: live versions of memtable entries, keys only, and a limit.
 */
import type { Key } from "../key.ts";
import type { Version } from "./merge.ts";

/** The keys of [key, value] pairs. */
export function* keysOf(entries: Iterator<[string, Uint8Array]>): Generator<string> {
  for (let next = entries.next(); !next.done; next = entries.next()) yield next.value[0];
}

/** Memtable entries as merge sources: [key, value or null for a tombstone]. */
export function* versions(
  entries: Iterable<[Key, { value: Uint8Array | null }]>,
): Generator<[string, Version]> {
  for (const [key, entry] of entries) yield [key, entry.value];
}

/** At most `limit` items of `source` (all when undefined). */
export function* limitIterator<T>(source: Iterator<T>, limit: number | undefined): Generator<T> {
  let left = limit ?? Infinity;
  while (left-- > 0) {
    const next = source.next();
    if (next.done) return;
    yield next.value;
  }
}
