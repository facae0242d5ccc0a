/**
 * Reading a plan's documents: the view the executor reads through (the database, or a
 * transaction's view with its own writes merged in), and the match loop that applies the filter.
 *
 * Invariants:
 * - Each document the source yields is counted once in `examined` and decoded at most once;
 *   documents outside the plan's key bounds are never read, and a filter that reads only the key
 *   runs before decoding, so rejected documents are never decoded.
 * - The loops are synchronous: nothing else runs between the first read and the last, so one
 *   query sees one consistent state.
 */
import { decodeDocument } from "../document.ts";
import { type Key, keyFromLatin1 } from "../key.ts";
import { bytesToLatin1 } from "../indexes/indexes.ts";
import type { IndexChoice } from "./index_plan.ts";
import { compileFilter, type Predicate } from "../query/filter.ts";
import { compileRawFilter, MATCH, MISS, type RawFilter } from "../query/raw_filter.ts";
import { filterUsesOnlyKey } from "../query/key_bounds.ts";
import { KEY_PATH } from "../query/path.ts";
import { decodeFields, type FieldNames, fieldNames } from "../bson_fields.ts";
import type { Plan } from "./planner.ts";
import type { Document, Filter } from "../../protocol/query_document.ts";

/** What the executor reads through. `Database` is one; a transaction provides another. */
export interface QueryView {
  /** The live document bytes of `key`, or undefined. */
  read(storeId: number, key: Key): Uint8Array | undefined;
  /** Live documents in key order; `from` inclusive, `to` exclusive. */
  scan(storeId: number, options: { from?: Key; to?: Key; reverse?: boolean }): Iterable<[Key, Uint8Array]>;
  /** Live entries of a secondary index (latin1 strings), in index order; the database has it. */
  indexScan?(indexId: number, options: { from?: string; to?: string }): Iterable<string>;
  /**
   * Live documents named by a secondary index's live entries in a range, in index order (a multikey
   * index names a document once per element); the database answers it without per-entry strings.
   */
  indexDocuments?(
    indexId: number,
    storeId: number,
    options: { from?: string; to?: string },
  ): Iterable<[Key, Uint8Array]>;
  /** Live entries of a secondary index in a range, counted without reading them (the database has it). */
  countIndexEntries?(indexId: number, options: { from?: string; to?: string }): number;
}

/** Counters of one execution. */
export interface ScanStats {
  /** Documents read from the source (before the filter). */
  examined: number;
}

/** One matching document. `doc` is empty when the caller asked for no decoding. */
export interface Match {
  key: Key;
  bytes: Uint8Array;
  doc: Document;
  /** `doc` holds only the fields `matches` was asked to decode (see completeRow). */
  partial?: boolean;
}

/** The documents of a plan's source, in scan order (the view's own iterator where it has one). */
export function sourceEntries(view: QueryView, plan: Plan): Iterable<[Key, Uint8Array]> {
  const storeId = plan.store.id;
  const source = plan.source;
  switch (source.kind) {
    case "full_scan":
      return view.scan(storeId, { reverse: plan.reverse });
    case "key_range":
      return view.scan(storeId, { from: source.from, to: source.to, reverse: plan.reverse });
    case "key_points":
      return pointReads(view, storeId, plan.reverse ? [...source.keys].reverse() : source.keys);
    case "index_scan":
      return indexEntries(view, storeId, source.choice);
  }
}

function* pointReads(view: QueryView, storeId: number, keys: readonly Key[]): Generator<[Key, Uint8Array]> {
  for (const key of keys) {
    const bytes = view.read(storeId, key);
    if (bytes !== undefined) yield [key, bytes];
  }
}

/** The latin1 [from, to) bounds an index scan reads (one unbounded scan for a whole-index choice). */
export function scanBounds(choice: IndexChoice): { from?: string; to?: string }[] {
  if (choice.ranges === null) return [{}];
  return choice.ranges.map((range) => ({ from: bytesToLatin1(range.low), to: bytesToLatin1(range.high) }));
}

/**
 * The document keys an index scan names (each entry's trailing 16 bytes, as latin1), in index
 * order, each once: a multikey index names a document once per element.
 */
export function* indexDocKeys(view: QueryView, choice: IndexChoice): Generator<string> {
  const seen = choice.index.multikey ? new Set<string>() : null;
  for (const options of scanBounds(choice)) {
    for (const entry of view.indexScan!(choice.index.id, options)) {
      const docKey = entry.slice(entry.length - 16);
      if (seen !== null) {
        if (seen.has(docKey)) continue;
        seen.add(docKey);
      }
      yield docKey;
    }
  }
}

