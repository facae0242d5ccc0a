/**
 * The B+tree write transaction: copy-on-write edits of the committed tree, kept as decoded dirty nodes
 * until commit encodes them (docs/formats/btree.md, "Commit protocol").
 *
 * Owns: the dirty node map, the txn's allocator, the root/height/entry count being built, and turning
 * them into sealed pages plus a meta page (`prepare`). Writing and syncing belong to btree.ts.
 *
 * Invariants:
 * - a page reachable from the last committed root is never modified: the first edit of a committed
 *   node copies it to a newly allocated page and frees the old page with this txn's id;
 * - every dirty node is reachable from the writer's root through dirty parents;
 * - after every public operation, every dirty non-root node is fit (see btree_rebalance.ts);
 * - keys and values given to `put` are copied, so callers may reuse their buffers.
 */
import { assert, INVARIANTS } from "../assert.ts";
import { PlanckError } from "../../protocol/errors.ts";
import {
  BRANCH_FIRST_CHILD_BYTES,
  BRANCH_SUBTREE_ENTRIES_MAX,
  BTREE_KEY_BYTES_MAX,
  BTREE_USER_META_BYTES_MAX,
  BTREE_VALUE_BYTES_MAX,
  compareBytes,
  PAGE_TYPE_LEAF,
} from "./format.ts";
import type { Branch, CommittedNode, Leaf } from "./node.ts";
import { branchEntryBytes, EntryHeap, MutableBranch, MutableLeaf, type MutableNode } from "./dirty.ts";
import {
  fixChildren,
  isEmpty,
  isOverfull,
  needsFix,
  type NodeSpace,
  type RebalanceCounters,
} from "./rebalance.ts";
import { FreeSpace, type FreeState } from "./free_list.ts";
import type { MetaPage } from "./page_file.ts";
import { ByteArena } from "./arena.ts";
import { encodePrepared, type PreparedCommit } from "./prepare.ts";

/** A write transaction on a BTree. Only one exists at a time; readers see none of it until commit. */
export interface BTreeWriter {
  /** Inserts or replaces `key`. Keys and values are copied. */
  put(key: Uint8Array, value: Uint8Array): void;
  /** Removes `key`; returns whether it was present. */
  delete(key: Uint8Array): boolean;
  /** Removes every key in [from, to); returns how many were removed. */
  deleteRange(from: Uint8Array, to: Uint8Array): number;
  /** The value of `key` as this txn sees it (its own writes included). */
  get(key: Uint8Array): Uint8Array | undefined;
  /** Makes the txn durable and visible; resolves once the commit point is on disk. */
  commit(userMeta?: Uint8Array): Promise<void>;
  /** Discards the txn. */
  abort(): void;
}

/** What a writer needs from its tree. */
export interface WriterHost {
  readonly path: string;
  readonly meta: MetaPage;
  readonly free: FreeState;
  readonly counters: RebalanceCounters;
  /** A committed node (through the page cache). */
  load(page: number): CommittedNode;
  /** A committed node without touching the cache's recency (for pages about to be dropped). */
  peek(page: number): CommittedNode;
  /** Writes, syncs and publishes a prepared commit. */
  publish(prepared: PreparedCommit): Promise<void>;
  /** The writer is finished (committed, aborted or failed). */
  release(): void;
}

function checkLength(what: string, bytes: Uint8Array, max: number, limit: string): void {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`Invalid B+tree ${what}: expected a Uint8Array`);
  if (bytes.length > max) {
    throw new PlanckError(
      "limit_exceeded",
      `Cannot write B+tree ${what}: ${bytes.length} bytes exceeds ${limit} (${max})`,
      { limit },
    );
  }
}

/** The one implementation of BTreeWriter. Create it with BTree.beginWrite(). */
export class TreeWriter implements BTreeWriter, NodeSpace {
  readonly counters: RebalanceCounters;
  #host: WriterHost;
  #txn: number;
  #root: number;
  #height: number;
  #entries: number;
  #dirty = new Map<number, MutableNode>();
  /**
   * Subtree entry counts of committed pages that are children of dirty branches, learnt when their
   * parent was copied. A committed page never changes, so its count stays right wherever rebalancing
   * moves it; dirty nodes are counted at commit.
   */
  #committedCounts = new Map<number, number>();
  #heap = new EntryHeap();
  #arena = new ByteArena();
  #free: FreeSpace;
  #state: "open" | "committing" | "done" = "open";
  /**
   * The leaf of the last descent, its path and its key bounds [low, high): sorted puts (a flush) go to
   * the same leaf again and again and skip the descent. Dropped whenever the tree changes shape.
   */
  #hint: { path: MutableBranch[]; leaf: MutableLeaf; low?: Uint8Array; high?: Uint8Array } | undefined;

