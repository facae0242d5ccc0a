/**
 * A write txn's dirty nodes and the byte heap behind its dirty leaves.
 *
 * Owns: `EntryHeap` (an append-only byte buffer holding leaf entries in their on-page encoding),
 * `MutableLeaf` (entry offsets into the heap), `MutableBranch` (separator and child arrays) and
 * `encodeNode`, which turns a dirty node into page bytes.
 *
 * Why a heap of offsets: a flush puts hundreds of thousands of entries. One small array object per key
 * and value would cost an ArrayBuffer allocation each and long garbage-collector pauses on the engine
 * thread; offsets in plain number arrays cost neither, and an entry is copied once on put and once on
 * encode.
 *
 * Invariants:
 * - heap bytes below `used` are never rewritten (offsets and views stay valid; growth copies);
 * - entries of a leaf are strictly increasing by key; `bytes` of a dirty node is exactly the body bytes
 *   its encoding uses.
 */
import { assert } from "../assert.ts";
import {
  BRANCH_ENTRY_OVERHEAD_BYTES,
  BRANCH_FIRST_CHILD_BYTES,
  compareBytes,
  compareToSlice,
  HEADER_COUNT_OFFSET,
  HEADER_FLAGS_OFFSET,
  HEADER_TYPE_OFFSET,
  LEAF_ENTRY_OVERHEAD_BYTES,
  LEAF_PREFIX_BYTES_MAX,
  PAGE_BODY_BYTES,
  PAGE_BYTES,
  PAGE_HEADER_BYTES,
  PAGE_TYPE_BRANCH,
  PAGE_TYPE_LEAF,
} from "./format.ts";

/** Initial heap size in bytes; it doubles as needed. */
const HEAP_BYTES_INITIAL = 256 * 1024;

/** Append-only storage of leaf entries: u16 key length, u16 value length, key, value (as on a page). */
export class EntryHeap {
  bytes = new Uint8Array(HEAP_BYTES_INITIAL);
  used = 0;

  /** Appends one entry; returns its offset. */
  append(key: Uint8Array, value: Uint8Array): number {
    const at = this.#reserve(LEAF_ENTRY_OVERHEAD_BYTES + key.length + value.length);
    const b = this.bytes;
    b[at] = key.length & 0xff;
    b[at + 1] = key.length >>> 8;
    b[at + 2] = value.length & 0xff;
    b[at + 3] = value.length >>> 8;
    const k = at + LEAF_ENTRY_OVERHEAD_BYTES;
    if (key.length <= 32) { for (let i = 0; i < key.length; i++) b[k + i] = key[i]; }
    else b.set(key, k);
    const v = k + key.length;
    if (value.length <= 32) { for (let i = 0; i < value.length; i++) b[v + i] = value[i]; }
    else b.set(value, v);
    return at;
  }

  /** Appends raw encoded entries (a committed leaf's body); returns their offset. */
  appendEncoded(source: Uint8Array): number {
    const at = this.#reserve(source.length);
    this.bytes.set(source, at);
    return at;
  }

  /** Body bytes of the entry at `at`. */
  entryBytes(at: number): number {
    const b = this.bytes;
    return LEAF_ENTRY_OVERHEAD_BYTES + (b[at] | (b[at + 1] << 8)) + (b[at + 2] | (b[at + 3] << 8));
  }

  /** Sign of `key - key(at)`. */
  compareKey(key: Uint8Array, at: number): number {
    const b = this.bytes;
    return compareToSlice(key, b, at + LEAF_ENTRY_OVERHEAD_BYTES, b[at] | (b[at + 1] << 8));
  }

  /** The key at `at` (a view of the heap: never hand it to callers). */
  keyView(at: number): Uint8Array {
    const b = this.bytes;
    const start = at + LEAF_ENTRY_OVERHEAD_BYTES;
    return b.subarray(start, start + (b[at] | (b[at + 1] << 8)));
  }

