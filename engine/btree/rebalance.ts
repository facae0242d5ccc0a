/**
 * Restores B+tree shape after a writer changed some nodes: splits overfull nodes, removes empty ones,
 * and merges or redistributes underfull ones with a sibling. Works on dirty nodes only; siblings are
 * made dirty (copy-on-write) through the `NodeSpace` the writer provides.
 *
 * Invariants established for every child of a fixed branch (the "fit" rule that check() verifies):
 * body bytes <= PAGE_BODY_BYTES, non-empty, and >= PAGE_UNDERFLOW_BYTES, except an only child, which its
 * parent's parent fixes by merging the parent (then the only child gets siblings and is fixed in turn).
 *
 * Why splits and redistributions always produce fit halves: a node overflows by at most a few entries,
 * every entry is smaller than PAGE_UNDERFLOW_BYTES, and balanced split points are used unless the last
 * insert went to the end (then the right node takes just enough entries to be fit, so sorted loads fill
 * pages to about 3/4 instead of 1/2).
 */
import { assert } from "../assert.ts";
import {
  BRANCH_FIRST_CHILD_BYTES,
  PAGE_BODY_BYTES,
  PAGE_TYPE_LEAF,
  PAGE_UNDERFLOW_BYTES,
  shortestSeparator,
} from "./format.ts";
import {
  branchEntryBytes,
  encodedLeafBytes,
  type EntryHeap,
  leafPrefixBytes,
  type MutableBranch,
  type MutableLeaf,
  type MutableNode,
} from "./dirty.ts";

/** Structural changes made so far (tests check that splits and merges really happen). */
export interface RebalanceCounters {
  splits: number;
  merges: number;
  redistributions: number;
}

/** What rebalancing needs from the writer. */
export interface NodeSpace {
  /** Child `i` of a dirty branch as a dirty node (copies a committed child on write). */
  mutableChild(parent: MutableBranch, i: number): MutableNode;
  /** The dirty node written as `page`, if the page is dirty. */
  dirty(page: number): MutableNode | undefined;
  /** A new, empty, dirty leaf. */
  newLeaf(): MutableLeaf;
  /** A new, empty, dirty branch. */
  newBranch(): MutableBranch;
  /** Frees a dirty node's page. */
  drop(node: MutableNode): void;
  readonly counters: RebalanceCounters;
  /** Fill mode (btree_writer.ts): appended splits keep the left node full; underfull nodes wait. */
  readonly bulk: boolean;
}

const FIX_ROUNDS_MAX = 100_000;

/** True when a node has no entries (leaf) or no children (branch). */
export function isEmpty(node: MutableNode): boolean {
  return node.type === PAGE_TYPE_LEAF ? node.entries.length === 0 : node.children.length === 0;
}

/**
 * True when `node` does not fit its page: a leaf by its encoded bytes (shared key prefix stored once),
 * a branch by its bytes. Underflow is always judged by `bytes` (whole keys), which is never less.
 */
export function isOverfull(node: MutableNode): boolean {
  return (node.type === PAGE_TYPE_LEAF ? node.encodedBytes() : node.bytes) > PAGE_BODY_BYTES;
}

/** True when `node` breaks the fit rule as a non-root node. */
export function needsFix(node: MutableNode): boolean {
  return node.bytes < PAGE_UNDERFLOW_BYTES || isEmpty(node) || isOverfull(node);
}

function fixable(space: NodeSpace, parent: MutableBranch, node: MutableNode): boolean {
  if (isEmpty(node) || isOverfull(node)) return true;
  return !space.bulk && node.bytes < PAGE_UNDERFLOW_BYTES && parent.children.length > 1;
}

/** Fixes children of `parent` until every dirty child is fit (see the file comment). */
export function fixChildren(space: NodeSpace, parent: MutableBranch): void {
  for (let round = 0;; round++) {
    assert(round < FIX_ROUNDS_MAX, "rebalancing terminates");
    let i = 0;
    for (; i < parent.children.length; i++) {
      const child = space.dirty(parent.children[i]);
      if (child !== undefined && fixable(space, parent, child)) break;
    }
    if (i === parent.children.length) return;
    fixChild(space, parent, i);
  }
}

function fixChild(space: NodeSpace, parent: MutableBranch, i: number): void {
  const child = space.dirty(parent.children[i])!;
  if (isOverfull(child)) return splitChild(space, parent, i);
  if (isEmpty(child)) {
    removeChild(parent, i);
    space.drop(child);
    return;
  }
  // Underfull: merge with a sibling if the pair fits one page, else share entries evenly.
  const last = parent.children.length - 1;
  let l = i > 0 ? i - 1 : i;
  if (i > 0 && i < last && mergedBytes(space, parent, i - 1) > PAGE_BODY_BYTES) {
    if (mergedBytes(space, parent, i) <= PAGE_BODY_BYTES) l = i;
  }
  const left = space.mutableChild(parent, l);
  const right = space.mutableChild(parent, l + 1);
  if (pairBytes(left, right, parent.keys[l]) <= PAGE_BODY_BYTES) merge(space, parent, l, left, right);
  else redistribute(space, parent, l, left, right);
}

