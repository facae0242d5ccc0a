/**
 * Full structural check of a committed B+tree version, reading every page from disk (not the cache).
 * Used by tests after every commit and by the engine when PLANCK_INVARIANTS=1.
 *
 * Verifies: checksums and page numbers of every live page; node types per level; strictly increasing
 * keys; every key inside its parent's separator bounds; every branch's subtree counts; fill (non-root nodes fit and at least
 * PAGE_UNDERFLOW_BYTES, roots non-empty, branch roots with >= 2 children); uniform leaf depth = height;
 * entry count = meta; free list as on disk = free list in memory; live pages, free-list pages and free
 * entries pairwise disjoint and together exactly [META_PAGE_COUNT, pageCount) (no leaks); cached pages
 * byte-identical to disk.
 */
import { CorruptionError } from "../disk_errors.ts";
import {
  BRANCH_ENTRY_OVERHEAD_BYTES,
  BRANCH_FIRST_CHILD_BYTES,
  compareBytes,
  HEADER_FLAGS_OFFSET,
  HEADER_TXN_OFFSET,
  LEAF_ENTRY_OVERHEAD_BYTES,
  LEAF_PREFIX_BYTES_MAX,
  META_PAGE_COUNT,
  PAGE_BODY_BYTES,
  PAGE_BYTES,
  PAGE_TYPE_LEAF,
  PAGE_UNDERFLOW_BYTES,
} from "./format.ts";
import { type CommittedNode, decodeNode } from "./node.ts";
import { type FreeState, readFreeList } from "./free_list.ts";
import { type MetaPage, type PageFile, readU64 } from "./page_file.ts";
import type { PageCache } from "./page_cache.ts";

/** What the check reads. */
export interface CheckInput {
  file: PageFile;
  meta: MetaPage;
  free: FreeState;
  cache: PageCache<CommittedNode>;
}

const OWNER_NAMES = ["unused", "meta", "tree", "free-list", "free"] as const;
const OWNER_TREE = 2;
const OWNER_LIST = 3;
const OWNER_FREE = 4;

/**
 * Checks the committed version described by `input.meta`.
 * @throws CorruptionError naming the file and the offset of the first offending page
 */
export function checkTree(input: CheckInput): void {
  const { file, meta } = input;
  const fail = (page: number, what: string): never => {
    throw new CorruptionError(`B+tree check failed for "${file.path}": ${what} (page ${page})`, {
      file: file.path,
      offset: page * PAGE_BYTES,
    });
  };
  const owner = new Uint8Array(meta.pageCount);
  const claim = (page: number, kind: number) => {
    if (page < META_PAGE_COUNT || page >= meta.pageCount) fail(page, `page number out of range`);
    if (owner[page] !== 0) fail(page, `page is both ${OWNER_NAMES[owner[page]]} and ${OWNER_NAMES[kind]}`);
    owner[page] = kind;
  };
  if ((meta.root === 0) !== (meta.height === 0)) fail(meta.root, "root and height disagree");
  let entries = 0;
  if (meta.root !== 0) {
    entries = walk(input, { claim, fail }, meta.root, meta.height, undefined, undefined);
  }
  if (entries !== meta.entries) fail(meta.root, `tree holds ${entries} entries, meta says ${meta.entries}`);
  const onDisk = readFreeList((page) => file.readPage(page), meta, file.path);
  const same = (a: number[], b: number[]) => a.length === b.length && a.every((x, i) => x === b[i]);
  if (!same(onDisk.pages, input.free.pages) || !same(onDisk.listPages, input.free.listPages)) {
    fail(meta.freeHead, "free list on disk differs from memory");
  }
  for (const page of onDisk.listPages) claim(page, OWNER_LIST);
  for (let i = 0; i < onDisk.pages.length; i++) {
    claim(onDisk.pages[i], OWNER_FREE);
    if (onDisk.txns[i] > meta.txn) fail(onDisk.pages[i], `freed by future txn ${onDisk.txns[i]}`);
  }
  for (let page = META_PAGE_COUNT; page < meta.pageCount; page++) {
    if (owner[page] === 0) fail(page, "page is leaked (neither live nor free)");
  }
}

