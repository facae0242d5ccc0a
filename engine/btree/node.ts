/**
 * B+tree nodes in their two in-memory forms (docs/formats/btree.md, "Node pages"):
 * - `LeafPage` / `BranchPage`: a committed page decoded once into offset arrays over its immutable
 *   page bytes; lookups are binary searches comparing against the page bytes, with no re-parsing;
 * - `toMutable` turns one into a writer's dirty copy (btree_dirty.ts).
 *
 * Invariants:
 * - a decoded page's bytes are never mutated (they are shared through the page cache and viewed by
 *   dirty branch copies);
 * - keys within a node are strictly increasing; a branch with n children has n - 1 separators and child
 *   i holds keys in [separator i-1, separator i);
 */
import { CorruptionError } from "../disk_errors.ts";
import {
  BRANCH_ENTRY_OVERHEAD_BYTES,
  BRANCH_FIRST_CHILD_BYTES,
  compareToSlice,
  HEADER_COUNT_OFFSET,
  HEADER_FLAGS_OFFSET,
  HEADER_TYPE_OFFSET,
  LEAF_ENTRY_OVERHEAD_BYTES,
  LEAF_PREFIX_BYTES_MAX,
  PAGE_BYTES,
  PAGE_HEADER_BYTES,
  PAGE_TYPE_BRANCH,
  PAGE_TYPE_LEAF,
} from "./format.ts";
import { type EntryHeap, MutableBranch, MutableLeaf } from "./dirty.ts";
import { commonPrefixAt, compareFrom, comparePrefix, headAt } from "./key_head.ts";

/** Bookkeeping bytes charged to the cache per decoded page, beyond the page and its offset arrays. */
const DECODED_PAGE_OVERHEAD_BYTES = 160;

/** A committed leaf page, decoded into [keyOffset, keyLength, valueOffset, valueLength] slots. */
export class LeafPage {
  readonly type = PAGE_TYPE_LEAF;
  /** Bytes every key of this page starts with. */
  readonly prefixLength: number;
  /** Abbreviated keys (btree_key_head.ts). */
  readonly heads: Float64Array;

  constructor(
    readonly page: number,
    /** Header and entries with whole keys: the page bytes, or their expansion when keys share a prefix. */
    readonly buf: Uint8Array,
    readonly count: number,
    readonly slots: Uint16Array,
    /** The page bytes as stored (== buf when the page stores no shared prefix). */
    readonly raw: Uint8Array = buf,
  ) {
    const last = 4 * (count - 1);
    this.prefixLength = count < 2 ? 0 : commonPrefixAt(buf, slots[0], slots[1], slots[last], slots[last + 1]);
    this.heads = new Float64Array(count);
    for (let i = 0; i < count; i++) {
      this.heads[i] = headAt(buf, slots[4 * i], slots[4 * i + 1], this.prefixLength);
    }
  }

  /** Bytes charged to the page cache. */
  get cacheBytes(): number {
    const expanded = this.buf === this.raw ? 0 : this.buf.byteLength;
    return PAGE_BYTES + expanded + this.slots.byteLength + this.heads.byteLength +
      DECODED_PAGE_OVERHEAD_BYTES;
  }

  /** Sign of `key - key(i)`. */
  compareAt(i: number, key: Uint8Array): number {
    const s = this.slots;
    return compareToSlice(key, this.buf, s[4 * i], s[4 * i + 1]);
  }

  /** Index of the first key >= `key`. */
  lowerBound(key: Uint8Array): number {
    const { buf, slots, heads, count, prefixLength } = this;
    if (count === 0) return 0;
    const side = comparePrefix(key, buf, slots[0], prefixLength);
    if (side !== 0) return side < 0 ? 0 : count;
    const head = headAt(key, 0, key.length, prefixLength);
    let lo = 0;
    let hi = count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const h = heads[mid];
      if (
        h < head ||
        (h === head && compareFrom(key, buf, slots[4 * mid], slots[4 * mid + 1], prefixLength) > 0)
      ) {
        lo = mid + 1;
      } else hi = mid;
    }
    return lo;
  }

  /** Index of `key`, or -1. */
  find(key: Uint8Array): number {
    const i = this.lowerBound(key);
    return i < this.count && this.compareAt(i, key) === 0 ? i : -1;
  }

  /** A copy of key `i`. */
  keyAt(i: number): Uint8Array {
    const o = this.slots[4 * i];
    return this.buf.slice(o, o + this.slots[4 * i + 1]);
  }

  /** Value `i` as a view of the shared page bytes: internal use only, never handed to callers. */
  valueView(i: number): Uint8Array {
    const o = this.slots[4 * i + 2];
    return this.buf.subarray(o, o + this.slots[4 * i + 3]);
  }

  /** A dirty copy to be written as page `page`; its entries are copied into `heap` in one piece. */
  toMutable(page: number, heap: EntryHeap): MutableLeaf {
    const entries: number[] = new Array(this.count);
    if (this.count === 0) return new MutableLeaf(page, heap, entries, 0);
    const last = 4 * (this.count - 1);
    const end = this.slots[last + 2] + this.slots[last + 3];
    const base = heap.appendEncoded(this.buf.subarray(PAGE_HEADER_BYTES, end)) - PAGE_HEADER_BYTES;
    for (let i = 0; i < this.count; i++) entries[i] = base + this.slots[4 * i] - LEAF_ENTRY_OVERHEAD_BYTES;
    return new MutableLeaf(page, heap, entries, end - PAGE_HEADER_BYTES);
  }
}

