/**
 * The B+tree file: one ordered map from byte keys to byte values (memcmp order), copy-on-write with two
 * alternating meta pages, so a crash at any point leaves the last committed version intact. Format and
 * crash-safety argument: docs/formats/btree.md.
 *
 * Owns: opening/creating the file, the committed version (meta + free list), the page cache, the commit
 * protocol (write pages, sync, write meta, sync, publish) and the single-writer rule.
 *
 * Invariants:
 * - reads are synchronous and always see the last committed version; a writer's changes become visible
 *   only when its commit resolves;
 * - at most one writer exists; after a failed commit the tree refuses further writers (reopen recovers),
 *   because the disk may hold a meta this process did not publish;
 * - every page read from disk is verified (checksum, page number, type for its level).
 */
import type { FileSystem } from "../fs.ts";
import { assert } from "../assert.ts";
import { CorruptionError } from "../disk_errors.ts";
import { PlanckError } from "../../protocol/errors.ts";
import { compareBytes, META_PAGE_COUNT, PAGE_BYTES, PAGE_TYPE_BRANCH, PAGE_TYPE_LEAF } from "./format.ts";
import { type BranchPage, type CommittedNode, decodeNode, type LeafPage } from "./node.ts";
import { chooseMeta, decodeMeta, encodeMeta, type MetaPage, PageFile } from "./page_file.ts";
import { PAGE_CACHE_BYTES_DEFAULT, PageCache } from "./page_cache.ts";
import { type FreeState, readFreeList } from "./free_list.ts";
import { type BTreeWriter, TreeWriter, type WriterHost } from "./writer.ts";
import { BTreeCursor, type CursorOptions } from "./cursor.ts";
import type { PreparedCommit, PreparedPage } from "./prepare.ts";
import type { RebalanceCounters } from "./rebalance.ts";
import { checkTree } from "./check.ts";
import { ByteArena } from "./arena.ts";

export type { BTreeWriter } from "./writer.ts";
export type { CursorOptions } from "./cursor.ts";

/** Options of BTree.open. */
export interface BTreeOpenOptions {
  /** Bytes of decoded pages to cache (default PAGE_CACHE_BYTES_DEFAULT). */
  pageCacheBytes?: number;
  /** Create the file when missing (default true). */
  create?: boolean;
  /** Where the file is opened (engine/fs.ts; fault tests pass a faulty one). */
  fs?: FileSystem;
}

/** Size, shape and cache counters of a tree; splits/merges/redistributions count since open. */
export interface BTreeStats {
  txn: number;
  pages: number;
  freePages: number;
  height: number;
  entries: number;
  fileBytes: number;
  cacheHits: number;
  cacheMisses: number;
  cachedBytes: number;
  splits: number;
  merges: number;
  redistributions: number;
}

/** Chunk size of the arena that get() copies values into (small: a kept value pins its chunk). */
const READ_ARENA_CHUNK_BYTES = 8 * 1024;
/** Most pages coalesced into one write call while committing. */
const WRITE_RUN_PAGES_MAX = 256;

/** A persistent B+tree in one file. Open with BTree.open; read synchronously; write via beginWrite. */
export class BTree {
  readonly path: string;
  #file: PageFile;
  #cache: PageCache<CommittedNode>;
  #meta: MetaPage;
  #free: FreeState;
  #counters: RebalanceCounters = { splits: 0, merges: 0, redistributions: 0 };
  #writer: TreeWriter | undefined;
  #arena = new ByteArena(READ_ARENA_CHUNK_BYTES);
  #failure: unknown;
  #closed = false;

  private constructor(file: PageFile, meta: MetaPage, free: FreeState, cacheBytes: number) {
    this.path = file.path;
    this.#file = file;
    this.#meta = meta;
    this.#free = free;
    this.#cache = new PageCache(cacheBytes);
  }

  /**
   * Opens the tree at `path`, creating an empty one if missing (unless `create` is false). Picks the
   * valid meta page with the highest txn id.
   * @throws CorruptionError when no meta page is valid or the free list is damaged
   */
  static open(path: string, options: BTreeOpenOptions = {}): BTree {
    const cacheBytes = options.pageCacheBytes ?? PAGE_CACHE_BYTES_DEFAULT;
    const file = PageFile.open(path, options.create ?? true, options.fs);
    try {
      const meta = openMeta(file);
      const free = readFreeList((page) => file.readPage(page), meta, path);
      return new BTree(file, meta, free, cacheBytes);
    } catch (error) {
      file.close();
      throw error;
    }
  }

  /** The caller's blob from the committed meta page (a copy). */
  get userMeta(): Uint8Array {
    return this.#meta.userMeta.slice();
  }

