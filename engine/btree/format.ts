/**
 * Format constants of the B+tree paged file (docs/formats/btree.md) and the byte order of keys.
 *
 * Owns: page size, header and meta offsets, page types, key/value/user-meta limits, fill thresholds,
 * and `compareBytes` (memcmp order: unsigned bytes, a proper prefix sorts first).
 *
 * Invariants (checked at module load): a page holds at least four maximal leaf entries and four maximal
 * branch entries; the underflow threshold exceeds the largest entry, so one insert never needs more than
 * one split and a balanced split never produces an underfull half.
 *
 * Never change a value here without bumping BTREE_FORMAT_VERSION and updating docs/formats/btree.md.
 */
import { assert } from "../assert.ts";

// ---- Format constants (one block; see docs/formats/btree.md) ----

/** Bytes in every page, including meta pages. */
export const PAGE_BYTES = 4096;
/** The 8 ASCII bytes at META_MAGIC_OFFSET of a meta page. */
export const BTREE_MAGIC = "PLANCKBT";
/** Current on-disk format version. Files with a newer version are refused. */
export const BTREE_FORMAT_VERSION = 2;
/** Oldest format this code reads (version 1 branches carried no subtree counts). */
export const BTREE_FORMAT_VERSION_MIN = 2;

/** Page types (header byte 4). */
export const PAGE_TYPE_META = 1;
export const PAGE_TYPE_LEAF = 2;
export const PAGE_TYPE_BRANCH = 3;
export const PAGE_TYPE_FREE_LIST = 4;

/** Common header, all little-endian. */
export const HEADER_CHECKSUM_OFFSET = 0; // u32 CRC32 of bytes [4, PAGE_BYTES)
export const HEADER_TYPE_OFFSET = 4; // u8 page type
export const HEADER_FLAGS_OFFSET = 5; // u8 leaf: shared key prefix bytes stored once (see below); else 0
export const HEADER_COUNT_OFFSET = 6; // u16 entries (leaf, free list) or children (branch)
export const HEADER_PAGE_OFFSET = 8; // u32 this page's own number
export const HEADER_LINK_OFFSET = 12; // u32 next free-list page (free-list pages only), else 0
export const HEADER_TXN_OFFSET = 16; // u64 txn id that wrote the page
/** Bytes of the common header; the body starts here. */
export const PAGE_HEADER_BYTES = 24;
/** Body bytes of a page: the capacity a node's entries may use. */
export const PAGE_BODY_BYTES = PAGE_BYTES - PAGE_HEADER_BYTES;

/** Meta page body (pages 0 and 1). */
export const META_MAGIC_OFFSET = 24; // 8 bytes BTREE_MAGIC
export const META_VERSION_OFFSET = 32; // u32 format version
export const META_PAGE_BYTES_OFFSET = 36; // u32 page size
export const META_ROOT_OFFSET = 40; // u32 root page, 0 = empty tree
export const META_PAGE_COUNT_OFFSET = 44; // u32 pages in use, including both meta pages
export const META_FREE_HEAD_OFFSET = 48; // u32 first free-list page, 0 = none
export const META_FREE_COUNT_OFFSET = 52; // u32 free-list entries
export const META_HEIGHT_OFFSET = 56; // u32 levels, 0 = empty, 1 = root is a leaf
export const META_ENTRIES_OFFSET = 64; // u64 key/value entries
export const META_USER_META_LENGTH_OFFSET = 72; // u16 bytes of user meta
export const META_USER_META_OFFSET = 76; // user meta bytes
/** The two meta pages. A commit of txn t writes page t % 2. */
export const META_PAGE_COUNT = 2;

/**
 * Leaf entry: u16 key length, u16 value length, key, value. On the page a leaf stores the prefix its
 * first and last keys share (at most LEAF_PREFIX_BYTES_MAX bytes; its length in the header's flags
 * byte) once at the body start, and each entry's key without it (prefix truncation); decoding restores
 * full keys, so in memory a leaf entry always holds its whole key.
 */
export const LEAF_ENTRY_OVERHEAD_BYTES = 4;
/** Longest shared key prefix a leaf page stores once (bounds the decoded size of a page). */
export const LEAF_PREFIX_BYTES_MAX = 32;
/**
 * Branch: u32 first child, u32 its subtree entry count, then per separator: u16 key length, key, u32 child,
 * u32 its subtree entry count. The counts make a range count O(height) (BTree.count).
 */
