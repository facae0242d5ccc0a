/**
 * Ordered iteration over one committed version of the B+tree.
 *
 * Owns: the descent stack (branch pages and child indexes) and the position in the current leaf.
 *
 * Invariants:
 * - the cursor reads the version that was committed when it was created (its root and txn are fixed),
 *   however many writes happen meanwhile;
 * - a cursor stays valid across one later commit (pages freed by txn N are reused from txn N + 2); it
 *   asserts when used after a second commit, because its pages may then be overwritten;
 * - yielded keys and values are views of a private copy of their leaf (one copy per leaf visited, not
 *   two allocations per pair): callers may keep or mutate them, and never touch the page cache. A kept
 *   pair keeps its leaf copy (one page) alive.
 *
 * Range semantics: keys k with from <= k < to (each bound optional). Forward iteration ascends from the
 * first key >= from; reverse iteration descends from the last key < to down to `from` inclusive, so
 * both directions yield exactly the same set.
 */
import type { BranchPage, LeafPage } from "./node.ts";
import { compareBytes } from "./format.ts";

/** Options of BTree.cursor. */
export interface CursorOptions {
  /** Inclusive lower bound. */
  from?: Uint8Array;
  /** Exclusive upper bound. */
  to?: Uint8Array;
  /** Iterate from the largest key < `to` downwards. */
  reverse?: boolean;
}

/** Where a cursor reads pages, and the version it reads. */
export interface CursorSource {
  readonly root: number;
  readonly height: number;
  readonly txn: number;
  loadBranch(page: number): BranchPage;
  loadLeaf(page: number): LeafPage;
  /** Asserts that pages of version `txn` are still intact. */
  checkSnapshot(txn: number): void;
}

const DONE: IteratorResult<[Uint8Array, Uint8Array]> = { done: true, value: undefined };

/** An iterator of [key, value] pairs in key order (or reverse key order). */
export class BTreeCursor implements IterableIterator<[Uint8Array, Uint8Array]> {
  #source: CursorSource;
  #root: number;
  #height: number;
  #txn: number;
  #from: Uint8Array | undefined;
  #to: Uint8Array | undefined;
  #step: 1 | -1;
  #branches: BranchPage[] = [];
  #indexes: number[] = [];
  #leaf: LeafPage | undefined;
  #copy: Uint8Array | undefined; // private copy of #leaf's bytes that yielded pairs view
  #i = 0;
  #state: "new" | "open" | "done" = "new";

  constructor(source: CursorSource, options: CursorOptions = {}) {
    this.#source = source;
    this.#root = source.root;
    this.#height = source.height;
    this.#txn = source.txn;
    this.#from = options.from?.slice();
    this.#to = options.to?.slice();
    this.#step = options.reverse === true ? -1 : 1;
  }

  [Symbol.iterator](): BTreeCursor {
    return this;
  }

  /** The next pair, or done. */
  next(): IteratorResult<[Uint8Array, Uint8Array]> {
    if (this.#state !== "open" && !this.#start()) return DONE;
    for (;;) {
      const leaf = this.#leaf!;
      const i = this.#i;
      if (i >= 0 && i < leaf.count) {
        if (this.#step === 1) {
          if (this.#to !== undefined && leaf.compareAt(i, this.#to) <= 0) return this.#end();
        } else if (this.#from !== undefined && leaf.compareAt(i, this.#from) > 0) return this.#end();
        this.#i = i + this.#step;
        const s = leaf.slots;
        const copy = this.#copy ??= leaf.buf.slice();
        const key = copy.subarray(s[4 * i], s[4 * i] + s[4 * i + 1]);
        return { done: false, value: [key, copy.subarray(s[4 * i + 2], s[4 * i + 2] + s[4 * i + 3])] };
      }
      if (!this.#advance()) return this.#end();
    }
  }

  /**
   * Counts the pairs left in range without copying them: whole leaves are counted by binary search
   * for the upper bound (ascending cursors only). Ends the cursor.
   */
  count(): number {
    if (this.#step !== 1) throw new RangeError("BTreeCursor.count counts ascending cursors only");
    if (this.#state !== "open" && !this.#start()) return 0;
    let total = 0;
    for (;;) {
      const leaf = this.#leaf!;
      const end = this.#to === undefined ? leaf.count : Math.min(leaf.count, leaf.lowerBound(this.#to));
      if (end > this.#i) total += end - this.#i;
      if (end < leaf.count || !this.#advance()) break;
    }
    this.#end();
    return total;
  }

  /** Stops the cursor early (called by `for ... of` on break). */
  return(): IteratorResult<[Uint8Array, Uint8Array]> {
    return this.#end();
  }

  #end(): IteratorResult<[Uint8Array, Uint8Array]> {
    this.#state = "done";
    this.#leaf = undefined;
    this.#copy = undefined;
    this.#branches = [];
    return DONE;
  }

  /** Positions at the first pair in range; false when the range is empty. */
  #start(): boolean {
    if (this.#state === "done") return false;
    const empty = this.#from !== undefined && this.#to !== undefined &&
      compareBytes(this.#from, this.#to) >= 0;
    if (this.#root === 0 || empty) {
      this.#end();
      return false;
    }
    this.#state = "open";
    this.#source.checkSnapshot(this.#txn);
    const bound = this.#step === 1 ? this.#from : this.#to;
    let page = this.#root;
    for (let level = this.#height; level > 1; level--) {
      const branch = this.#source.loadBranch(page);
      const index = bound === undefined ? (this.#step === 1 ? 0 : branch.count - 1) : branch.childFor(bound);
      this.#branches.push(branch);
      this.#indexes.push(index);
      page = branch.children[index];
    }
    const leaf = this.#source.loadLeaf(page);
    this.#leaf = leaf;
    this.#copy = undefined;
    if (bound === undefined) this.#i = this.#step === 1 ? 0 : leaf.count - 1;
    else this.#i = this.#step === 1 ? leaf.lowerBound(bound) : leaf.lowerBound(bound) - 1;
    return true;
  }

  /** Moves to the next leaf in the cursor's direction; false at the end of the tree. */
  #advance(): boolean {
    let level = this.#branches.length - 1;
    while (level >= 0) {
      const next = this.#indexes[level] + this.#step;
      if (next >= 0 && next < this.#branches[level].count) break;
      level--;
    }
    if (level < 0) return false;
    this.#source.checkSnapshot(this.#txn);
    this.#indexes[level] += this.#step;
    let page = this.#branches[level].children[this.#indexes[level]];
    for (let l = level + 1; l < this.#branches.length; l++) {
      const branch = this.#source.loadBranch(page);
      this.#branches[l] = branch;
      this.#indexes[l] = this.#step === 1 ? 0 : branch.count - 1;
      page = branch.children[this.#indexes[l]];
    }
    const leaf = this.#source.loadLeaf(page);
    this.#leaf = leaf;
    this.#copy = undefined;
    this.#i = this.#step === 1 ? 0 : leaf.count - 1;
    return true;
  }
}