function mergedBytes(space: NodeSpace, parent: MutableBranch, l: number): number {
  const a = space.dirty(parent.children[l]);
  const b = space.dirty(parent.children[l + 1]);
  if (a === undefined || b === undefined) return Infinity; // prefer dirty neighbours: no extra copies
  return pairBytes(a, b, parent.keys[l]);
}

/** Page body bytes of `left` and `right` merged into one node. */
function pairBytes(left: MutableNode, right: MutableNode, separator: Uint8Array): number {
  if (left.type === PAGE_TYPE_LEAF) {
    const r = right as MutableLeaf;
    const n = left.entries.length + r.entries.length;
    if (left.entries.length === 0 || r.entries.length === 0) {
      return (left.entries.length === 0 ? r : left).encodedBytes();
    }
    const ends = [left.entries[0], r.entries[r.entries.length - 1]];
    return encodedLeafBytes(left.bytes + r.bytes, n, leafPrefixBytes(left.heap, ends, 0, 2));
  }
  return left.bytes + right.bytes + branchEntryBytes(separator) - BRANCH_FIRST_CHILD_BYTES;
}

/** Removes child `i` and the separator next to it. */
function removeChild(parent: MutableBranch, i: number): void {
  parent.children.splice(i, 1);
  if (parent.keys.length === 0) return;
  const k = i > 0 ? i - 1 : 0;
  parent.bytes -= branchEntryBytes(parent.keys[k]);
  parent.keys.splice(k, 1);
}

function merge(
  space: NodeSpace,
  parent: MutableBranch,
  l: number,
  left: MutableNode,
  right: MutableNode,
): void {
  const separator = parent.keys[l];
  if (left.type === PAGE_TYPE_LEAF) {
    const r = right as MutableLeaf;
    left.entries = left.entries.concat(r.entries);
    left.bytes += r.bytes;
  } else {
    const r = right as MutableBranch;
    left.keys = left.keys.concat([separator], r.keys);
    left.children = left.children.concat(r.children);
    left.bytes += r.bytes + branchEntryBytes(separator) - BRANCH_FIRST_CHILD_BYTES;
  }
  removeChild(parent, l + 1);
  space.drop(right);
  space.counters.merges++;
  if (left.type !== PAGE_TYPE_LEAF) fixChildren(space, left);
}

function redistribute(
  space: NodeSpace,
  parent: MutableBranch,
  l: number,
  left: MutableNode,
  right: MutableNode,
): void {
  const old = parent.keys[l];
  let separator: Uint8Array;
  if (left.type === PAGE_TYPE_LEAF) {
    const r = right as MutableLeaf;
    const entries = left.entries.concat(r.entries);
    const m = leafSplitPoint(left.heap, entries, false);
    fillLeaf(left, entries.slice(0, m));
    fillLeaf(r, entries.slice(m));
    separator = shortestSeparator(left.keyView(m - 1), r.keyView(0));
  } else {
    const r = right as MutableBranch;
    const keys = left.keys.concat([old], r.keys);
    const children = left.children.concat(r.children);
    const m = branchSplitPoint(keys, false);
    fillBranch(left, keys.slice(0, m), children.slice(0, m + 1));
    fillBranch(r, keys.slice(m + 1), children.slice(m + 1));
    separator = keys[m];
  }
  parent.keys[l] = separator;
  parent.bytes += separator.length - old.length;
  space.counters.redistributions++;
  if (left.type !== PAGE_TYPE_LEAF) {
    fixChildren(space, left);
    fixChildren(space, right as MutableBranch);
  }
}

/** Splits overfull child `i` into as many fit nodes as needed, inserting separators into `parent`. */
function splitChild(space: NodeSpace, parent: MutableBranch, i: number): void {
  const child = space.dirty(parent.children[i])!;
  const pieces: MutableNode[] = [child];
  const separators: Uint8Array[] = [];
  for (let p = 0; p < pieces.length;) {
    if (!isOverfull(pieces[p])) {
      p++;
      continue;
    }
    const [separator, right] = splitNode(space, pieces[p]);
    pieces.splice(p + 1, 0, right);
    separators.splice(p, 0, separator);
    space.counters.splits++;
  }
  for (let s = 0; s < separators.length; s++) {
    parent.keys.splice(i + s, 0, separators[s]);
    parent.children.splice(i + s + 1, 0, pieces[s + 1].page);
    parent.bytes += branchEntryBytes(separators[s]);
  }
  parent.appended = i === parent.children.length - 1 - separators.length;
}

