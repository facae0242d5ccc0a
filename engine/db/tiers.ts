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
 */
import { GC_DEAD_RATIO_DEFAULT } from "../limits.ts";
import type { FileSystem } from "../fs.ts";
import { setImmediate } from "node:timers";
import { syncDirSync } from "../fs.ts";
import { BTree } from "../btree/btree.ts";
import type { StoreInfo } from "./catalog.ts";
import { bytesToLatin1, decodeIndexDef, encodeIndexDef, type IndexDef } from "../indexes/indexes.ts";
import { type Key, KEY_BYTES } from "../key.ts";
import type { Memtable } from "../memtable/memtable.ts";
import type { Version } from "./merge.ts";
import {
  catalogTreeKey,
  docKeyOf,
  docTreeKey,
  docTreeKeyScratch,
  indexDefTreeKey,
  indexTreeKey,
  indexTreeKeyScratch,
  namespacePrefix,
  systemIdOf,
  systemRange,
  vlogTreeKey,
} from "./tree_keys.ts";
import {
  decodePointer,
  encodePointerScratch,
  isPointer,
  ValueLog,
  type ValuePointer,
  type VlogSegmentState,
} from "../vlog/vlog.ts";

/** The B+tree file, and the temporary file a compaction writes before renaming it over the tree. */
const TREE_FILE = "index.btree";
const TREE_COMPACT_FILE = "index.btree.compact";
/** Documents per flush/GC chunk between yields to the event loop. */
const CHUNK_ENTRIES = 256;
/**
 * Default document cache size in bytes: off. Measured on the W3 store (200k random gets, 300-byte
 * documents): the 64 MiB value-log block cache serves warm reads as fast as the document cache
 * (601-623k vs 612-628k gets/s), and filling the document cache slowed cold reads by a third
 * (280-372k vs 426-454k gets/s: a Map entry and a retained view per document). `docCacheBytes`
 * turns it on for workloads that reread few documents from a log much larger than the block cache.
 */
export const DOC_CACHE_BYTES_DEFAULT = 0;

/** The checkpoint kept in the tree's meta page. */
export interface Checkpoint {
  /** Every group with a commit LSN at or below this is in the tiers. */
  lsn: number;
  nextId: number;
}

/** What a flush is given: a frozen memtable and the catalog as of its last LSN. */
export interface FlushInput {
  memtable: Memtable;
  lsn: number;
  stores: StoreInfo[];
  indexes: IndexDef[];
  nextId: number;
  /** Store and index ids dropped since the last flush: their ranges are deleted. */
  dropped: number[];
}

const EMPTY = new Uint8Array(0);