  /**
   * The value of `key` in the last committed version. The result is a private copy (a view into a
   * small shared arena chunk: cheap, and safe to keep or mutate).
   */
  get(key: Uint8Array): Uint8Array | undefined {
    this.#assertOpen();
    let page = this.#meta.root;
    if (page === 0) return undefined;
    for (let level = this.#meta.height; level > 1; level--) {
      const branch = this.#loadBranch(page);
      page = branch.children[branch.childFor(key)];
    }
    const leaf = this.#loadLeaf(page);
    const i = leaf.find(key);
    if (i < 0) return undefined;
    const s = leaf.slots;
    return this.#arena.copyFrom(leaf.buf, s[4 * i + 2], s[4 * i + 3]);
  }

  /**
   * Number of keys k with from <= k < to in the last committed version (each bound optional), from the
   * subtree counts in branch pages: two descents, O(height) pages, however large the range.
   */
  count(from?: Uint8Array, to?: Uint8Array): number {
    this.#assertOpen();
    if (from !== undefined && to !== undefined && compareBytes(from, to) >= 0) return 0;
    const high = to === undefined ? this.#meta.entries : this.#rank(to);
    return high - (from === undefined ? 0 : this.#rank(from));
  }

  /** Number of keys < `key` in the last committed version. */
  #rank(key: Uint8Array): number {
    let page = this.#meta.root;
    if (page === 0) return 0;
    let rank = 0;
    for (let level = this.#meta.height; level > 1; level--) {
      const branch = this.#loadBranch(page);
      const i = branch.childFor(key);
      for (let c = 0; c < i; c++) rank += branch.counts[c];
      page = branch.children[i];
    }
    return rank + this.#loadLeaf(page).lowerBound(key);
  }

  /**
   * Iterates [key, value] pairs of the last committed version with from <= key < to, ascending, or
   * descending from the largest key < to when `reverse`. Valid across at most one later commit.
   */
  cursor(options: CursorOptions = {}): BTreeCursor {
    this.#assertOpen();
    const meta = this.#meta;
    return new BTreeCursor({
      root: meta.root,
      height: meta.height,
      txn: meta.txn,
      loadBranch: (page) => this.#loadBranch(page),
      loadLeaf: (page) => this.#loadLeaf(page),
      checkSnapshot: (txn) => {
        this.#assertOpen();
        assert(this.#meta.txn <= txn + 1, "a cursor is used across at most one commit");
      },
    }, options);
  }

  /** Size, shape and cache counters. */
  stats(): BTreeStats {
    this.#assertOpen();
    return {
      txn: this.#meta.txn,
      pages: this.#meta.pageCount,
      freePages: this.#free.pages.length,
      height: this.#meta.height,
      entries: this.#meta.entries,
      fileBytes: this.#file.byteLength(),
      cacheHits: this.#cache.hits,
      cacheMisses: this.#cache.misses,
      cachedBytes: this.#cache.bytes,
      ...this.#counters,
    };
  }

  /**
   * Starts the write transaction. Only one may be open (or committing) at a time. `fill: true` is for
   * loading keys in ascending order (a rewrite): pages are filled completely instead of to the usual
   * three quarters, and the right edge is rebalanced once at commit.
   */
  beginWrite(options: { fill?: boolean } = {}): BTreeWriter {
    this.#assertOpen();
    assert(this.#writer === undefined, "only one B+tree writer at a time");
    if (this.#failure !== undefined) {
      throw new PlanckError(
        "internal",
        `Cannot write B+tree "${this.path}": an earlier commit failed, reopen it`,
        {
          file: this.path,
        },
        { cause: this.#failure },
      );
    }
    this.#writer = new TreeWriter(this.#host(), options.fill === true);
    return this.#writer;
  }

  /** Closes the file; an open writer is aborted. Not allowed while a commit is in flight. */
  close(): void {
    if (this.#closed) return;
    this.#writer?.abort();
    this.#closed = true;
    this.#cache.clear();
    this.#file.close();
  }

  /** Full structural check of the committed version (see btree_check.ts); throws CorruptionError. */
  check(): void {
    this.#assertOpen();
    checkTree({ file: this.#file, meta: this.#meta, free: this.#free, cache: this.#cache });
  }

  #assertOpen(): void {
    if (this.#closed) {
      throw new PlanckError("invalid_argument", `Cannot use B+tree "${this.path}": it is closed`);
    }
  }

  #load(page: number): CommittedNode {
    const hit = this.#cache.get(page);
    if (hit !== undefined) return hit;
    if (page < META_PAGE_COUNT || page >= this.#meta.pageCount) {
      throw this.#corrupt(page, `child pointer to page ${page} is out of range`);
    }
    const node = decodeNode(this.#file.readPage(page), page, this.path);
    this.#cache.set(page, node, node.cacheBytes);
    return node;
  }

  #loadLeaf(page: number): LeafPage {
    const node = this.#load(page);
    if (node.type !== PAGE_TYPE_LEAF) throw this.#corrupt(page, "expected a leaf page");
    return node;
  }

  #loadBranch(page: number): BranchPage {
    const node = this.#load(page);
    if (node.type !== PAGE_TYPE_BRANCH) throw this.#corrupt(page, "expected a branch page");
    return node;
  }

  #corrupt(page: number, what: string): CorruptionError {
    const offset = page * PAGE_BYTES;
    return new CorruptionError(`Cannot read B+tree "${this.path}": ${what} at offset ${offset}`, {
      file: this.path,
      offset,
    });
  }

  #host(): WriterHost {
    return {
      path: this.path,
      meta: this.#meta,
      free: this.#free,
      counters: this.#counters,
      load: (page) => this.#load(page),
      peek: (page) => this.#cache.peek(page) ?? decodeNode(this.#file.readPage(page), page, this.path),
      publish: (prepared) => this.#publish(prepared),
      release: () => {
        this.#writer = undefined;
      },
    };
  }

  /** The commit protocol. A crash before step 4 completes leaves the previous version in force. */
  async #publish(prepared: PreparedCommit): Promise<void> {
    this.#assertOpen();
    try {
      // 1. Write every page of the new version. None is reachable from the committed meta (each is new or
      //    was freed at least two txns ago), so the committed version stays intact whatever lands.
      this.#writeRuns(prepared.pages);
      // 2. fdatasync: the new pages are durable before any meta points at them.
      if (prepared.pages.length > 0) await this.#file.sync();
      // 3. Write the meta into slot txn % 2: it overwrites the older meta, never the newest valid one.
      this.#file.writePages(prepared.meta.txn % META_PAGE_COUNT, encodeMeta(prepared.meta));
      // 4. fdatasync: the commit point. Open now picks this meta (valid, highest txn).
      await this.#file.sync();
    } catch (error) {
      this.#failure = error;
      throw error;
    }
    // 5. Publish: readers switch to the new version; the cache learns the written nodes.
    this.#meta = prepared.meta;
    this.#free = prepared.free;
    for (const { page, bytes, isNode } of prepared.pages) {
      if (!isNode) {
        this.#cache.delete(page);
        continue;
      }
      const node = decodeNode(bytes, page, this.path);
      this.#cache.set(page, node, node.cacheBytes);
    }
  }