/** Moves the upper part of `node` into a new node; returns the separator and the new node. */
function splitNode(space: NodeSpace, node: MutableNode): [Uint8Array, MutableNode] {
  const fill = space.bulk && node.appended;
  if (node.type === PAGE_TYPE_LEAF) {
    const m = leafSplitPoint(node.heap, node.entries, node.appended, fill);
    const right = space.newLeaf();
    fillLeaf(right, node.entries.slice(m));
    fillLeaf(node, node.entries.slice(0, m));
    right.appended = node.appended;
    node.appended = false;
    return [shortestSeparator(node.keyView(m - 1), right.keyView(0)), right];
  }
  const m = branchSplitPoint(node.keys, node.appended, fill);
  const right = space.newBranch();
  const separator = node.keys[m];
  fillBranch(right, node.keys.slice(m + 1), node.children.slice(m + 1));
  fillBranch(node, node.keys.slice(0, m), node.children.slice(0, m + 1));
  right.appended = node.appended;
  node.appended = false;
  return [separator, right];
}

function fillLeaf(node: MutableLeaf, entries: number[]): void {
  node.entries = entries;
  node.bytes = 0;
  for (const entry of entries) node.bytes += node.heap.entryBytes(entry);
}

function fillBranch(node: MutableBranch, keys: Uint8Array[], children: number[]): void {
  assert(children.length === keys.length + 1, "a branch has one more child than separators");
  node.keys = keys;
  node.children = children;
  node.bytes = BRANCH_FIRST_CHILD_BYTES;
  for (const key of keys) node.bytes += branchEntryBytes(key);
}

/**
 * First index of the right half: balanced by encoded page bytes (each half stores its own shared
 * prefix once), or (append) the smallest right half that is not underfull, when both halves fit.
 */
export function leafSplitPoint(heap: EntryHeap, entries: number[], append: boolean, fill = false): number {
  const n = entries.length;
  assert(n >= 2, "a split leaf has two entries");
  const sizes = entries.map((entry) => heap.entryBytes(entry));
  const total = sizes.reduce((a, b) => a + b, 0);
  const encoded = (a: number, b: number, bytes: number) =>
    encodedLeafBytes(bytes, b - a, leafPrefixBytes(heap, entries, a, b));
  if (fill) {
    // The fullest left node that fits; the right one may be underfull until the load ends.
    let left = total;
    for (let m = n - 1; m >= 1; m--) {
      left -= sizes[m];
      if (encoded(0, m, left) <= PAGE_BODY_BYTES) return m;
    }
  }
  if (append) {
    let right = 0;
    let m = n;
    while (m > 1 && right < PAGE_UNDERFLOW_BYTES) right += sizes[--m];
    if (encoded(0, m, total - right) <= PAGE_BODY_BYTES && encoded(m, n, right) <= PAGE_BODY_BYTES) return m;
  }
  let best = 1;
  let bestMax = Infinity;
  let left = 0;
  for (let m = 1; m < n; m++) {
    left += sizes[m - 1];
    const worst = Math.max(encoded(0, m, left), encoded(m, n, total - left));
    if (worst < bestMax) {
      bestMax = worst;
      best = m;
    }
  }
  return best;
}

/** Index of the separator that moves up: balanced by bytes, or (append) the smallest fit right half. */
export function branchSplitPoint(keys: Uint8Array[], append: boolean, fill = false): number {
  const n = keys.length;
  assert(n >= 1, "a split branch has a separator");
  const sizes = keys.map(branchEntryBytes);
  const total = sizes.reduce((a, b) => a + b, 0);
  if (fill) {
    // The fullest left node that fits (separators 0..m-1); separator m moves up.
    let left = BRANCH_FIRST_CHILD_BYTES + total;
    for (let m = n - 1; m >= 0; m--) {
      left -= sizes[m];
      if (left <= PAGE_BODY_BYTES) return m;
    }
  }
  if (append) {
    const first = BRANCH_FIRST_CHILD_BYTES;
    let right = first;
    let m = n - 1;
    while (m > 0 && right < PAGE_UNDERFLOW_BYTES) right += sizes[m--];
    if (first + total - right - sizes[m] + first <= PAGE_BODY_BYTES && right <= PAGE_BODY_BYTES) return m;
  }
  let best = 0;
  let bestMax = Infinity;
  const first = BRANCH_FIRST_CHILD_BYTES;
  let left = first;
  for (let m = 0; m < n; m++) {
    const worst = Math.max(left, first + total - (left - first) - sizes[m]);
    if (worst < bestMax) {
      bestMax = worst;
      best = m;
    }
    left += sizes[m];
  }
  return best;
}
