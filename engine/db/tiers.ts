/**
 * The persistent tiers: the value log and the one B+tree file (primary index of every store,
 * catalog and value-log state), plus a document cache. Flushes and value-log GC run here, one at a
 * time (a promise chain), in chunks that yield to the event loop so reads and writes keep going.
 *
 * Crash safety (docs/storage-format.md, "Flush" and "GC"): a flush appends documents to the value
 * log, syncs it, then commits the tree with the checkpoint LSN in its meta page — the single commit
 * point. GC copies live entries, syncs, commits the repointed tree, and only then deletes the old
 * segment; on open, segments the committed tree does not list are deleted and the active segment is
 * cut to its committed length.
 *
 * What a flush and a GC stage into the tree is in tiers_flush.ts and tiers_gc.ts; this file holds
 * the files, the reads, the one-writer queue, the commit point and compaction. The document cache is
 * doc_cache.ts.
 *
 * Invariants: one tree writer at a time (`#serial`); the checkpoint's LSN and next id never go back;
 * the value-log state rows and the checkpoint are committed with the tree in one meta-page write.
 */
import { GC_DEAD_RATIO_DEFAULT } from "../limits.ts";
import type { FileSystem } from "../fs.ts";
import { syncDirSync } from "../fs.ts";
import { BTree } from "../btree/btree.ts";
import type { StoreInfo } from "./catalog.ts";
import { bytesToLatin1, decodeIndexDef, type IndexDef } from "../indexes/indexes.ts";
import { type Key, KEY_BYTES } from "../key.ts";
import type { Version } from "./merge.ts";
import {
  docKeyOf,
  docTreeKey,
  docTreeKeyScratch,
  indexTreeKey,
  indexTreeKeyScratch,
  namespacePrefix,
  systemIdOf,
  systemRange,
  vlogTreeKey,
} from "./tree_keys.ts";
import { decodePointer, ValueLog, type VlogSegmentState } from "../vlog/vlog.ts";
import { DocCache } from "./doc_cache.ts";
import { type FlushInput, stageFlush, type TreeWriter } from "./tiers_flush.ts";
import { type GcResult, stageSegmentRewrite } from "./tiers_gc.ts";
import { assert } from "../assert.ts";

export type { FlushInput } from "./tiers_flush.ts";
export type { GcResult } from "./tiers_gc.ts";

/** The B+tree file, and the temporary file a compaction writes before renaming it over the tree. */
const TREE_FILE = "index.btree";
const TREE_COMPACT_FILE = "index.btree.compact";
/** The checkpoint kept in the tree's meta page. */
export interface Checkpoint {
  /** Every group with a commit LSN at or below this is in the tiers. */
  lsn: number;
  nextId: number;
}

export interface TiersOptions {
  docCacheBytes?: number;
  pageCacheBytes?: number;
  vlogSegmentBytes?: number;
  /** Sleep this long between chunks (crash tests widen the flush and GC windows). */
  slowMs?: number;
  /** Where the tree and value-log files are opened (engine/fs.ts). */
  fs?: FileSystem;
}

const EMPTY = new Uint8Array(0);
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The value log, the B+tree and the document cache of one database. */
export class Tiers {
  #tree: BTree;
  readonly #dir: string;
  readonly #vlog: ValueLog;
  readonly #cache: DocCache;
  readonly #slowMs: number;
  #checkpoint: Checkpoint;
  #queue: Promise<unknown> = Promise.resolve();
  readonly #fs: FileSystem | undefined;

  constructor(dir: string, options: TiersOptions = {}) {
    this.#dir = dir;
    // A compaction that did not reach its rename left a temporary file: the old tree is the truth.
    try {
      Deno.removeSync(`${dir}/${TREE_COMPACT_FILE}`);
    } catch { /* none: the usual case */ }
    this.#fs = options.fs;
    this.#tree = BTree.open(`${dir}/${TREE_FILE}`, { pageCacheBytes: options.pageCacheBytes, fs: this.#fs });
    const meta = this.#tree.userMeta;
    this.#checkpoint = meta.length === 0 ? { lsn: 0, nextId: 1 } : JSON.parse(decoder.decode(meta));
    const vlogState: VlogSegmentState[] = [];
    for (
      const [key, value] of this.#tree.cursor({ from: systemRange("vlog")[0], to: systemRange("vlog")[1] })
    ) {
      const view = new DataView(value.buffer, value.byteOffset);
      vlogState.push({
        sequence: systemIdOf(key),
        bytes: view.getUint32(0, true),
        deadBytes: view.getUint32(4, true),
      });
    }
    this.#vlog = new ValueLog(`${dir}/vlog`, vlogState, options.vlogSegmentBytes, undefined, this.#fs);
    this.#cache = new DocCache(options.docCacheBytes);
    this.#slowMs = options.slowMs ?? 0;
  }

  get checkpoint(): Checkpoint {
    return this.#checkpoint;
  }