/**
 * A committed branch page: `count` children, their subtree entry counts, and count - 1 separators as
 * [offset, length] slots.
 */
export class BranchPage {
  readonly type = PAGE_TYPE_BRANCH;
  /** Bytes every separator of this page starts with. */
  readonly prefixLength: number;
  /** Abbreviated separators (btree_key_head.ts). */
  readonly heads: Float64Array;

  constructor(
    readonly page: number,
    readonly buf: Uint8Array,
    readonly count: number,
    readonly slots: Uint16Array,
    readonly children: Uint32Array,
    /** Entries in the subtree of each child. */
    readonly counts: Uint32Array,
  ) {
    const keys = count - 1;
    const last = 2 * (keys - 1);
    this.prefixLength = keys < 2 ? 0 : commonPrefixAt(buf, slots[0], slots[1], slots[last], slots[last + 1]);
    this.heads = new Float64Array(keys);
    for (let i = 0; i < keys; i++) {
      this.heads[i] = headAt(buf, slots[2 * i], slots[2 * i + 1], this.prefixLength);
    }
  }

  /** The page bytes as stored. */
  get raw(): Uint8Array {
    return this.buf;
  }

  /** Bytes charged to the page cache. */
  get cacheBytes(): number {
    const arrays = this.slots.byteLength + this.children.byteLength + this.counts.byteLength +
      this.heads.byteLength;
    return PAGE_BYTES + arrays + DECODED_PAGE_OVERHEAD_BYTES;
  }

  /** Index of the child whose key range holds `key` (number of separators <= key). */
  childFor(key: Uint8Array): number {
    const { buf, slots, heads, prefixLength } = this;
    const keys = this.count - 1;
    if (keys === 0) return 0;
    const side = comparePrefix(key, buf, slots[0], prefixLength);
    if (side !== 0) return side < 0 ? 0 : keys;
    const head = headAt(key, 0, key.length, prefixLength);
    let lo = 0;
    let hi = keys;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const h = heads[mid];
      if (
        h < head ||
        (h === head && compareFrom(key, buf, slots[2 * mid], slots[2 * mid + 1], prefixLength) >= 0)
      ) {
        lo = mid + 1;
      } else hi = mid;
    }
    return lo;
  }

  /** Page number of child `i`. */
  childAt(i: number): number {
    return this.children[i];
  }

  /** Separator `i` (a view of the page bytes). */
  keyAt(i: number): Uint8Array {
    return this.buf.subarray(this.slots[2 * i], this.slots[2 * i] + this.slots[2 * i + 1]);
  }

  /** A dirty copy to be written as page `page`. */
  toMutable(page: number): MutableBranch {
    const keys: Uint8Array[] = new Array(this.count - 1);
    let bytes = BRANCH_FIRST_CHILD_BYTES;
    for (let i = 0; i < this.count - 1; i++) {
      keys[i] = this.keyAt(i);
      bytes += BRANCH_ENTRY_OVERHEAD_BYTES + keys[i].length;
    }
    return new MutableBranch(page, keys, Array.from(this.children), bytes);
  }
}

export type Leaf = LeafPage | MutableLeaf;
export type Branch = BranchPage | MutableBranch;
export type CommittedNode = LeafPage | BranchPage;

function corrupt(path: string, pageNo: number, what: string): CorruptionError {
  const offset = pageNo * PAGE_BYTES;
  return new CorruptionError(
    `Cannot decode B+tree page ${pageNo} of "${path}": ${what} at offset ${offset}`,
    {
      file: path,
      offset,
    },
  );
}

/**
 * Decodes a verified node page. Lengths are bounds-checked, so a page that passed its checksum but was
 * written wrongly still fails with a CorruptionError rather than reading garbage.
 */