  /**
   * Fill mode (sorted loads): splits of appended nodes keep the left node as full as it fits and
   * underfull nodes are left alone until commit, which fixes the right edge (the only underfull nodes:
   * every other node was the full left half of a split).
   */
  bulk: boolean;

  constructor(host: WriterHost, fill = false) {
    this.bulk = fill;
    this.#host = host;
    this.counters = host.counters;
    this.#txn = host.meta.txn + 1;
    this.#root = host.meta.root;
    this.#height = host.meta.height;
    this.#entries = host.meta.entries;
    this.#free = new FreeSpace(host.free, this.#txn, host.meta.pageCount);
  }

  put(key: Uint8Array, value: Uint8Array): void {
    this.#assertOpen();
    checkLength("key", key, BTREE_KEY_BYTES_MAX, "BTREE_KEY_BYTES_MAX");
    checkLength("value", value, BTREE_VALUE_BYTES_MAX, "BTREE_VALUE_BYTES_MAX");
    const heap = this.#heap;
    const entry = heap.append(key, value); // the txn's private copy
    if (this.#root === 0) {
      const leaf = this.newLeaf();
      leaf.entries.push(entry);
      leaf.bytes = heap.entryBytes(entry);
      this.#root = leaf.page;
      this.#height = 1;
      this.#entries = 1;
      return;
    }
    const hint = this.#hint;
    const hinted = hint !== undefined && (hint.low === undefined || compareBytes(key, hint.low) >= 0) &&
      (hint.high === undefined || compareBytes(key, hint.high) < 0);
    const path: MutableBranch[] = hinted ? hint.path : [];
    const node = hinted ? hint.leaf : this.#mutableLeafFor(key, path);
    const n = node.entries.length;
    const i = n > 0 && heap.compareKey(key, node.entries[n - 1]) > 0 ? n : node.lowerBound(key);
    if (i < n && heap.compareKey(key, node.entries[i]) === 0) {
      node.bytes += heap.entryBytes(entry) - heap.entryBytes(node.entries[i]);
      node.entries[i] = entry;
    } else {
      if (i === n) node.entries.push(entry);
      else node.entries.splice(i, 0, entry);
      node.bytes += heap.entryBytes(entry);
      node.appended = i === n;
      this.#entries++;
    }
    if (this.bulk ? isOverfull(node) : needsFix(node)) this.#fixPath(path);
  }

