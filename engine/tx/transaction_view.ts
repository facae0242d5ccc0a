/**
 * A transaction's view of the database: its own buffered writes over committed state
 * (read-your-writes), recording every read of committed state in the transaction's ReadSet.
 *
 * Invariants:
 * - A read of a key the transaction wrote returns that write and records nothing; any other read
 *   records the committed version it saw.
 * - A scan merges the transaction's writes in the range (taken when the scan starts) over the
 *   committed scan, newest first, so a pending delete hides a committed document. It records the
 *   key range it actually covered: all of it when it ran to the end, up to the last key it yielded
 *   when the consumer stopped early (a key-ordered find with a limit).
 */
import type { Database } from "../db/database.ts";
import { type Key } from "../key.ts";
import { mergeNewest, type Version } from "../db/merge.ts";
import { keyAfter } from "../query/key_bounds.ts";
import type { QueryView } from "../exec/scan.ts";
import type { ReadSet } from "./read_set.ts";
import { type PendingWrite, WriteSet } from "../db/write_set.ts";

interface ScanRange {
  from?: Key;
  to?: Key;
  reverse?: boolean;
}

function* pendingVersions(writes: PendingWrite[]): Generator<[string, Version]> {
  for (const write of writes) yield [write.key, write.value];
}

/** Reads through a transaction's writes, recording reads of committed state. */
export class TransactionView implements QueryView {
  readonly #db: Database;
  readonly #readSet: ReadSet;
  /** The transaction's buffered writes; reads that fall through them are recorded. */
  readonly writes: WriteSet;

  constructor(db: Database, readSet: ReadSet) {
    this.#db = db;
    this.#readSet = readSet;
    this.writes = new WriteSet({
      read: (storeId: number, key: Key): Uint8Array | undefined => {
        const version = db.read(storeId, key);
        readSet.recordPoint(storeId, key, version);
        return version;
      },
      recordIndexRange: (indexId, from, to, seen) => readSet.recordIndexRange(indexId, from, to, seen),
    });
  }

  /** The live bytes of `key` as the transaction sees them. */
  read(storeId: number, key: Key): Uint8Array | undefined {
    return this.writes.read(storeId, key);
  }

  /** True when the transaction has staged writes in the store (its indexes do not show them yet). */
  hasWritesIn(storeId: number): boolean {
    return this.writes.writesOf(storeId).length > 0;
  }

  /**
   * Committed entries of a secondary index. The planner uses it only for stores this transaction
   * has not written; the whole store counts as read (any concurrent write to it is a conflict).
   */
  indexScan(indexId: number, options: { from?: string; to?: string }): Iterable<string> {
    const def = this.#db.indexes.byId(indexId);
    if (def !== undefined) this.#readSet.recordRange(def.storeId, undefined, undefined);
    return this.#db.indexScan(indexId, options);
  }

  /** Committed documents named by a secondary index (same rule as indexScan: unwritten stores only). */
  indexDocuments(
    indexId: number,
    storeId: number,
    options: { from?: string; to?: string },
  ): Iterable<[Key, Uint8Array]> {
    const def = this.#db.indexes.byId(indexId);
    if (def !== undefined) this.#readSet.recordRange(def.storeId, undefined, undefined);
    return this.#db.indexDocuments(indexId, storeId, options);
  }

  /** Live documents in key order, the transaction's writes merged in. */
  *scan(storeId: number, range: ScanRange): Generator<[Key, Uint8Array]> {
    const { from, to } = range;
    const reverse = range.reverse === true;
    const pending = this.writes.writesOf(storeId)
      .filter((w) => (from === undefined || w.key >= from) && (to === undefined || w.key < to))
      .sort((a, b) => (a.key < b.key ? -1 : 1) * (reverse ? -1 : 1));
    const pendingKeys = new Set(pending.map((w) => w.key));
    const committed = this.#committed(storeId, range, pendingKeys);
    let last: Key | undefined;
    let complete = false;
    try {
      for (const entry of mergeNewest([pendingVersions(pending), committed], reverse)) {
        last = entry[0];
        yield entry;
      }
      complete = true;
    } finally {
      this.#recordCovered(storeId, range, complete, last);
    }
  }

  *#committed(storeId: number, range: ScanRange, pendingKeys: Set<Key>): Generator<[string, Version]> {
    for (
      const [key, bytes] of this.#db.scan(storeId, { from: range.from, to: range.to, reverse: range.reverse })
    ) {
      if (!pendingKeys.has(key)) this.#readSet.recordPoint(storeId, key, bytes);
      yield [key, bytes];
    }
  }

  #recordCovered(storeId: number, range: ScanRange, complete: boolean, last: Key | undefined): void {
    if (complete) {
      this.#readSet.recordRange(storeId, range.from, range.to);
    } else if (last !== undefined) {
      if (range.reverse === true) this.#readSet.recordRange(storeId, last, range.to);
      else this.#readSet.recordRange(storeId, range.from, keyAfter(last));
    }
  }
}
