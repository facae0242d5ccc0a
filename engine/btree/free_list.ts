/**
 * Free pages of the B+tree file (docs/formats/btree.md, "Free-list pages").
 *
 * Owns: the persisted free list (a chain of free-list pages of (page, freeing txn) entries), loading
 * it, and the writer's page allocator that decides which pages a txn may overwrite.
 *
 * Invariants:
 * - a page freed by txn N is reused no earlier than txn N + FREE_PAGE_REUSE_DELAY_TXNS: then no page
 *   reachable from the last committed meta, or from the version before it (a reader may lag one
 *   commit), is ever overwritten;
 * - a page allocated and dropped inside one txn was never committed, so it is reusable at once (txn 0);
 * - every page in [META_PAGE_COUNT, pageCount) is exactly one of: live tree page, free-list page,
 *   free-list entry (check() verifies this).
 */
import { assert } from "../assert.ts";
import { CorruptionError } from "../disk_errors.ts";
import {
  FREE_ENTRIES_PER_PAGE,
  FREE_ENTRY_BYTES,
  FREE_PAGE_REUSE_DELAY_TXNS,
  HEADER_COUNT_OFFSET,
  HEADER_LINK_OFFSET,
  HEADER_TYPE_OFFSET,
  META_PAGE_COUNT,
  PAGE_BYTES,
  PAGE_HEADER_BYTES,
  PAGE_TYPE_FREE_LIST,
} from "./format.ts";
import { readU64, writeU64 } from "./page_file.ts";

/** The free pages of one committed version: entries (page, freeing txn) and the pages that list them. */
export interface FreeState {
  pages: number[];
  txns: number[];
  listPages: number[];
}

/** The free list a commit writes: the new state plus the encoded (unsealed) free-list pages. */
export interface FreeListPlan {
  state: FreeState;
  encoded: Uint8Array[];
  pageCount: number;
}

/** An empty free list. */
export function emptyFreeState(): FreeState {
  return { pages: [], txns: [], listPages: [] };
}

/**
 * Loads the free list by following the chain from `head`.
 * @param readPage returns a verified page (throws CorruptionError otherwise)
 * @throws CorruptionError when the chain is malformed or its length disagrees with the meta
 */
export function readFreeList(
  readPage: (page: number) => Uint8Array,
  meta: { freeHead: number; freeCount: number; pageCount: number },
  path: string,
): FreeState {
  const state = emptyFreeState();
  for (let page = meta.freeHead; page !== 0;) {
    const fail = (what: string) =>
      new CorruptionError(`Cannot load free list of "${path}": ${what} at offset ${page * PAGE_BYTES}`, {
        file: path,
        offset: page * PAGE_BYTES,
      });
    if (page < META_PAGE_COUNT || page >= meta.pageCount) throw fail(`free-list page ${page} out of range`);
    if (state.listPages.length >= meta.pageCount) throw fail("free-list chain loops");
    const buf = readPage(page);
    if (buf[HEADER_TYPE_OFFSET] !== PAGE_TYPE_FREE_LIST) throw fail(`page ${page} is not a free-list page`);
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    const count = dv.getUint16(HEADER_COUNT_OFFSET, true);
    if (count > FREE_ENTRIES_PER_PAGE) throw fail("free-list page overfull");
    state.listPages.push(page);
    for (let i = 0; i < count; i++) {
      const at = PAGE_HEADER_BYTES + i * FREE_ENTRY_BYTES;
      state.pages.push(dv.getUint32(at, true));
      state.txns.push(readU64(dv, at + 4));
    }
    page = dv.getUint32(HEADER_LINK_OFFSET, true);
  }
  if (state.pages.length !== meta.freeCount) {
    throw new CorruptionError(
      `Cannot load free list of "${path}": ${state.pages.length} entries but the meta says ${meta.freeCount}`,
      { file: path, offset: meta.freeHead * PAGE_BYTES },
    );
  }
  return state;
}

/** The writer's allocator: hands out reusable pages first (lowest first), then grows the file. */
export class FreeSpace {
  #txn: number;
  #nextPage: number;
  #reusable: number[] = []; // descending, so pop() yields the lowest page
  #pendingPages: number[] = [];
  #pendingTxns: number[] = [];
  #freedCommitted: number[] = [];
  #freedDirty: number[] = [];
  #initial: FreeState;
  #touched = false;