  /** Stores recorded in the checkpoint. */
  stores(): StoreInfo[] {
    const [from, to] = systemRange("catalog");
    return [...this.#tree.cursor({ from, to })].map(([k, v]) => ({
      id: systemIdOf(k),
      name: decoder.decode(v),
    }));
  }

  /** Index definitions recorded in the checkpoint. */
  indexes(): IndexDef[] {
    const [from, to] = systemRange("index");
    return [...this.#tree.cursor({ from, to })].map(([, v]) => decodeIndexDef(v));
  }

  /** Committed entries of index `indexId` in [from, to) (latin1 entry strings), as merge sources. */
  *indexEntries(indexId: number, from?: string, to?: string, reverse = false): Generator<[string, Version]> {
    const cursor = this.#tree.cursor({
      from: from === undefined ? namespacePrefix(indexId) : indexTreeKey(indexId, from),
      to: to === undefined ? namespacePrefix(indexId + 1) : indexTreeKey(indexId, to),
      reverse,
    });
    for (const [treeKey] of cursor) yield [bytesToLatin1(treeKey.subarray(4)), EMPTY];
  }

  /**
   * The committed documents of store `storeId` named by the committed entries of index `indexId` in
   * [from, to), in index order, as [document key bytes (a view: copy to keep), document]. No entry or key
   * becomes a string: the document's tree key is built from the entry's trailing 16 bytes.
   */
  *indexDocuments(
    indexId: number,
    storeId: number,
    from?: string,
    to?: string,
  ): Generator<[Uint8Array, Uint8Array]> {
    const cursor = this.#tree.cursor({
      from: from === undefined ? namespacePrefix(indexId) : indexTreeKey(indexId, from),
      to: to === undefined ? namespacePrefix(indexId + 1) : indexTreeKey(indexId, to),
    });
    const docTreeKey = namespacePrefix(storeId);
    const lookup = new Uint8Array(4 + KEY_BYTES);
    lookup.set(docTreeKey);
    for (const [treeKey] of cursor) {
      const docKey = treeKey.subarray(treeKey.length - KEY_BYTES);
      lookup.set(docKey, 4);
      const pointer = this.#tree.get(lookup);
      if (pointer !== undefined) yield [docKey, this.#load(pointer)];
    }
  }

  /** Number of committed entries of index `indexId` in [from, to), from the tree's subtree counts. */
  countIndexEntries(indexId: number, from?: string, to?: string): number {
    return this.#tree.count(
      from === undefined ? namespacePrefix(indexId) : indexTreeKey(indexId, from),
      to === undefined ? namespacePrefix(indexId + 1) : indexTreeKey(indexId, to),
    );
  }

  /** Number of committed documents of store `storeId`, from the tree's subtree counts (O(log n)). */
  countDocuments(storeId: number): number {
    return this.#tree.count(namespacePrefix(storeId), namespacePrefix(storeId + 1));
  }

  /** Whether `key` has a committed version in store `storeId` (the value is not read). */
  hasDocument(storeId: number, key: Key): boolean {
    return this.#tree.get(docTreeKeyScratch(storeId, key)) !== undefined;
  }

  /** Whether index entry `entry` of index `indexId` is committed. */
  hasIndexEntry(indexId: number, entry: string): boolean {
    return this.#tree.get(indexTreeKeyScratch(indexId, entry)) !== undefined;
  }

  /** The committed version of `key`, or undefined. */
  read(storeId: number, key: Key): Uint8Array | undefined {
    const pointer = this.#tree.get(docTreeKeyScratch(storeId, key));
    return pointer === undefined ? undefined : this.#load(pointer);
  }

  /** Committed documents of one store in [from, to), as merge sources. */
  *entries(storeId: number, from?: Key, to?: Key, reverse = false): Generator<[string, Uint8Array]> {
    const cursor = this.#tree.cursor({
      from: from === undefined ? namespacePrefix(storeId) : docTreeKey(storeId, from),
      to: to === undefined ? namespacePrefix(storeId + 1) : docTreeKey(storeId, to),
      reverse,
    });
    // A scan reads through the document cache but does not fill it (scans would evict the hot set).
    for (const [treeKey, pointer] of cursor) yield [docKeyOf(treeKey), this.#load(pointer, false)];
  }

  /** Counters for stats pages. */
  stats(): Record<string, number> {
    const tree = this.#tree.stats();
    const vlog = this.#vlog.totals();
    return {
      checkpointLsn: this.#checkpoint.lsn,
      treePages: tree.pages,
      treeFreePages: tree.freePages,
      treeHeight: tree.height,
      treeEntries: tree.entries,
      treeSplits: tree.splits,
      treeMerges: tree.merges,
      treeRedistributions: tree.redistributions,
      treeFileBytes: tree.fileBytes,
      treeCacheHits: tree.cacheHits,
      treeCacheMisses: tree.cacheMisses,
      vlogBytes: vlog.bytes,
      vlogDeadBytes: vlog.deadBytes,
      vlogSegments: vlog.segments,
      docCacheBytes: this.#cache.bytes,
    };
  }

  /** Runs `task` after every earlier flush or GC (one writer of the tree at a time). */
  #serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task, task);
    this.#queue = run.catch(() => {});
    return run;
  }

  /** Writes a frozen memtable into the tiers and commits the checkpoint. */
  flush(input: FlushInput): Promise<void> {
    return this.#serial(() => this.#flush(input));
  }

  async #flush(input: FlushInput): Promise<void> {
    assert(input.lsn >= this.#checkpoint.lsn, "flush: the checkpoint LSN never goes back");
    assert(input.nextId >= this.#checkpoint.nextId, "flush: the next id never goes back");
    const writer = this.#tree.beginWrite();
    try {
      await stageFlush(this.#tree, this.#vlog, writer, input, this.#slowMs);
      await this.#commit(writer, { lsn: input.lsn, nextId: input.nextId });
    } catch (error) {
      writer.abort();
      throw error;
    }
  }

  async #commit(writer: TreeWriter, checkpoint: Checkpoint): Promise<void> {
    const [from, to] = systemRange("vlog");
    writer.deleteRange(from, to);
    for (const s of this.#vlog.state()) {
      const value = new Uint8Array(8);
      const view = new DataView(value.buffer);
      view.setUint32(0, s.bytes, true);
      view.setUint32(4, Math.min(s.deadBytes, s.bytes), true);
      writer.put(vlogTreeKey(s.sequence), value);
    }
    await this.#vlog.sync();
    await writer.commit(encoder.encode(JSON.stringify(checkpoint)));
    this.#checkpoint = checkpoint;
  }

  /**
   * Rewrites value-log segments whose dead ratio is at least `ratio` (or the given segments):
   * copies their live entries to the active segment, repoints the tree, commits, deletes them.
   */
  gc(options: { ratio?: number; segments?: number[] } = {}): Promise<GcResult> {
    return this.#serial(() => this.#gc(options));
  }

  async #gc(options: { ratio?: number; segments?: number[] }): Promise<GcResult> {
    const active = this.#vlog.activeSequence;
    const victims = (options.segments ??
      this.#vlog.gcCandidates(options.ratio ?? GC_DEAD_RATIO_DEFAULT).map((s) => s.sequence))
      .filter((s) => s !== active);
    const result: GcResult = { segments: victims, movedEntries: 0, freedBytes: 0 };
    if (victims.length === 0) return result;
    const writer = this.#tree.beginWrite();
    try {
      result.movedEntries = await stageSegmentRewrite(this.#tree, this.#vlog, writer, victims, this.#slowMs);
      for (const sequence of victims) this.#vlog.forget(sequence);
      await this.#commit(writer, this.#checkpoint);
    } catch (error) {
      writer.abort();
      // The tree still points into the victims: a later checkpoint must keep listing them.
      for (const sequence of victims) this.#vlog.keep(sequence);
      throw error;
    }
    for (const sequence of victims) result.freedBytes += this.#vlog.removeSegment(sequence);
    return result;
  }

  /**
   * Holds every later flush and GC until the returned release is called; resolves once the running
   * one has ended, so the tree and value-log files stay as they are (an online backup copies them).
   */
  async pin(): Promise<() => void> {
    let release!: () => void;
    const released = new Promise<void>((resolve) => release = resolve);
    let started!: () => void;
    const running = new Promise<void>((resolve) => started = resolve);
    void this.#serial(() => {
      started();
      return released;
    });
    await running;
    return release;
  }

  /** Waits for running flushes and GC. */
  async idle(): Promise<void> {
    await this.#queue;
  }

  /**
   * Closes the files. When more than a quarter of the tree's pages are free (copy-on-write leaves
   * freed pages behind after many flushes), the tree is first rewritten compactly into a new file
   * that atomically replaces the old one (rename): a crash before the rename keeps the old tree,
   * after it the new one, and the temporary file is removed on open.
   */
  async close(options: { compact?: boolean } = {}): Promise<void> {
    await this.idle();
    const stats = this.#tree.stats();
    if (options.compact !== false && stats.freePages * 4 > stats.pages && stats.pages > 64) {
      await this.#compact();
    }
    this.#tree.close();
    this.#vlog.close();
  }

  async #compact(): Promise<void> {
    const target = `${this.#dir}/${TREE_COMPACT_FILE}`;
    const fresh = BTree.open(target, { pageCacheBytes: 8 * 1024 * 1024, fs: this.#fs });
    try {
      const writer = fresh.beginWrite({ fill: true });
      for (const [key, value] of this.#tree.cursor()) writer.put(key, value);
      await writer.commit(this.#tree.userMeta);
    } finally {
      fresh.close();
    }
    this.#tree.close();
    Deno.renameSync(target, `${this.#dir}/${TREE_FILE}`);
    syncDirSync(this.#dir);
    this.#tree = BTree.open(`${this.#dir}/${TREE_FILE}`, { pageCacheBytes: 8 * 1024 * 1024, fs: this.#fs });
  }

  #load(pointerBytes: Uint8Array, fill = true): Uint8Array {
    const pointer = decodePointer(pointerBytes);
    const place = pointer.segment * 4294967296 + pointer.offset;
    if (this.#cache.bytes > 0) { // off by default: no Map lookup per read
      const cached = this.#cache.get(place);
      if (cached !== undefined) return cached;
    }
    const value = this.#vlog.read(pointer);
    if (fill) this.#cache.offer(place, value);
    return value;
  }
}