  delete(key: Uint8Array): boolean {
    this.#assertOpen();
    if (this.#lookup(key) === undefined) return false; // absent: copy nothing
    const path: MutableBranch[] = [];
    const node = this.#mutableLeafFor(key, path);
    const i = node.find(key);
    assert(i >= 0, "a key found by get is in its leaf");
    node.bytes -= node.entryBytes(i);
    node.entries.splice(i, 1);
    this.#entries--;
    if (needsFix(node)) this.#fixPath(path);
    return true;
  }

  deleteRange(from: Uint8Array, to: Uint8Array): number {
    this.#assertOpen();
    this.#hint = undefined;
    if (this.#root === 0 || compareBytes(from, to) >= 0) return 0;
    const removed = this.#deleteIn(this.#mutableRoot(), from, to);
    this.#entries -= removed;
    this.#fixRoot();
    return removed;
  }

  get(key: Uint8Array): Uint8Array | undefined {
    assert(this.#state === "open", "the writer is open");
    const value = this.#lookup(key);
    return value === undefined ? undefined : this.#arena.copy(value);
  }

  async commit(userMeta?: Uint8Array): Promise<void> {
    this.#assertOpen();
    const meta = userMeta ?? this.#host.meta.userMeta;
    checkLength("user meta", meta, BTREE_USER_META_BYTES_MAX, "BTREE_USER_META_BYTES_MAX");
    this.#state = "committing";
    try {
      if (this.bulk) this.#fixRightEdge();
      if (INVARIANTS) this.#assertShape();
      const counts = this.#subtreeCounts();
      const prepared = encodePrepared({
        path: this.#host.path,
        nodes: this.#dirty.values(),
        countOf: (page) => counts.get(page) ?? this.#committedCount(page),
        free: this.#free.plan(this.#host.free.listPages),
        meta: { txn: this.#txn, root: this.#root, height: this.#height, entries: this.#entries },
        userMeta: meta.slice(),
      });
      await this.#host.publish(prepared);
    } finally {
      this.#finish();
    }
  }

  abort(): void {
    if (this.#state === "done") return;
    assert(this.#state === "open", "abort is not called during commit");
    this.#finish();
  }

  // ---- NodeSpace (used by btree_rebalance.ts) ----

  mutableChild(parent: MutableBranch, i: number): MutableNode {
    const page = parent.children[i];
    const dirty = this.#dirty.get(page);
    if (dirty !== undefined) return dirty;
    const copy = this.#copy(page);
    parent.children[i] = copy.page;
    return copy;
  }

  dirty(page: number): MutableNode | undefined {
    return this.#dirty.get(page);
  }

  newLeaf(): MutableLeaf {
    const leaf = new MutableLeaf(this.#free.allocate(), this.#heap, [], 0);
    this.#dirty.set(leaf.page, leaf);
    return leaf;
  }

  newBranch(): MutableBranch {
    const branch = new MutableBranch(this.#free.allocate(), [], [], BRANCH_FIRST_CHILD_BYTES);
    this.#dirty.set(branch.page, branch);
    return branch;
  }

  drop(node: MutableNode): void {
    assert(this.#dirty.get(node.page) === node, "only dirty nodes are dropped");
    this.#dirty.delete(node.page);
    this.#free.freeDirty(node.page);
  }

  // ---- internals ----

  #assertOpen(): void {
    if (this.#state !== "open") {
      throw new PlanckError("invalid_argument", "Cannot use a B+tree writer after commit or abort");
    }
  }

  #finish(): void {
    this.#state = "done";
    this.#hint = undefined;
    this.#dirty.clear();
    this.#committedCounts.clear();
    this.#heap.release();
    this.#host.release();
  }

  /** The stored value of `key` (a view: never hand it out), reading dirty nodes first. */
  #lookup(key: Uint8Array): Uint8Array | undefined {
    if (this.#root === 0) return undefined;
    let page = this.#root;
    for (let level = this.#height; level > 1; level--) {
      const branch = this.#node(page) as Branch;
      page = branch.childAt(branch.childFor(key));
    }
    const leaf = this.#node(page) as Leaf;
    const i = leaf.find(key);
    return i < 0 ? undefined : leaf.valueView(i);
  }

  #node(page: number): MutableNode | CommittedNode {
    return this.#dirty.get(page) ?? this.#host.load(page);
  }

  /** Copy-on-write: a dirty copy of committed page `page` on a new page; the old page is freed. */
  #copy(page: number): MutableNode {
    const node = this.#host.load(page);
    const at = this.#free.allocate();
    const copy = node.type === PAGE_TYPE_LEAF ? node.toMutable(at, this.#heap) : node.toMutable(at);
    if (node.type !== PAGE_TYPE_LEAF) {
      for (let i = 0; i < node.count; i++) this.#committedCounts.set(node.children[i], node.counts[i]);
    }
    this.#free.freeCommitted(page);
    this.#dirty.set(copy.page, copy);
    return copy;
  }

  #mutableRoot(): MutableNode {
    const dirty = this.#dirty.get(this.#root);
    if (dirty !== undefined) return dirty;
    const copy = this.#copy(this.#root);
    this.#root = copy.page;
    return copy;
  }

  /**
   * Copies the path to the leaf that holds `key` (root first, branches pushed onto `path`) and
   * remembers it as the hint for the next put.
   */
  #mutableLeafFor(key: Uint8Array, path: MutableBranch[]): MutableLeaf {
    let node = this.#mutableRoot();
    let low: Uint8Array | undefined;
    let high: Uint8Array | undefined;
    while (node.type !== PAGE_TYPE_LEAF) {
      path.push(node);
      const i = node.childFor(key);
      if (i > 0) low = node.keys[i - 1];
      if (i < node.keys.length) high = node.keys[i];
      node = this.mutableChild(node, i);
    }
    this.#hint = { path, leaf: node, low, high };
    return node;
  }

  /** Ends fill mode: fixes every level of the rightmost path, bottom up, then the root. */
  #fixRightEdge(): void {
    this.bulk = false;
    this.#hint = undefined;
    const path: MutableBranch[] = [];
    let node = this.#dirty.get(this.#root);
    while (node !== undefined && node.type !== PAGE_TYPE_LEAF) {
      path.push(node);
      node = this.#dirty.get(node.children[node.children.length - 1]);
    }
    for (let level = path.length - 1; level >= 0; level--) fixChildren(this, path[level]);
    this.#fixRoot();
  }

  /** Fixes the nodes along a descent path, bottom up, stopping where nothing changed shape. */
  #fixPath(path: MutableBranch[]): void {
    this.#hint = undefined;
    for (let level = path.length - 1; level >= 0; level--) {
      fixChildren(this, path[level]);
      if (level > 0 && !needsFix(path[level])) return;
    }
    this.#fixRoot();
  }

  /** Grows, shrinks or empties the root until it obeys the root rule (any fill, branch >= 2 children). */
  #fixRoot(): void {
    this.#hint = undefined;
    for (;;) {
      const root = this.#dirty.get(this.#root);
      if (root === undefined) return; // untouched committed root, or empty tree
      if (isEmpty(root)) {
        this.drop(root);
        this.#root = 0;
        this.#height = 0;
        return;
      }
      if (root.type !== PAGE_TYPE_LEAF && root.children.length === 1) {
        this.#root = root.children[0];
        this.drop(root);
        this.#height--;
        continue;
      }
      if (!isOverfull(root)) return;
      const top = this.newBranch();
      top.children.push(root.page);
      this.#root = top.page;
      this.#height++;
      fixChildren(this, top);
    }
  }

  #deleteIn(node: MutableNode, from: Uint8Array, to: Uint8Array): number {
    if (node.type === PAGE_TYPE_LEAF) {
      const i = node.lowerBound(from);
      const j = node.lowerBound(to);
      for (let k = i; k < j; k++) node.bytes -= node.entryBytes(k);
      node.entries.splice(i, j - i);
      return j - i;
    }
    const first = node.childFor(from);
    let last = node.childFor(to);
    if (last > 0 && compareBytes(node.keys[last - 1], to) === 0) last--; // child `last` starts at `to`
    let removed = this.#deleteIn(this.mutableChild(node, first), from, to);
    if (last > first) {
      removed += this.#deleteIn(this.mutableChild(node, last), from, to);
      for (let c = first + 1; c < last; c++) removed += this.#dropSubtree(node.children[c]);
      for (let k = first; k < last - 1; k++) node.bytes -= branchEntryBytes(node.keys[k]);
      node.children.splice(first + 1, last - first - 1);
      node.keys.splice(first, last - first - 1);
    }
    fixChildren(this, node);
    return removed;
  }

