/**
 * The memtable: the newest version of every key written since the last flush, per store, in a
 * skiplist (ordered scans) plus a hash map (O(1) point gets). A deleted key holds a tombstone
 * (value null) so that it hides older versions in lower tiers.
 *
 * Index entries (engine/indexes/indexes.ts) live here too, under their index id, keyed by latin1 strings.
 *
 * Invariants: an entry's LSN only grows; once frozen, a memtable never changes; `bytes` is the sum
 * of ENTRY_BYTES_OVERHEAD + key + value bytes over live entries (the flush trigger reads it).
 */
import { assert } from "../assert.ts";
import { SkipList } from "./skiplist.ts";
import type { Key } from "../key.ts";

/** Accounting overhead per entry, in bytes: node, links, map slot, entry object (measured, rounded up). */
export const ENTRY_BYTES_OVERHEAD = 160;

/** The newest version of one key: a document's BSON, or null for a tombstone. */
export interface MemEntry {
  lsn: number;
  value: Uint8Array | null;
}

interface StoreTable {
  list: SkipList<MemEntry>;
  map: Map<Key, MemEntry>;
}

/** One memtable: writes go to the active one; frozen ones wait for their flush. */
export class Memtable {
  readonly #stores = new Map<number, StoreTable>();
  #bytes = 0;
  #frozen = false;
  #firstLsn = 0;
  #lastLsn = 0;

  /** Accounted size in bytes. */
  get bytes(): number {
    return this.#bytes;
  }
  /** LSN of the first write applied (0 when empty). */
  get firstLsn(): number {
    return this.#firstLsn;
  }
  /** LSN of the last write applied (0 when empty). */
  get lastLsn(): number {
    return this.#lastLsn;
  }
  get frozen(): boolean {
    return this.#frozen;
  }
  /** Store ids with entries. */
  storeIds(): number[] {
    return [...this.#stores.keys()];
  }

  /** Number of entries (including tombstones) for one store. */
  count(storeId: number): number {
    return this.#stores.get(storeId)?.map.size ?? 0;
  }

  /** Records `value` (or a tombstone) as the newest version of `key` at `lsn`. */
  apply(storeId: number, key: Key, lsn: number, value: Uint8Array | null): void {
    assert(!this.#frozen, "a frozen memtable takes no writes");
    assert(lsn >= this.#lastLsn, "memtable LSNs never go back");
    let table = this.#stores.get(storeId);
    if (table === undefined) {
      const map = new Map<Key, MemEntry>();
      table = { list: new SkipList<MemEntry>(storeId * 2654435761, (key) => map.get(key)!), map };
      this.#stores.set(storeId, table);
    }
    const found = table.map.get(key);
    const size = value === null ? 0 : value.length;
    if (found !== undefined) {
      this.#bytes += size - (found.value === null ? 0 : found.value.length);
      found.lsn = lsn;
      found.value = value;
    } else {
      const entry: MemEntry = { lsn, value };
      table.map.set(key, entry);
      table.list.add(key, entry); // new: the map just said so
      this.#bytes += ENTRY_BYTES_OVERHEAD + 16 + size;
    }
    if (this.#firstLsn === 0) this.#firstLsn = lsn;
    this.#lastLsn = lsn;
  }

  /** The newest entry for `key` (a tombstone has value null), or undefined when this memtable has none. */
  get(storeId: number, key: Key): MemEntry | undefined {
    return this.#stores.get(storeId)?.map.get(key);
  }

  /** Entries of one store in key order within [from, to), ascending or descending. */
  entries(storeId: number, from?: Key, to?: Key, reverse = false): IterableIterator<[Key, MemEntry]> {
    const table = this.#stores.get(storeId);
    return table === undefined ? [][Symbol.iterator]() : table.list.entries(from, to, reverse);
  }

  /** Forgets a dropped store's entries. */
  dropStore(storeId: number): void {
    assert(!this.#frozen, "a frozen memtable is not modified");
    const table = this.#stores.get(storeId);
    if (table === undefined) return;
    for (const entry of table.map.values()) {
      this.#bytes -= ENTRY_BYTES_OVERHEAD + 16 + (entry.value === null ? 0 : entry.value.length);
    }
    this.#stores.delete(storeId);
  }

  /** Makes this memtable read-only; the caller starts a new one. */
  freeze(): void {
    this.#frozen = true;
  }
}
