/**
 * An ordered map from keys (strings, compared with `<`: for 32-hex-digit keys this is u128 order)
 * to values, as a skiplist: O(log n) insert and seek, ordered iteration in both directions without
 * rebalancing. The memtable keeps one per store.
 *
 * Invariants: level-0 links visit keys in strictly increasing order; every node's forward link at
 * level i skips only nodes of height <= i; `#size` counts nodes. Nodes are never removed (the
 * memtable writes tombstones instead), so an iterator stays valid while writes continue.
 */
import { assert } from "./assert.ts";

/** Highest node level: 2^24 expected keys at p = 1/4 before lookups degrade. */
const LEVELS_MAX = 12;

interface Node<V> {
  key: string;
  value: V;
  next: (Node<V> | null)[];
  prev: Node<V> | null;
}

/** An ordered map with string keys. */
export class SkipList<V> {
  readonly #head: Node<V>;
  #level = 1;
  #size = 0;
  #seed: number;
  readonly #update: (Node<V> | null)[] = new Array(LEVELS_MAX).fill(null);

  constructor(seed = 0x2545f491) {
    this.#head = { key: "", value: undefined as V, next: new Array(LEVELS_MAX).fill(null), prev: null };
    this.#seed = seed | 1;
  }

  /** Number of keys. */
  get size(): number {
    return this.#size;
  }

  #randomLevel(): number {
    // xorshift32; two bits per level gives p = 1/4
    let x = this.#seed;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.#seed = x;
    let level = 1;
    while (level < LEVELS_MAX && (x & 3) === 0) {
      level++;
      x >>>= 2;
    }
    return level;
  }

  /** The last node with key < `key` at level 0 (the head if none), filling #update when asked. */
  #findLess(key: string, fill: boolean): Node<V> {
    let node = this.#head;
    for (let i = this.#level - 1; i >= 0; i--) {
      let next = node.next[i];
      while (next !== null && next.key < key) {
        node = next;
        next = node.next[i];
      }
      if (fill) this.#update[i] = node;
    }
    return node;
  }

  /** The value stored under `key`, or undefined. */
  get(key: string): V | undefined {
    const next = this.#findLess(key, false).next[0];
    return next !== null && next.key === key ? next.value : undefined;
  }

  /** Inserts or replaces the value under `key`. Returns true when the key is new. */
  set(key: string, value: V): boolean {
    const less = this.#findLess(key, true);
    const found = less.next[0];
    if (found !== null && found.key === key) {
      found.value = value;
      return false;
    }
    const level = this.#randomLevel();
    if (level > this.#level) {
      for (let i = this.#level; i < level; i++) this.#update[i] = this.#head;
      this.#level = level;
    }
    const node: Node<V> = { key, value, next: new Array(level), prev: less === this.#head ? null : less };
    for (let i = 0; i < level; i++) {
      const before = this.#update[i]!;
      node.next[i] = before.next[i];
      before.next[i] = node;
    }
    if (node.next[0] !== null) node.next[0].prev = node;
    this.#size++;
    return true;
  }

  /**
   * Iterates entries in key order. Ascending: keys in [from, to). Descending (`reverse`): keys in
   * [from, to) from the largest down. Either bound may be omitted.
   */
  *entries(from?: string, to?: string, reverse = false): IterableIterator<[string, V]> {
    if (!reverse) {
      let node = from === undefined ? this.#head.next[0] : this.#findLess(from, false).next[0];
      while (node !== null && (to === undefined || node.key < to)) {
        yield [node.key, node.value];
        node = node.next[0];
      }
      return;
    }
    let node: Node<V> | null = to === undefined ? this.#last() : this.#findLess(to, false);
    if (node === this.#head) node = null;
    while (node !== null && (from === undefined || node.key >= from)) {
      yield [node.key, node.value];
      node = node.prev;
    }
  }

  #last(): Node<V> {
    let node = this.#head;
    for (let i = this.#level - 1; i >= 0; i--) {
      while (node.next[i] !== null) node = node.next[i]!;
    }
    return node;
  }

  /** Full structural check: strictly increasing keys and consistent back links (tests, PLANCK_INVARIANTS). */
  check(): void {
    let count = 0;
    let prev: Node<V> | null = null;
    for (let node = this.#head.next[0]; node !== null; node = node.next[0]) {
      if (prev !== null) assert(prev.key < node.key, "skiplist keys strictly increase");
      assert(node.prev === prev, "skiplist back link points at the previous node");
      prev = node;
      count++;
    }
    assert(count === this.#size, "skiplist size matches its nodes");
  }
}
