/**
 * Reads of secondary indexes across the tiers: merged entry scans, the documents an index range names,
 * and counts that read no entry. Database delegates to these (they read its memtables and tiers).
 *
 * Invariants: every function sees one consistent state (it runs synchronously between yields of
 * generators, like every engine read); a memtable entry always wins over older memtables and the tree.
 */
import { type Key, KEY_BYTES, keyFromBytes, keyFromLatin1 } from "../key.ts";
import type { Memtable } from "../memtable/memtable.ts";
import { mergeNewest, type Version } from "./merge.ts";
import { keysOf, versions } from "./iterators.ts";
import type { Tiers } from "./tiers.ts";

/** A [from, to) range of latin1 index entries, each bound optional. */
export interface IndexRange {
  from?: string;
  to?: string;
}

/** What the reads need from the database. */
export interface IndexReadSource {
  /** The active memtable first, then the frozen ones, newest first. */
  memtables: Memtable[];
  tiers: Tiers;
  /** The database's point read (memtables, then tiers). */
  db: { read(storeId: number, key: Key): Uint8Array | undefined };
}

/** Live entries of index `indexId` in the range, merged across tiers, in index order (or reversed). */
export function indexScan(
  source: IndexReadSource,
  indexId: number,
  options: IndexRange & { reverse?: boolean },
): Generator<string> {
  const reverse = options.reverse === true;
  const sources: Iterator<[string, Version]>[] = source.memtables.map((m) =>
    versions(m.entries(indexId, options.from, options.to, reverse))
  );
  sources.push(source.tiers.indexEntries(indexId, options.from, options.to, reverse));
  return keysOf(mergeNewest(sources, reverse));
}

/** True when no memtable holds entries of the index or documents of the store. */
function onlyCommitted(source: IndexReadSource, indexId: number, storeId: number): boolean {
  return source.memtables.every((m) => m.count(indexId) === 0 && m.count(storeId) === 0);
}

/**
 * The live documents of store `storeId` named by the live entries of index `indexId` in the range, in
 * index order, as [key, document bytes]. A multikey index names a document once per matching element.
 * When no memtable holds entries of the index or the store, the committed tiers answer directly (no merge,
 * no per-entry strings); else entries are merged across tiers and each document is read.
 */
export function* indexDocuments(
  source: IndexReadSource,
  indexId: number,
  storeId: number,
  options: IndexRange,
): Generator<[Key, Uint8Array]> {
  if (onlyCommitted(source, indexId, storeId)) {
    for (const [key, doc] of source.tiers.indexDocuments(indexId, storeId, options.from, options.to)) {
      yield [keyFromBytes(key), doc];
    }
    return;
  }
  for (const entry of indexScan(source, indexId, options)) {
    const key = keyFromLatin1(entry, entry.length - KEY_BYTES);
    const doc = source.db.read(storeId, key);
    if (doc !== undefined) yield [key, doc];
  }
}

/** The raw documents `indexDocuments` yields, without their keys: the cheapest fetch of an index range. */
export function* indexDocumentBytes(
  source: IndexReadSource,
  indexId: number,
  storeId: number,
  options: IndexRange,
): Generator<Uint8Array> {
  if (onlyCommitted(source, indexId, storeId)) {
    for (const [, doc] of source.tiers.indexDocuments(indexId, storeId, options.from, options.to)) yield doc;
    return;
  }
  for (const [, doc] of indexDocuments(source, indexId, storeId, options)) yield doc;
}

/**
 * Number of live entries of index `indexId` in the range: the B+tree's count (subtree counts, no entry is
 * read) corrected by the memtables' entries in the range — a newest version that is live and not in the
 * tree adds one, a tombstone of an entry in the tree takes one away. Correct while a flush is half done:
 * presence in the tree is checked, not assumed.
 */
export function countIndexEntries(source: IndexReadSource, indexId: number, options: IndexRange): number {
  let count = source.tiers.countIndexEntries(indexId, options.from, options.to);
  const seen = new Set<string>();
  for (const memtable of source.memtables) {
    for (const [entry, version] of memtable.entries(indexId, options.from, options.to)) {
      if (seen.has(entry)) continue; // a newer memtable decided it
      seen.add(entry);
      const inTree = source.tiers.hasIndexEntry(indexId, entry);
      if (version.value !== null && !inTree) count++;
      else if (version.value === null && inTree) count--;
    }
  }
  return count;
}
