/**
 * Unique index enforcement: before a write is staged, each entry the new document would add to a
 * unique index must not have the same values as an entry of another live document (as the write
 * set sees it), nor as another document staged in the same write set. Called only from
 * db/stage_write.ts (and the backfill of a new index).
 *
 * Concurrency: the committed index range a check consults is reported to the write set's view
 * (`WriteSet.recordIndexRange`); a transaction's view adds it to its read set, which fails the
 * commit with `conflict` if another writer committed an entry in that range meanwhile. Outside a
 * transaction, staging and the WAL append run in one synchronous turn, so nothing interleaves.
 */
import { decodeDocument } from "../document.ts";
import { PlanckError } from "../../protocol/errors.ts";
import { describeValues, type IndexDef, Indexes } from "./indexes.ts";
import { type Key, keyFromLatin1 } from "../key.ts";

/**
 * What a unique check reads of the database (engine/db/database.ts implements it): its index
 * definitions and entry encoder, committed index entries in a range, committed documents.
 */
export interface UniqueSource {
  readonly indexes: Indexes;
  indexScan(indexId: number, range: { from: string; to: string }): Iterable<string>;
  read(storeId: number, key: Key): Uint8Array | undefined;
}

/**
 * What a unique check needs of the write set it stages into (engine/db/write_set.ts): documents as
 * the set sees them, the index ranges it consulted (for the commit's conflict check) and the
 * claims on unique values staged in the same set.
 */
export interface UniqueClaims {
  read(storeId: number, key: Key): Uint8Array | undefined;
  recordIndexRange(indexId: number, from: string, to: string, seen: readonly string[]): void;
  claim(value: string, key: Key): Key;
  reclaim(value: string, key: Key): void;
}

const LOW_KEY = "\u0000".repeat(16);
const HIGH_KEY = "\u00ff".repeat(17);

/**
 * Throws `conflict` if an entry in `entries` (of document `key`) duplicates another document's
 * values in unique index `def`.
 */
export function checkUniqueEntries(
  db: UniqueSource,
  def: IndexDef,
  key: Key,
  entries: string[],
  writes: UniqueClaims | null,
): void {
  for (const entry of entries) {
    const values = Indexes.valuePart(entry);
    const range = { from: values + LOW_KEY, to: values + HIGH_KEY };
    const seen: string[] = [];
    for (const other of db.indexScan(def.id, range)) {
      seen.push(other);
      const otherKey = keyFromLatin1(other, other.length - 16);
      if (otherKey === key) continue;
      // The other document may be changed or deleted by this same write set.
      const current = writes === null ? db.read(def.storeId, otherKey) : writes.read(def.storeId, otherKey);
      if (current === undefined) continue;
      if (!db.indexes.entries(def.id, decodeDocument(current), otherKey).includes(other)) continue;
      throw violation(def, current, otherKey);
    }
    if (writes !== null) {
      writes.recordIndexRange(def.id, range.from, range.to, seen);
      const claim = `${def.id}:${values}`;
      const claimed = writes.claim(claim, key);
      if (claimed !== key) {
        // The claimer may since have changed or dropped the value: then the claim passes to `key`.
        const current = writes.read(def.storeId, claimed);
        const held = current !== undefined &&
          db.indexes.entries(def.id, decodeDocument(current), claimed).some((e) =>
            Indexes.valuePart(e) === values
          );
        if (held) throw violation(def, current, claimed);
        writes.reclaim(claim, key);
      }
    }
  }
}

function violation(def: IndexDef, doc: Uint8Array, holder: Key): PlanckError {
  return new PlanckError(
    "conflict",
    `Unique index "${def.name}" already has ${
      describeValues(decodeDocument(doc), def.fields)
    } (document "${holder}")`,
    { field: def.fields.map((f) => f.path).join(",") },
  );
}

/** Checks a staged put of `value` under `key` against every unique index of the store. */
export function checkUnique(
  db: UniqueSource,
  writes: UniqueClaims,
  storeId: number,
  key: Key,
  value: Uint8Array,
): void {
  let doc;
  for (const def of db.indexes.forStore(storeId)) {
    if (!def.unique) continue;
    doc ??= decodeDocument(value);
    checkUniqueEntries(db, def, key, db.indexes.entries(def.id, doc, key), writes);
  }
}