  #writeRuns(pages: PreparedPage[]): void {
    for (let start = 0; start < pages.length;) {
      let end = start + 1;
      while (
        end < pages.length && pages[end].page === pages[end - 1].page + 1 && end - start < WRITE_RUN_PAGES_MAX
      ) end++;
      if (end - start === 1) {
        this.#file.writePages(pages[start].page, pages[start].bytes);
      } else {
        const run = new Uint8Array((end - start) * PAGE_BYTES);
        for (let i = start; i < end; i++) run.set(pages[i].bytes, (i - start) * PAGE_BYTES);
        this.#file.writePages(pages[start].page, run);
      }
      start = end;
    }
  }
}

/** Reads both meta slots and applies the validity rule; initializes a file that was never committed. */
function openMeta(file: PageFile): MetaPage {
  const slots = [0, 1].map((slot) => {
    const page = new Uint8Array(PAGE_BYTES);
    return decodeMeta(page, file.readRaw(slot, page), slot);
  });
  const meta = chooseMeta(slots, file.path);
  if (meta !== undefined) {
    const sane = meta.pageCount >= META_PAGE_COUNT && meta.root < meta.pageCount &&
      meta.freeHead < meta.pageCount && (meta.root === 0) === (meta.height === 0);
    if (!sane) {
      const offset = (meta.txn % META_PAGE_COUNT) * PAGE_BYTES;
      throw new CorruptionError(
        `Cannot open B+tree "${file.path}": inconsistent meta page at offset ${offset}`,
        {
          file: file.path,
          offset,
        },
      );
    }
    return meta;
  }
  const initial: MetaPage = {
    txn: 0,
    root: 0,
    pageCount: META_PAGE_COUNT,
    freeHead: 0,
    freeCount: 0,
    height: 0,
    entries: 0,
    userMeta: new Uint8Array(0),
  };
  file.writePages(0, encodeMeta(initial));
  file.syncNow();
  syncParentDirectory(file.path);
  return initial;
}

/** Best effort: makes a new file's directory entry durable (not supported on every platform). */
function syncParentDirectory(path: string): void {
  const slash = path.lastIndexOf("/");
  const dir = slash <= 0 ? (slash === 0 ? "/" : ".") : path.slice(0, slash);
  try {
    const handle = Deno.openSync(dir, { read: true });
    try {
      handle.syncSync();
    } finally {
      handle.close();
    }
  } catch {
    // Directories cannot be opened or synced on some platforms; the engine syncs its data directory.
  }
}