  /** The value at `at` (a view of the heap: never hand it to callers). */
  valueView(at: number): Uint8Array {
    const b = this.bytes;
    const start = at + LEAF_ENTRY_OVERHEAD_BYTES + (b[at] | (b[at + 1] << 8));
    return b.subarray(start, start + (b[at + 2] | (b[at + 3] << 8)));
  }

  /** Drops the bytes (the txn is over; nodes that still reference the heap must not be used). */
  release(): void {
    this.bytes = new Uint8Array(0);
    this.used = 0;
  }

  #reserve(n: number): number {
    if (this.used + n > this.bytes.length) {
      const grown = new Uint8Array(Math.max(2 * this.bytes.length, this.used + n, HEAP_BYTES_INITIAL));
      grown.set(this.bytes.subarray(0, this.used));
      this.bytes = grown;
    }
    const at = this.used;
    this.used += n;
    return at;
  }
}

/**
 * Bytes of the key prefix a leaf page holding entries [a, b) stores once: the common prefix of its
 * first and last key (all keys between share it), at most LEAF_PREFIX_BYTES_MAX; 0 for one entry.
 */
export function leafPrefixBytes(heap: EntryHeap, entries: number[], a: number, b: number): number {
  if (b - a < 2) return 0;
  const buf = heap.bytes;
  const first = entries[a];
  const last = entries[b - 1];
  const n = Math.min(
    LEAF_PREFIX_BYTES_MAX,
    buf[first] | (buf[first + 1] << 8),
    buf[last] | (buf[last + 1] << 8),
  );
  const x = first + LEAF_ENTRY_OVERHEAD_BYTES;
  const y = last + LEAF_ENTRY_OVERHEAD_BYTES;
  let p = 0;
  while (p < n && buf[x + p] === buf[y + p]) p++;
  return p;
}

/** Body bytes a leaf page uses for `count` entries of `logical` bytes sharing a `prefix`-byte prefix. */
export function encodedLeafBytes(logical: number, count: number, prefix: number): number {
  return logical - count * prefix + prefix;
}

/** A writer's dirty leaf: heap offsets of its entries, in key order. */
export class MutableLeaf {
  readonly type = PAGE_TYPE_LEAF;
  /** True when the last insert went to the end: a split then keeps the left node full. */
  appended = false;
  constructor(
    public page: number,
    readonly heap: EntryHeap,
    public entries: number[],
    public bytes: number,
  ) {}

  get count(): number {
    return this.entries.length;
  }

  /** Index of the first key >= `key`. */
  lowerBound(key: Uint8Array): number {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.heap.compareKey(key, this.entries[mid]) > 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Index of `key`, or -1. */
  find(key: Uint8Array): number {
    const i = this.lowerBound(key);
    return i < this.entries.length && this.heap.compareKey(key, this.entries[i]) === 0 ? i : -1;
  }

  /** Key `i` (a view: internal use only). */
  keyView(i: number): Uint8Array {
    return this.heap.keyView(this.entries[i]);
  }

  /** Value `i` (a view: internal use only). */
  valueView(i: number): Uint8Array {
    return this.heap.valueView(this.entries[i]);
  }

  /** Body bytes of entry `i` (its whole key: `bytes` counts keys in full). */
  entryBytes(i: number): number {
    return this.heap.entryBytes(this.entries[i]);
  }

  /** Body bytes of this leaf on its page, with the shared key prefix stored once. */
  encodedBytes(): number {
    const n = this.entries.length;
    return encodedLeafBytes(this.bytes, n, leafPrefixBytes(this.heap, this.entries, 0, n));
  }
}

/** A writer's dirty branch. */
export class MutableBranch {
  readonly type = PAGE_TYPE_BRANCH;
  /** True when the last separator insert went to the end. */
  appended = false;
  constructor(
    public page: number,
    public keys: Uint8Array[],
    public children: number[],
    public bytes: number,
  ) {}