/** Documents named by an index scan's entries, each once, in index order. */
function* indexEntries(view: QueryView, storeId: number, choice: IndexChoice): Generator<[Key, Uint8Array]> {
  if (view.indexDocuments !== undefined) {
    const seen = choice.index.multikey ? new Set<Key>() : null;
    for (const options of scanBounds(choice)) {
      for (const [key, bytes] of view.indexDocuments(choice.index.id, storeId, options)) {
        if (seen !== null) {
          if (seen.has(key)) continue;
          seen.add(key);
        }
        yield [key, bytes];
      }
    }
    return;
  }
  for (const docKey of indexDocKeys(view, choice)) {
    const key = keyFromLatin1(docKey);
    const bytes = view.read(storeId, key);
    if (bytes !== undefined) yield [key, bytes];
  }
}

const EMPTY: Document = Object.freeze({}) as Document;

/** A compiled filter and what running it needs. */
export interface CompiledFilter {
  predicate: Predicate;
  /** The filter reads only the key: run it on an empty document, before decoding. */
  keyOnly: boolean;
  /** The top-level fields the filter reads (the key aside). */
  fields: string[];
  /** The filter on stored bytes: documents it answers MISS for are skipped undecoded (null: none). */
  raw: RawFilter | null;
}

/** Compiles a query's filter for `matches`. */
export function compileQueryFilter(filter: Filter | undefined): CompiledFilter {
  return {
    predicate: compileFilter(filter),
    keyOnly: filter === undefined || filterUsesOnlyKey(filter),
    fields: filter === undefined ? [] : [...topLevelFields(filter, new Set())],
    raw: compileRawFilter(filter),
  };
}

function topLevelFields(filter: Filter, out: Set<string>): Set<string> {
  if ("and" in filter) { for (const f of filter.and) topLevelFields(f, out); }
  else if ("or" in filter) { for (const f of filter.or) topLevelFields(f, out); }
  else if ("not" in filter) topLevelFields(filter.not, out);
  else if (filter.field !== KEY_PATH) out.add(filter.field.split(".")[0]);
  return out;
}

/**
 * The partial decoding `matches` may use: only these top-level fields are decoded to filter (and to
 * order) the rows; a row decoded so is marked `partial` and `completeRow` decodes it whole later.
 */
export function partialFields(...names: Iterable<string>[]): FieldNames {
  const all = new Set<string>();
  for (const list of names) for (const name of list) if (name !== KEY_PATH) all.add(name.split(".")[0]);
  return fieldNames(all);
}

/** `row` with its whole document (decoded now when it was decoded partially). */
export function completeRow(row: Match): Match {
  return row.partial === true ? { key: row.key, bytes: row.bytes, doc: decodeDocument(row.bytes) } : row;
}

/**
 * The matching documents of a plan.
 * @param decode whether matches need their document (else `doc` is empty when the filter allows)
 */
export function* matches(
  view: QueryView,
  plan: Plan,
  filter: CompiledFilter,
  stats: ScanStats,
  decode: boolean,
  partial?: FieldNames,
): Generator<Match> {
  const { predicate, keyOnly, raw } = filter;
  for (const [key, bytes] of sourceEntries(view, plan)) {
    stats.examined++;
    if (raw !== null) {
      const answer = raw.test(bytes);
      if (answer === MISS) continue;
      if (answer === MATCH && !decode && partial === undefined) { // counted or deleted: nothing to decode
        yield { key, bytes, doc: EMPTY };
        continue;
      }
    }
    if (keyOnly && partial === undefined) {
      if (predicate(EMPTY, key)) yield { key, bytes, doc: decode ? decodeDocument(bytes) : EMPTY };
      continue;
    }
    if (keyOnly && !predicate(EMPTY, key)) continue;
    if (keyOnly && partial!.names.length === 0) { // nothing to filter or order on: decode nothing now
      yield { key, bytes, doc: EMPTY, partial: true };
      continue;
    }
    // Only the named fields when they are all scalars (bson_fields.ts gives the same values as a full
    // decode); else, or without `partial`, the whole document.
    const some = partial === undefined ? null : decodeFields(bytes, partial);
    if (some !== null) {
      if (keyOnly || predicate(some, key)) yield { key, bytes, doc: some, partial: true };
      continue;
    }
    const doc = decodeDocument(bytes);
    if (keyOnly || predicate(doc, key)) yield { key, bytes, doc };
  }
}