/** What a GC run did. */
export interface GcResult {
  segments: number[];
  movedEntries: number;
  freedBytes: number;
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

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const pause = (ms: number) => new Promise<void>((r) => ms > 0 ? setTimeout(r, ms) : setImmediate(r));

/** The value log, the B+tree and the document cache of one database. */
export class Tiers {
  #tree: BTree;
  readonly #dir: string;
  readonly #vlog: ValueLog;
  readonly #cache = new Map<number, Uint8Array>();
  readonly #cacheBytesMax: number;
  readonly #slowMs: number;
  #cacheBytes = 0;
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
    this.#cacheBytesMax = options.docCacheBytes ?? DOC_CACHE_BYTES_DEFAULT;
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
      docCacheBytes: this.#cacheBytes,
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
    const writer = this.#tree.beginWrite();
    try {
      const live = new Set(input.stores.map((s) => s.id));
      for (const id of input.dropped) {
        for (
          const [, pointer] of this.#tree.cursor({ from: namespacePrefix(id), to: namespacePrefix(id + 1) })
        ) {
          if (isPointer(pointer)) this.#vlog.markDead(decodePointer(pointer));
        }
        writer.deleteRange(namespacePrefix(id), namespacePrefix(id + 1));
      }
      const [catalogFrom, catalogTo] = systemRange("catalog");
      writer.deleteRange(catalogFrom, catalogTo);
      for (const store of input.stores) writer.put(catalogTreeKey(store.id), encoder.encode(store.name));
      const [indexFrom, indexTo] = systemRange("index");
      writer.deleteRange(indexFrom, indexTo);
      for (const def of input.indexes) writer.put(indexDefTreeKey(def.id), encodeIndexDef(def));
      const indexIds = new Set(input.indexes.map((d) => d.id));
      for (const id of input.memtable.storeIds()) {
        if (!indexIds.has(id)) continue;
        let n = 0;
        for (const [entry, version] of input.memtable.entries(id)) {
          if (version.value === null) writer.delete(indexTreeKeyScratch(id, entry));
          else writer.put(indexTreeKeyScratch(id, entry), EMPTY);
          if (++n % CHUNK_ENTRIES === 0) await pause(this.#slowMs);
        }
      }
      for (const storeId of input.memtable.storeIds()) {
        if (!live.has(storeId)) continue;
        let chunk: [Key, Uint8Array | null][] = [];
        for (const [key, entry] of input.memtable.entries(storeId)) {
          chunk.push([key, entry.value]);
          if (chunk.length === CHUNK_ENTRIES) {
            this.#flushChunk(writer, storeId, chunk);
            chunk = [];
            await pause(this.#slowMs);
          }
        }
        this.#flushChunk(writer, storeId, chunk);
      }
      await this.#commit(writer, { lsn: input.lsn, nextId: input.nextId });
    } catch (error) {
      writer.abort();
      throw error;
    }
  }

  #flushChunk(
    writer: ReturnType<BTree["beginWrite"]>,
    storeId: number,
    chunk: [Key, Uint8Array | null][],
  ): void {
    const values: Uint8Array[] = [];
    for (const [, value] of chunk) if (value !== null) values.push(value);
    const pointers = this.#vlog.append(values);
    let next = 0;
    for (const [key, value] of chunk) {
      const treeKey = docTreeKeyScratch(storeId, key); // the writer copies keys and values
      const old = writer.get(treeKey);
      if (old !== undefined && isPointer(old)) this.#vlog.markDead(decodePointer(old));
      if (value === null) writer.delete(treeKey);
      else writer.put(treeKey, encodePointerScratch(pointers[next++]));
    }
  }

  async #commit(writer: ReturnType<BTree["beginWrite"]>, checkpoint: Checkpoint): Promise<void> {
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
    const doomed = new Set(victims);
    const live: [Uint8Array, ValuePointer][] = [];
    for (const [treeKey, value] of this.#tree.cursor({ from: namespacePrefix(1) })) {
      if (!isPointer(value)) continue; // a secondary index entry
      const pointer = decodePointer(value);
      if (doomed.has(pointer.segment)) live.push([treeKey.slice(), pointer]);
    }
    const writer = this.#tree.beginWrite();
    try {
      for (let i = 0; i < live.length; i += CHUNK_ENTRIES) {
        const chunk = live.slice(i, i + CHUNK_ENTRIES);
        const pointers = this.#vlog.append(chunk.map(([, pointer]) => this.#vlog.read(pointer)));
        chunk.forEach(([treeKey], j) => writer.put(treeKey, encodePointerScratch(pointers[j])));
        result.movedEntries += chunk.length;
        await pause(this.#slowMs);
      }
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
    const id = pointer.segment * 4294967296 + pointer.offset;
    if (this.#cache.size > 0) {
      const cached = this.#cache.get(id);
      if (cached !== undefined) return cached;
    }
    const value = this.#vlog.read(pointer);
    if (fill && value.length * 4 <= this.#cacheBytesMax) {
      this.#cache.set(id, value);
      this.#cacheBytes += value.length;
      for (const [oldest, bytes] of this.#cache) {
        if (this.#cacheBytes <= this.#cacheBytesMax) break;
        this.#cache.delete(oldest);
        this.#cacheBytes -= bytes.length;
      }
    }
    return value;
  }
}
