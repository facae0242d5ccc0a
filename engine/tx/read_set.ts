/**
 * A transaction's read set: what it read from committed state, checked at commit (optimistic
 * concurrency control, docs/transactions.md).
 *
 * Recorded: every point read of committed state as (store, key, version seen), where the version
 * is the bytes object Database.read returned (undefined: absent), and every key range a query
 * scanned. Validation at commit, in the same synchronous turn as the WAL append:
 *   1. nothing committed since the transaction began (lastLsn unchanged) → valid;
 *   2. every store read or written still exists (ids are never reused);
 *   3. every point read still sees the same version: the same bytes object, or bytes equal to it
 *      (a flush moves a document to the tiers and a tier read returns a new array; equal bytes are
 *      the same document, so the read is still current);
 *   4. every scanned range holds no key the transaction neither read nor wrote itself (a phantom);
 *   5. every unique-index range a unique check consulted holds no entry it did not see, other than
 *      entries of documents the transaction wrote itself: another writer committed the same unique
 *      value meanwhile (or an index was dropped: then there is nothing left to enforce).
 *
 * Invariants: at most TX_READ_KEYS_MAX entries (points + ranges) are held; past that the set turns
 * coarse and drops them, and validation fails if anything at all committed since the transaction
 * began (still correct, never silently weaker).
 */
import type { Database } from "../db/database.ts";
import { PlanckError } from "../../protocol/errors.ts";
import { type Key, keyFromLatin1 } from "../key.ts";
import type { WriteSet } from "../db/write_set.ts";

/** Most reads (documents + ranges) a transaction tracks one by one; past it, validation is coarse. */
export const TX_READ_KEYS_MAX = 100_000;

interface PointRead {
  storeId: number;
  key: Key;
  version: Uint8Array | undefined;
}

interface IndexRangeRead {
  indexId: number;
  from: string;
  to: string;
  seen: Set<string>;
}

interface RangeRead {
  storeId: number;
  from?: Key;
  to?: Key;
}

function sameVersion(seen: Uint8Array | undefined, current: Uint8Array | undefined): boolean {
  if (seen === current) return true;
  if (seen === undefined || current === undefined || seen.length !== current.length) return false;
  for (let i = 0; i < seen.length; i++) {
    if (seen[i] !== current[i]) return false;
  }
  return true;
}

function conflict(message: string): PlanckError {
  return new PlanckError("conflict", `Transaction conflict: ${message}; nothing was written, retry it`);
}

/** Reads of one transaction, validated at its commit. */
export class ReadSet {
  readonly #startLsn: number;
  readonly #points = new Map<string, PointRead>();
  readonly #ranges: RangeRead[] = [];
  readonly #indexRanges: IndexRangeRead[] = [];
  readonly #stores = new Set<number>();
  #coarse = false;

  /** @param startLsn the database's lastLsn when the transaction began */
  constructor(startLsn: number) {
    this.#startLsn = startLsn;
  }

  #full(): boolean {
    if (this.#coarse) return true;
    if (this.#points.size + this.#ranges.length + this.#indexRanges.length < TX_READ_KEYS_MAX) return false;
    this.#coarse = true;
    this.#points.clear();
    this.#ranges.length = 0;
    this.#indexRanges.length = 0;
    return true;
  }

  /** Records a read of committed state; the first version seen of a key is the one checked. */
  recordPoint(storeId: number, key: Key, version: Uint8Array | undefined): void {
    this.#stores.add(storeId);
    const id = storeId + ":" + key;
    if (this.#full() || this.#points.has(id)) return;
    this.#points.set(id, { storeId, key, version });
  }

  /** Records a scanned key range [from, to) of committed state. */
  recordRange(storeId: number, from: Key | undefined, to: Key | undefined): void {
    this.#stores.add(storeId);
    if (from !== undefined && to !== undefined && from >= to) return;
    if (!this.#full()) this.#ranges.push({ storeId, from, to });
  }

  /** Records the committed entries [from, to) of unique index `indexId` a unique check saw. */
  recordIndexRange(indexId: number, from: string, to: string, seen: readonly string[]): void {
    if (!this.#full()) this.#indexRanges.push({ indexId, from, to, seen: new Set(seen) });
  }

  /**
   * Checks that every read is still current (see the file header).
   * @param own the transaction's writes: keys it wrote without reading are not phantoms
   * @throws PlanckError `conflict`
   */
  validate(db: Database, own: WriteSet): void {
    if (db.lastLsn === this.#startLsn) return;
    const live = new Set(db.listStores().map((store) => store.id));
    for (const write of own.writes()) this.#stores.add(write.storeId);
    for (const id of this.#stores) {
      if (!live.has(id)) throw conflict("a store it used was dropped");
    }
    if (this.#coarse) {
      throw conflict(
        `it read more than TX_READ_KEYS_MAX (${TX_READ_KEYS_MAX}) documents while another write committed`,
      );
    }
    for (const read of this.#points.values()) {
      if (!sameVersion(read.version, db.read(read.storeId, read.key))) {
        throw conflict(`document "${read.key}" changed after the transaction read it`);
      }
    }
    if (this.#ranges.length === 0 && this.#indexRanges.length === 0) return;
    const written = new Set<string>();
    for (const write of own.writes()) written.add(write.storeId + ":" + write.key);
    for (const range of this.#indexRanges) {
      const def = db.indexes.byId(range.indexId);
      if (def === undefined) continue;
      for (const entry of db.indexScan(range.indexId, { from: range.from, to: range.to })) {
        if (range.seen.has(entry)) continue;
        const holder = keyFromLatin1(entry, entry.length - 16);
        if (written.has(def.storeId + ":" + holder)) continue;
        throw conflict(
          `document "${holder}" took a value of unique index "${def.name}" that the transaction also wrote`,
        );
      }
    }
    for (const range of this.#ranges) {
      for (const [key] of db.scan(range.storeId, { from: range.from, to: range.to })) {
        const id = range.storeId + ":" + key;
        if (!this.#points.has(id) && !written.has(id)) {
          throw conflict(`document "${key}" appeared in a key range the transaction scanned`);
        }
      }
    }
  }
}
