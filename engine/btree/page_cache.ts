/**
 * A least-recently-used cache of decoded pages, bounded by bytes.
 *
 * Owns: the page number → decoded page map, the recency order and the hit/miss counters.
 *
 * Invariants:
 * - `bytes` is the sum of the sizes of the cached entries and never exceeds the capacity after `set`;
 * - the recency list and the map hold exactly the same entries;
 * - cached values are never mutated by anyone (pages are immutable once decoded), so a hit can be
 *   shared by every reader.
 */
import { assert } from "../assert.ts";

/** Default capacity of a page cache, in bytes of decoded pages. */
export const PAGE_CACHE_BYTES_DEFAULT = 64 * 1024 * 1024;

class Entry<T> {
  prev: Entry<T>;
  next: Entry<T>;
  constructor(readonly page: number, public value: T, public bytes: number) {
    this.prev = this;
    this.next = this;
  }
}

/** A byte-bounded LRU map from page number to a decoded page. */
export class PageCache<T> {
  readonly capacityBytes: number;
  #map = new Map<number, Entry<T>>();
  #head: Entry<T>; // sentinel: head.next is the most recent, head.prev the least recent
  #bytes = 0;
  #hits = 0;
  #misses = 0;

  /** @param capacityBytes bytes of decoded pages to keep; 0 disables caching */
  constructor(capacityBytes: number = PAGE_CACHE_BYTES_DEFAULT) {
    if (!Number.isSafeInteger(capacityBytes) || capacityBytes < 0) {
      throw new RangeError(`Invalid page cache capacity "${capacityBytes}": expected a byte count >= 0`);
    }
    this.capacityBytes = capacityBytes;
    this.#head = new Entry<T>(-1, undefined as T, 0);
  }

  /** Returns the cached page and marks it most recently used; counts a hit or a miss. */
  get(page: number): T | undefined {
    const entry = this.#map.get(page);
    if (entry === undefined) {
      this.#misses++;
      return undefined;
    }
    this.#hits++;
    if (this.#head.next !== entry) {
      this.#unlink(entry);
      this.#linkFront(entry);
    }
    return entry.value;
  }

  /** Returns the cached page without counting or changing recency. */
  peek(page: number): T | undefined {
    return this.#map.get(page)?.value;
  }

  /** Caches `value` as page `page`, replacing any older value, then evicts down to the capacity. */
  set(page: number, value: T, bytes: number): void {
    assert(bytes > 0, "a cached page has a size");
    this.delete(page);
    if (bytes > this.capacityBytes) return;
    const entry = new Entry(page, value, bytes);
    this.#map.set(page, entry);
    this.#linkFront(entry);
    this.#bytes += bytes;
    while (this.#bytes > this.capacityBytes) this.delete(this.#head.prev.page);
  }

  /** Drops page `page`; returns whether it was cached. */
  delete(page: number): boolean {
    const entry = this.#map.get(page);
    if (entry === undefined) return false;
    this.#map.delete(page);
    this.#unlink(entry);
    this.#bytes -= entry.bytes;
    return true;
  }

  /** Drops every page (counters are kept). */
  clear(): void {
    this.#map.clear();
    this.#head.next = this.#head;
    this.#head.prev = this.#head;
    this.#bytes = 0;
  }

  /** Bytes of cached pages. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Number of cached pages. */
  get size(): number {
    return this.#map.size;
  }

  /** Lookups that found their page. */
  get hits(): number {
    return this.#hits;
  }

  /** Lookups that did not. */
  get misses(): number {
    return this.#misses;
  }

  /** Page numbers from most to least recently used (for tests and checks). */
  pagesByRecency(): number[] {
    const pages: number[] = [];
    for (let e = this.#head.next; e !== this.#head; e = e.next) pages.push(e.page);
    assert(pages.length === this.#map.size, "recency list matches the map");
    return pages;
  }

  #unlink(entry: Entry<T>): void {
    entry.prev.next = entry.next;
    entry.next.prev = entry.prev;
  }

  #linkFront(entry: Entry<T>): void {
    entry.prev = this.#head;
    entry.next = this.#head.next;
    this.#head.next.prev = entry;
    this.#head.next = entry;
  }
}
