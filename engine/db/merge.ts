/**
 * Merges sorted sources of versions into one sorted view of the newest versions: the read path of
 * range scans (active memtable, frozen memtables, B+tree). Sources are given newest first; for a
 * key present in several, the newest wins, and a tombstone (null) hides the key.
 */

/** One version: a document's bytes, or null for a tombstone. */
export type Version = Uint8Array | null;

/** Yields [key, value] for live keys in order (ascending, or descending when `reverse`). */
export function* mergeNewest(
  sources: Iterator<[string, Version]>[],
  reverse: boolean,
): Generator<[string, Uint8Array]> {
  const heads: ([string, Version] | null)[] = sources.map((s) => next(s));
  while (true) {
    let best = -1;
    for (let i = 0; i < heads.length; i++) {
      const head = heads[i];
      if (head === null) continue;
      if (best === -1) {
        best = i;
        continue;
      }
      const key = head[0];
      const bestKey = heads[best]![0];
      if (reverse ? key > bestKey : key < bestKey) best = i;
    }
    if (best === -1) return;
    const [key, value] = heads[best]!;
    for (let i = 0; i < heads.length; i++) {
      if (heads[i] !== null && heads[i]![0] === key) heads[i] = next(sources[i]);
    }
    if (value !== null) yield [key, value];
  }
}

function next(source: Iterator<[string, Version]>): [string, Version] | null {
  const result = source.next();
  return result.done ? null : result.value;
}
