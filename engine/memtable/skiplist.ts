/**
 * An ordered map from keys (strings, compared with `<`: for 32-hex-digit keys this is u128 order)
 * to values, as a skiplist: O(log n) insert and seek, ordered iteration in both directions without
 * rebalancing. The memtable keeps one per store.
 *
 * Keys known to be new can be `add`ed: they wait, unsorted, until the next ordered read (or `set`,
 * `get`), which sorts them and links them in one ascending pass, each search starting from the
 * previous insert's predecessors (a finger) instead of the head — a write burst then costs a sort
 * plus mostly sequential links, not a cache-missing descent per key.
 *
 * Invariants: level-0 links visit keys in strictly increasing order; every node's forward link at
 * level i skips only nodes of height <= i; `#size` counts linked nodes; pending keys are absent
 * from the links and from each other. Nodes are never removed (the memtable writes tombstones
 * instead), so an iterator stays valid while writes continue.
 */
import { assert } from "../assert.ts";

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
  /** Added keys not linked yet (a Map: settling sorts its keys natively, then reads their values). */
  #pending = new Map<string, V>();
  /** With a `lookup`, added keys wait here instead and their values are looked up when linked. */
  #pendingKeys: string[] = [];
  readonly #lookup: ((key: string) => V) | undefined;

  /**
   * `lookup`, when given, returns the value of any added key (the owner keeps its own map, as the
   * memtable does): added keys then wait as a plain list, with no second map to fill.
   */
  constructor(seed = 0x2545f491, lookup?: (key: string) => V) {
    this.#lookup = lookup;
    this.#head = { key: "", value: undefined as V, next: new Array(LEVELS_MAX).fill(null), prev: null };
    this.#seed = seed | 1;
  }

  /** Number of keys. */
  get size(): number {
    return this.#size + this.#pending.size + this.#pendingKeys.length;
  }

  /** Adds `key`, which the caller knows is not in the list (linked at the next read). */
  add(key: string, value: V): void {
    if (this.#lookup !== undefined) this.#pendingKeys.push(key);
    else this.#pending.set(key, value);
  }

  /**
   * Links the pending keys: sorted (the built-in string sort, several times faster than a comparator),
   * then appended level by level when the list is empty (a flush's first ordered read), else inserted
   * in one ascending pass with a finger.
   */
  #settle(): void {
    if (this.#pending.size === 0 && this.#pendingKeys.length === 0) return;
    const pending = this.#pending;
    this.#pending = new Map();
    const keys = this.#lookup !== undefined ? this.#pendingKeys.sort() : [...pending.keys()].sort();
    this.#pendingKeys = [];
    const valueOf = this.#lookup ?? ((key: string) => pending.get(key)!);
    if (this.#size === 0) return this.#build(keys, valueOf);
    const head = this.#head;
    const update = this.#update;
    update.fill(head);
    for (const key of keys) {
      let node = head;
      for (let i = this.#level - 1; i >= 0; i--) {
        const finger = update[i]!;
        if (finger !== head && (node === head || finger.key > node.key)) node = finger;
        let next = node.next[i];
        while (next !== null && next.key < key) {
          node = next;
          next = node.next[i];
        }
        update[i] = node;
      }
      assert(node.next[0] === null || node.next[0].key !== key, "an added key is new");
      this.#link(key, valueOf(key), node);
    }
  }

  /** Links sorted `keys` into the empty list: each node is appended at every level it reaches. */
  #build(keys: string[], valueOf: (key: string) => V): void {
    assert(this.#size === 0, "a bulk build starts from an empty list");
    const head = this.#head;
    const last = this.#update;
    last.fill(head);
    let previous: Node<V> | null = null;
    for (const key of keys) {
      const level = this.#randomLevel();
      if (level > this.#level) this.#level = level;
      const node: Node<V> = { key, value: valueOf(key), next: new Array(level).fill(null), prev: previous };
      for (let i = 0; i < level; i++) {
        last[i]!.next[i] = node;
        last[i] = node;
      }
      previous = node;
    }
    this.#size = keys.length;
  }

  /** Links a new node after `less` (its level-0 predecessor), with #update holding its predecessors. */
  #link(key: string, value: V, less: Node<V>): Node<V> {
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
      this.#update[i] = node; // the predecessor of any larger key inserted next (finger)
    }
    if (node.next[0] !== null) node.next[0].prev = node;
    this.#size++;
    return node;
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
    this.#settle();
    const next = this.#findLess(key, false).next[0];
    return next !== null && next.key === key ? next.value : undefined;
  }

  /** Inserts or replaces the value under `key`. Returns true when the key is new. */
  set(key: string, value: V): boolean {
    this.#settle();
    const less = this.#findLess(key, true);
    const found = less.next[0];
    if (found !== null && found.key === key) {
      found.value = value;
      return false;
    }
    this.#link(key, value, less);
    return true;
  }

  /**
   * Iterates entries in key order. Ascending: keys in [from, to). Descending (`reverse`): keys in
   * [from, to) from the largest down. Either bound may be omitted.
   */
  *entries(from?: string, to?: string, reverse = false): IterableIterator<[string, V]> {
    this.#settle();
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
    this.#settle();
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