export function decodeNode(buf: Uint8Array, pageNo: number, path: string): CommittedNode {
  const count = buf[HEADER_COUNT_OFFSET] | (buf[HEADER_COUNT_OFFSET + 1] << 8);
  const type = buf[HEADER_TYPE_OFFSET];
  if (type === PAGE_TYPE_LEAF) {
    const prefix = buf[HEADER_FLAGS_OFFSET];
    if (prefix !== 0) return decodePrefixedLeaf(buf, pageNo, path, count, prefix);
    const slots = new Uint16Array(4 * count);
    let at = PAGE_HEADER_BYTES;
    for (let i = 0; i < count; i++) {
      if (at + LEAF_ENTRY_OVERHEAD_BYTES > PAGE_BYTES) {
        throw corrupt(path, pageNo, "leaf entry overruns the page");
      }
      const keyLength = buf[at] | (buf[at + 1] << 8);
      const valueLength = buf[at + 2] | (buf[at + 3] << 8);
      at += LEAF_ENTRY_OVERHEAD_BYTES;
      if (at + keyLength + valueLength > PAGE_BYTES) {
        throw corrupt(path, pageNo, "leaf entry overruns the page");
      }
      slots[4 * i] = at;
      slots[4 * i + 1] = keyLength;
      slots[4 * i + 2] = at + keyLength;
      slots[4 * i + 3] = valueLength;
      at += keyLength + valueLength;
    }
    return new LeafPage(pageNo, buf, count, slots);
  }
  if (type === PAGE_TYPE_BRANCH) {
    if (count < 1) throw corrupt(path, pageNo, "branch without children");
    const slots = new Uint16Array(2 * (count - 1));
    const children = new Uint32Array(count);
    const counts = new Uint32Array(count);
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    let at = PAGE_HEADER_BYTES;
    children[0] = dv.getUint32(at, true);
    counts[0] = dv.getUint32(at + 4, true);
    at += BRANCH_FIRST_CHILD_BYTES;
    for (let i = 1; i < count; i++) {
      if (at + BRANCH_ENTRY_OVERHEAD_BYTES > PAGE_BYTES) {
        throw corrupt(path, pageNo, "separator overruns the page");
      }
      const keyLength = dv.getUint16(at, true);
      if (at + BRANCH_ENTRY_OVERHEAD_BYTES + keyLength > PAGE_BYTES) {
        throw corrupt(path, pageNo, "separator overruns the page");
      }
      slots[2 * (i - 1)] = at + 2;
      slots[2 * (i - 1) + 1] = keyLength;
      children[i] = dv.getUint32(at + 2 + keyLength, true);
      counts[i] = dv.getUint32(at + 6 + keyLength, true);
      at += BRANCH_ENTRY_OVERHEAD_BYTES + keyLength;
    }
    return new BranchPage(pageNo, buf, count, slots, children, counts);
  }
  throw corrupt(path, pageNo, `unexpected page type ${type}`);
}

/**
 * Decodes a leaf page that stores a shared key prefix once: its entries are expanded into a buffer laid
 * out like an unprefixed page (whole keys), so every reader and `toMutable` see one layout.
 */
function decodePrefixedLeaf(
  buf: Uint8Array,
  pageNo: number,
  path: string,
  count: number,
  prefix: number,
): LeafPage {
  if (prefix > LEAF_PREFIX_BYTES_MAX || count < 2) {
    throw corrupt(path, pageNo, `bad key prefix length ${prefix}`);
  }
  const start = PAGE_HEADER_BYTES + prefix;
  let at = start;
  for (let i = 0; i < count; i++) {
    if (at + LEAF_ENTRY_OVERHEAD_BYTES > PAGE_BYTES) {
      throw corrupt(path, pageNo, "leaf entry overruns the page");
    }
    const keyLength = buf[at] | (buf[at + 1] << 8);
    const valueLength = buf[at + 2] | (buf[at + 3] << 8);
    at += LEAF_ENTRY_OVERHEAD_BYTES + keyLength + valueLength;
    if (at > PAGE_BYTES) throw corrupt(path, pageNo, "leaf entry overruns the page");
  }
  const expanded = new Uint8Array(at + count * prefix);
  expanded.set(buf.subarray(0, PAGE_HEADER_BYTES));
  expanded[HEADER_FLAGS_OFFSET] = 0;
  const slots = new Uint16Array(4 * count);
  let from = start;
  let to = PAGE_HEADER_BYTES;
  for (let i = 0; i < count; i++) {
    const suffixLength = buf[from] | (buf[from + 1] << 8);
    const valueLength = buf[from + 2] | (buf[from + 3] << 8);
    const keyLength = prefix + suffixLength;
    expanded[to] = keyLength & 0xff;
    expanded[to + 1] = keyLength >>> 8;
    expanded[to + 2] = buf[from + 2];
    expanded[to + 3] = buf[from + 3];
    to += LEAF_ENTRY_OVERHEAD_BYTES;
    from += LEAF_ENTRY_OVERHEAD_BYTES;
    expanded.set(buf.subarray(PAGE_HEADER_BYTES, PAGE_HEADER_BYTES + prefix), to);
    expanded.set(buf.subarray(from, from + suffixLength + valueLength), to + prefix);
    slots[4 * i] = to;
    slots[4 * i + 1] = keyLength;
    slots[4 * i + 2] = to + keyLength;
    slots[4 * i + 3] = valueLength;
    to += keyLength + valueLength;
    from += suffixLength + valueLength;
  }
  return new LeafPage(pageNo, expanded, count, slots, buf);
}