  /** Frees every page of the subtree at `page`; returns the entries it held. */
  #dropSubtree(page: number): number {
    const dirty = this.#dirty.get(page);
    if (dirty !== undefined) {
      let entries = dirty.type === PAGE_TYPE_LEAF ? dirty.entries.length : 0;
      if (dirty.type !== PAGE_TYPE_LEAF) {
        for (const child of dirty.children) entries += this.#dropSubtree(child);
      }
      this.drop(dirty);
      return entries;
    }
    const node = this.#host.peek(page);
    let entries = node.type === PAGE_TYPE_LEAF ? node.count : 0;
    if (node.type !== PAGE_TYPE_LEAF) {
      for (const child of node.children) {
        entries += this.#dropSubtree(child);
      }
    }
    this.#free.freeCommitted(page);
    return entries;
  }

  /** Entry counts of every dirty node's subtree, computed bottom-up from the root. */
  #subtreeCounts(): Map<number, number> {
    const counts = new Map<number, number>();
    const visit = (page: number): number => {
      const node = this.#dirty.get(page);
      if (node === undefined) return this.#committedCount(page);
      let total = 0;
      if (node.type === PAGE_TYPE_LEAF) total = node.entries.length;
      else for (const child of node.children) total += visit(child);
      if (total > BRANCH_SUBTREE_ENTRIES_MAX) {
        throw new PlanckError(
          "limit_exceeded",
          `Cannot commit B+tree "${this.#host.path}": a subtree holds ${total} entries, more than ` +
            `BRANCH_SUBTREE_ENTRIES_MAX (${BRANCH_SUBTREE_ENTRIES_MAX})`,
          { limit: "BRANCH_SUBTREE_ENTRIES_MAX" },
        );
      }
      counts.set(page, total);
      return total;
    };
    if (this.#dirty.has(this.#root)) {
      const total = visit(this.#root);
      assert(total === this.#entries, "subtree counts add up to the tree's entries");
    }
    return counts;
  }

  /** The subtree entry count of a committed child of a dirty branch. */
  #committedCount(page: number): number {
    const count = this.#committedCounts.get(page);
    assert(count !== undefined, "a committed child of a dirty branch has a known count");
    return count;
  }

  /** PLANCK_INVARIANTS: every dirty node is fit, ordered, and non-root nodes meet the fill rule. */
  #assertShape(): void {
    for (const node of this.#dirty.values()) {
      const key = (i: number) => node.type === PAGE_TYPE_LEAF ? node.keyView(i) : node.keys[i];
      const keys = node.type === PAGE_TYPE_LEAF ? node.entries.length : node.keys.length;
      for (let i = 1; i < keys; i++) {
        assert(compareBytes(key(i - 1), key(i)) < 0, "keys in a dirty node are increasing");
      }
      if (node.page !== this.#root) assert(!needsFix(node), "a dirty non-root node is fit");
    }
  }
}