  get count(): number {
    return this.children.length;
  }

  /** Index of the child whose key range holds `key` (number of separators <= key). */
  childFor(key: Uint8Array): number {
    let lo = 0;
    let hi = this.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareBytes(this.keys[mid], key) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Page number of child `i`. */
  childAt(i: number): number {
    return this.children[i];
  }
}

export type MutableNode = MutableLeaf | MutableBranch;

/** Body bytes of one branch separator with its right child. */
export function branchEntryBytes(key: Uint8Array): number {
  return BRANCH_ENTRY_OVERHEAD_BYTES + key.length;
}

/**
 * Encodes a dirty node into a fresh page (unsealed: the caller seals it with page number and txn).
 * `countOf(page)` is the entry count of the subtree at child page `page` (branches only).
 */
export function encodeNode(node: MutableNode, countOf: (page: number) => number): Uint8Array {
  const page = new Uint8Array(PAGE_BYTES);
  const dv = new DataView(page.buffer);
  page[HEADER_TYPE_OFFSET] = node.type;
  dv.setUint16(HEADER_COUNT_OFFSET, node.count, true);
  let at = PAGE_HEADER_BYTES;
  if (node.type === PAGE_TYPE_LEAF) {
    const { heap, entries } = node;
    const prefix = leafPrefixBytes(heap, entries, 0, entries.length);
    const encoded = encodedLeafBytes(node.bytes, entries.length, prefix);
    assert(encoded <= PAGE_BODY_BYTES, "an encoded leaf fits its page");
    const b = heap.bytes;
    if (prefix === 0) {
      // Entries put in order sit back to back in the heap: copy each such run with one `set`.
      for (let i = 0; i < entries.length;) {
        const start = entries[i];
        let end = start + heap.entryBytes(start);
        for (i++; i < entries.length && entries[i] === end; i++) end += heap.entryBytes(end);
        page.set(b.subarray(start, end), at);
        at += end - start;
      }
    } else {
      page[HEADER_FLAGS_OFFSET] = prefix;
      const first = entries[0] + LEAF_ENTRY_OVERHEAD_BYTES;
      page.set(b.subarray(first, first + prefix), at);
      at += prefix;
      for (const e of entries) {
        const keyLength = (b[e] | (b[e + 1] << 8)) - prefix;
        const valueLength = b[e + 2] | (b[e + 3] << 8);
        page[at] = keyLength & 0xff;
        page[at + 1] = keyLength >>> 8;
        page[at + 2] = b[e + 2];
        page[at + 3] = b[e + 3];
        const from = e + LEAF_ENTRY_OVERHEAD_BYTES + prefix;
        page.set(b.subarray(from, from + keyLength + valueLength), at + LEAF_ENTRY_OVERHEAD_BYTES);
        at += LEAF_ENTRY_OVERHEAD_BYTES + keyLength + valueLength;
      }
    }
    assert(at - PAGE_HEADER_BYTES === encoded, "tracked leaf bytes match the encoding");
    return page;
  } else {
    assert(node.bytes <= PAGE_BODY_BYTES, "an encoded branch fits its page");
    dv.setUint32(at, node.children[0], true);
    dv.setUint32(at + 4, countOf(node.children[0]), true);
    at += BRANCH_FIRST_CHILD_BYTES;
    for (let i = 0; i < node.keys.length; i++) {
      const key = node.keys[i];
      dv.setUint16(at, key.length, true);
      page.set(key, at + 2);
      dv.setUint32(at + 2 + key.length, node.children[i + 1], true);
      dv.setUint32(at + 6 + key.length, countOf(node.children[i + 1]), true);
      at += BRANCH_ENTRY_OVERHEAD_BYTES + key.length;
    }
  }
  assert(at - PAGE_HEADER_BYTES === node.bytes, "tracked node bytes match the encoding");
  return page;
}