export const BRANCH_FIRST_CHILD_BYTES = 8;
export const BRANCH_ENTRY_OVERHEAD_BYTES = 10;
/** Largest entry count below one branch child (a u32 on the page). */
export const BRANCH_SUBTREE_ENTRIES_MAX = 0xffff_ffff;
/** Free-list entry: u32 page, u64 txn that freed it (0 = reusable by any txn). */
export const FREE_ENTRY_BYTES = 12;
export const FREE_ENTRIES_PER_PAGE = Math.floor(PAGE_BODY_BYTES / FREE_ENTRY_BYTES);

// ---- Limits ----

/** Longest key, in bytes (caller keys are a prefix plus an encoded value plus a 16-byte doc key). */
export const BTREE_KEY_BYTES_MAX = 512;
/** Longest value, in bytes (the primary index stores a small value-log pointer). */
export const BTREE_VALUE_BYTES_MAX = 256;
/** Longest caller blob stored in the meta page, in bytes (the engine's checkpoint). */
export const BTREE_USER_META_BYTES_MAX = 1024;
/** A non-root node whose entries use fewer body bytes than this is merged or redistributed. */
export const PAGE_UNDERFLOW_BYTES = Math.floor(PAGE_BODY_BYTES / 4);
/** A freed page becomes reusable this many txns after the txn that freed it (readers may lag one commit). */
export const FREE_PAGE_REUSE_DELAY_TXNS = 2;

const LEAF_ENTRY_BYTES_MAX = LEAF_ENTRY_OVERHEAD_BYTES + BTREE_KEY_BYTES_MAX + BTREE_VALUE_BYTES_MAX;
const BRANCH_ENTRY_BYTES_MAX = BRANCH_ENTRY_OVERHEAD_BYTES + BTREE_KEY_BYTES_MAX;

assert(PAGE_BODY_BYTES >= 4 * LEAF_ENTRY_BYTES_MAX, "a leaf holds four maximal entries");
assert(PAGE_BODY_BYTES >= 4 * BRANCH_ENTRY_BYTES_MAX, "a branch holds four maximal separators");
assert(PAGE_UNDERFLOW_BYTES > LEAF_ENTRY_BYTES_MAX, "underflow threshold exceeds a leaf entry");
assert(PAGE_UNDERFLOW_BYTES > BRANCH_ENTRY_BYTES_MAX, "underflow threshold exceeds a branch entry");
assert(META_USER_META_OFFSET + BTREE_USER_META_BYTES_MAX <= PAGE_BYTES, "user meta fits the meta page");
assert(PAGE_BYTES < 65536, "in-page offsets fit a u16");
assert(
  PAGE_BYTES + (PAGE_BODY_BYTES / LEAF_ENTRY_OVERHEAD_BYTES) * LEAF_PREFIX_BYTES_MAX < 65536,
  "offsets into a decoded (prefix-expanded) leaf fit a u16",
);

/**
 * Compares two byte strings as unsigned bytes; a proper prefix sorts first.
 * @returns negative, 0 or positive like `a - b`
 */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = a.length < b.length ? a.length : b.length;
  for (let i = 0; i < n; i++) {
    const d = a[i] - b[i];
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/** Compares `key` with the `length` bytes of `buf` at `offset`, in the order of `compareBytes`. */
export function compareToSlice(key: Uint8Array, buf: Uint8Array, offset: number, length: number): number {
  const n = key.length < length ? key.length : length;
  for (let i = 0; i < n; i++) {
    const d = key[i] - buf[offset + i];
    if (d !== 0) return d;
  }
  return key.length - length;
}

/**
 * The shortest separator `s` with `left < s <= right`: a prefix of `right`. Short separators keep
 * branch fan-out high.
 */
export function shortestSeparator(left: Uint8Array, right: Uint8Array): Uint8Array {
  assert(compareBytes(left, right) < 0, "separator inputs are ordered");
  let p = 0;
  while (p < left.length && left[p] === right[p]) p++;
  return right.slice(0, p + 1);
}