  /** @param txn the txn being written; entries freed at or before txn - delay are reusable */
  constructor(state: FreeState, txn: number, pageCount: number) {
    this.#txn = txn;
    this.#nextPage = pageCount;
    this.#initial = state;
    for (let i = 0; i < state.pages.length; i++) {
      if (state.txns[i] + FREE_PAGE_REUSE_DELAY_TXNS <= txn) this.#reusable.push(state.pages[i]);
      else {
        this.#pendingPages.push(state.pages[i]);
        this.#pendingTxns.push(state.txns[i]);
      }
    }
    this.#reusable.sort((a, b) => b - a);
  }

  /** A page this txn may write. */
  allocate(): number {
    this.#touched = true;
    return this.#freedDirty.pop() ?? this.#reusable.pop() ?? this.#nextPage++;
  }

  /** Releases a page that the last committed version references: reusable only after the delay. */
  freeCommitted(page: number): void {
    assert(page >= META_PAGE_COUNT && page < this.#nextPage, "freed page is in range");
    this.#touched = true;
    this.#freedCommitted.push(page);
  }

  /** Releases a page allocated by this txn (never committed): reusable at once. */
  freeDirty(page: number): void {
    assert(page >= META_PAGE_COUNT && page < this.#nextPage, "freed page is in range");
    this.#freedDirty.push(page);
  }

  /** Pages in the file once this txn commits (before the free list itself is placed). */
  get pageCount(): number {
    return this.#nextPage;
  }

  /**
   * Builds the free list this txn commits. The old free-list pages are freed like any committed page;
   * the new ones are taken from reusable pages (which shrinks the list) or from the end of the file.
   * A txn that allocated and freed nothing keeps the committed free list and its pages as they are.
   * Ends the allocator's use: call once, last.
   */
  plan(oldListPages: number[]): FreeListPlan {
    if (!this.#touched) return { state: this.#initial, encoded: [], pageCount: this.#nextPage };
    const reusable = this.#reusable.concat(this.#freedDirty);
    this.#reusable = [];
    this.#freedDirty = [];
    const delayed = this.#freedCommitted.concat(oldListPages);
    const total = () => this.#pendingPages.length + delayed.length + reusable.length;
    const listPages: number[] = [];
    while (listPages.length * FREE_ENTRIES_PER_PAGE < total()) {
      listPages.push(reusable.pop() ?? this.#nextPage++);
    }
    const state: FreeState = { pages: [], txns: [], listPages };
    const add = (page: number, txn: number) => {
      state.pages.push(page);
      state.txns.push(txn);
    };
    for (let i = 0; i < this.#pendingPages.length; i++) add(this.#pendingPages[i], this.#pendingTxns[i]);
    for (const page of delayed) add(page, this.#txn);
    for (const page of reusable) add(page, 0);
    return { state, encoded: encodeFreeList(state), pageCount: this.#nextPage };
  }
}

/** Encodes the entries of `state` into its list pages (unsealed), each linking to the next. */
function encodeFreeList(state: FreeState): Uint8Array[] {
  const pages: Uint8Array[] = [];
  for (let p = 0; p < state.listPages.length; p++) {
    const page = new Uint8Array(PAGE_BYTES);
    const dv = new DataView(page.buffer);
    const first = p * FREE_ENTRIES_PER_PAGE;
    const count = Math.min(FREE_ENTRIES_PER_PAGE, state.pages.length - first);
    page[HEADER_TYPE_OFFSET] = PAGE_TYPE_FREE_LIST;
    dv.setUint16(HEADER_COUNT_OFFSET, count, true);
    dv.setUint32(HEADER_LINK_OFFSET, state.listPages[p + 1] ?? 0, true);
    for (let i = 0; i < count; i++) {
      const at = PAGE_HEADER_BYTES + i * FREE_ENTRY_BYTES;
      dv.setUint32(at, state.pages[first + i], true);
      writeU64(dv, at + 4, state.txns[first + i]);
    }
    pages.push(page);
  }
  return pages;
}