interface Reporter {
  claim(page: number, kind: number): void;
  fail(page: number, what: string): never;
}

/** Checks the subtree at `page` (keys within [lo, hi)); returns its entry count. */
function walk(
  input: CheckInput,
  report: Reporter,
  page: number,
  level: number,
  lo: Uint8Array | undefined,
  hi: Uint8Array | undefined,
): number {
  const { claim, fail } = report;
  const isRoot = page === input.meta.root;
  claim(page, OWNER_TREE);
  const buf = input.file.readPage(page);
  const node = decodeNode(buf, page, input.file.path);
  const txn = readU64(new DataView(buf.buffer), HEADER_TXN_OFFSET);
  if (txn > input.meta.txn) fail(page, `written by future txn ${txn}`);
  const cached = input.cache.peek(page);
  if (cached !== undefined && !cached.raw.every((b, i) => b === buf[i])) {
    fail(page, "cached page differs from disk");
  }
  if ((level === 1) !== (node.type === PAGE_TYPE_LEAF)) fail(page, `wrong node type at level ${level}`);
  const keys: Uint8Array[] = [];
  let bytes = 0;
  let encoded = 0;
  if (node.type === PAGE_TYPE_LEAF) {
    for (let i = 0; i < node.count; i++) {
      keys.push(node.keyAt(i));
      bytes += LEAF_ENTRY_OVERHEAD_BYTES + node.slots[4 * i + 1] + node.slots[4 * i + 3];
    }
    const prefix = buf[HEADER_FLAGS_OFFSET];
    encoded = bytes - node.count * prefix + prefix;
    if (prefix !== Math.min(LEAF_PREFIX_BYTES_MAX, node.prefixLength)) {
      fail(page, `leaf stores a ${prefix}-byte key prefix, its keys share ${node.prefixLength}`);
    }
  } else {
    bytes = BRANCH_FIRST_CHILD_BYTES;
    for (let i = 0; i < node.count - 1; i++) {
      keys.push(node.keyAt(i));
      bytes += BRANCH_ENTRY_OVERHEAD_BYTES + node.slots[2 * i + 1];
    }
  }
  if (node.type !== PAGE_TYPE_LEAF) encoded = bytes;
  if (encoded > PAGE_BODY_BYTES) fail(page, `node uses ${encoded} body bytes`);
  if (!isRoot && bytes < PAGE_UNDERFLOW_BYTES) fail(page, `non-root node underfull (${bytes} bytes)`);
  if (node.count === 0) fail(page, "empty node");
  if (isRoot && node.type !== PAGE_TYPE_LEAF && node.count < 2) fail(page, "branch root with one child");
  for (let i = 1; i < keys.length; i++) {
    if (compareBytes(keys[i - 1], keys[i]) >= 0) fail(page, `keys out of order at index ${i}`);
  }
  if (keys.length > 0 && lo !== undefined && compareBytes(keys[0], lo) < 0) {
    fail(page, "key below lower bound");
  }
  if (keys.length > 0 && hi !== undefined && compareBytes(keys[keys.length - 1], hi) >= 0) {
    fail(page, "key at or above upper bound");
  }
  if (node.type === PAGE_TYPE_LEAF) return node.count;
  let entries = 0;
  for (let i = 0; i < node.count; i++) {
    const childLo = i === 0 ? lo : keys[i - 1];
    const childHi = i === node.count - 1 ? hi : keys[i];
    const below = walk(input, report, node.children[i], level - 1, childLo, childHi);
    if (below !== node.counts[i]) {
      fail(page, `child ${i} holds ${below} entries, its count says ${node.counts[i]}`);
    }
    entries += below;
  }
  return entries;
}
