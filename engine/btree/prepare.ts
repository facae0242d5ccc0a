/**
 * Turns a finished write txn into the exact bytes a commit writes: sealed node pages, sealed free-list
 * pages and the new meta (docs/formats/btree.md, "Commit protocol", step 1).
 *
 * Invariants: every prepared page is sealed with its own page number and the txn id (and re-verified,
 * the write half of the paired check); no prepared page number is a meta page or appears twice.
 */
import { assert } from "../assert.ts";
import { META_PAGE_COUNT } from "./format.ts";
import { encodeNode, type MutableNode } from "./dirty.ts";
import type { FreeListPlan, FreeState } from "./free_list.ts";
import { type MetaPage, sealPage } from "./page_file.ts";

/** One page a commit writes. `isNode` pages are tree nodes (the cache learns them after commit). */
export interface PreparedPage {
  page: number;
  bytes: Uint8Array;
  isNode: boolean;
}

/** Everything a commit writes, and the committed state it publishes. */
export interface PreparedCommit {
  meta: MetaPage;
  free: FreeState;
  pages: PreparedPage[];
}

/** Inputs of `encodePrepared`. */
export interface PrepareInput {
  path: string;
  nodes: Iterable<MutableNode>;
  /** Subtree entry count of a child page (dirty or committed) of a dirty branch. */
  countOf: (page: number) => number;
  free: FreeListPlan;
  meta: { txn: number; root: number; height: number; entries: number };
  userMeta: Uint8Array;
}

/** Encodes and seals every page of a commit, sorted by page number. */
export function encodePrepared(input: PrepareInput): PreparedCommit {
  const { txn } = input.meta;
  const pages: PreparedPage[] = [];
  for (const node of input.nodes) {
    const bytes = encodeNode(node, input.countOf);
    sealPage(bytes, node.page, txn);
    pages.push({ page: node.page, bytes, isNode: true });
  }
  const { state } = input.free;
  for (let i = 0; i < state.listPages.length && i < input.free.encoded.length; i++) {
    sealPage(input.free.encoded[i], state.listPages[i], txn);
    pages.push({ page: state.listPages[i], bytes: input.free.encoded[i], isNode: false });
  }
  pages.sort((a, b) => a.page - b.page);
  for (let i = 0; i < pages.length; i++) {
    assert(pages[i].page >= META_PAGE_COUNT, "a commit never writes a meta page as data");
    assert(pages[i].page < input.free.pageCount, "a written page is inside the file");
    assert(i === 0 || pages[i - 1].page < pages[i].page, "a commit writes each page once");
  }
  const meta: MetaPage = {
    ...input.meta,
    pageCount: input.free.pageCount,
    freeHead: state.listPages[0] ?? 0,
    freeCount: state.pages.length,
    userMeta: input.userMeta,
  };
  return { meta, free: state, pages };
}
