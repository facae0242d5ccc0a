/**
 * The database: one data directory, its WAL, memtables, catalog and indexes. This file is its public
 * face; the work is done by the files beside it, one concern each, over one DatabaseState (state.ts):
 *   lifecycle.ts  open (recovery) and close          ddl.ts    stores and indexes created and dropped
 *   reads.ts      point reads, scans, stats           writes.ts the commit of one group (below)
 *   flush.ts      freezing and flushing memtables     gc.ts     value-log collection
 *   index_reads.ts reads of secondary indexes
 *
 * Write path (one synchronous turn, then an await; writes.ts):
 *   1. the caller's writes are resolved against committed state into a WriteSet (read-your-writes,
 *      stage_write.ts);
 *   2. the WAL appends them as one group with a commit marker (into the page cache);
 *   3. the memtable applies them at their LSNs (visible to readers from here on);
 *   4. in `sync` durability the caller awaits the group commit that covers the marker.
 * Because 1–3 run without an await, every write group is serializable with every other.
 *
 * Read path (reads.ts): active memtable → frozen memtables (newest first) → persistent tiers.
 *
 * Flush (flush.ts): when the active memtable passes `memtableBytes` it is frozen and written to the
 * tiers in the background; at most FROZEN_MEMTABLES_MAX wait for their flush; past that, writers wait
 * for the flush (backpressure).
 *
 * Data directory: LOCK, wal/<sequence>.wal, vlog/<sequence>.vlog, index.btree (docs/storage-format.md).
 */
import type { IndexField } from "../../protocol/query_document.ts";
import type { Key } from "../key.ts";
import type { AppendListener, Durability } from "../wal/wal.ts";
import type { FrameInput } from "../wal/format.ts";
import type { ChangeLog } from "../changes/change_log.ts";
import type { Retention } from "../changes/retention.ts";
import type { IndexDef, Indexes } from "../indexes/indexes.ts";
import type { StoreInfo } from "./catalog.ts";
import * as ddl from "./ddl.ts";
import { EMPTY } from "./apply_group.ts";
import type { FilePin } from "./file_pin.ts";
import { flush, pinFiles } from "./flush.ts";
import { gc } from "./gc.ts";
import * as indexReads from "./index_reads.ts";
import type { IndexRange } from "./index_reads.ts";
import { closeState, openState, planOpen } from "./lifecycle.ts";
import type { DatabaseOptions, DatabaseStats, ScanOptions } from "./options.ts";
import { indexSource, read, scan, stats } from "./reads.ts";
import type { RecoveryReport } from "./recovery.ts";
import { checkOpen, type DatabaseState } from "./state.ts";
import type { GcResult } from "./tiers.ts";
import { appendGroup, commitFrames } from "./writes.ts";
import { appendEncodedGroups } from "./append_encoded.ts";
import type { Group } from "../wal/reader.ts";
import { type ReadView, WriteSet } from "./write_set.ts";

export type { DatabaseOptions, DatabaseStats, ScanOptions } from "./options.ts";
export { FROZEN_MEMTABLES_MAX } from "./writes.ts";

/** Opens (creating if needed) the database in `dir`. */
export async function openDatabase(dir: string, options: DatabaseOptions = {}): Promise<Database> {
  const plan = await planOpen(dir, options);
  return new Database(dir, plan, options);
}

/** An open database. Create with `openDatabase`. */
export class Database implements ReadView {
  readonly dir: string;
  /** What recovery found when this database was opened. */
  readonly recovery: RecoveryReport;
  readonly #s: DatabaseState;

  /** @internal Use openDatabase. */
  constructor(dir: string, plan: Parameters<typeof openState>[1], options: DatabaseOptions) {
    this.dir = dir;
    const { state, recovery } = openState(dir, plan, options, this);
    this.#s = state;
    this.recovery = recovery;
  }

  /** Non-null while this database follows a primary (local writes fail with `not_leader` naming it). */
  get leader(): string | null {
    return this.#s.leader;
  }

  set leader(leader: string | null) {
    this.#s.leader = leader;
  }

  /** Receives each group appended to the WAL, as written (replication ships the bytes). */
  set onAppend(listener: AppendListener | undefined) {
    this.#s.wal.onAppend = listener;
  }

  /** @internal Appends and applies a group at the next LSNs without the leader check (engine/db/replicated.ts). */
  _appendReplicated(frames: FrameInput[]): number {
    checkOpen(this.#s);
    return appendGroup(this.#s, frames);
  }

  /** Replication: appends groups the primary encoded, as the same bytes (append_encoded.ts). */
  _appendEncoded(bytes: Uint8Array, groups: readonly Group[]): number {
    checkOpen(this.#s);
    return appendEncodedGroups(this.#s, bytes, groups);
  }

  /** Durability mode in effect. */
  get durability(): Durability {
    return this.#s.wal.durability;
  }

  // --- catalog and DDL (ddl.ts) ---

  /** Stores, sorted by name. */
  listStores(): StoreInfo[] {
    return this.#s.catalog.list();
  }

  hasStore(name: string): boolean {
    return this.#s.catalog.byName(name) !== undefined;
  }

  /** The catalog entry of `name`. @throws PlanckError `not_found` */
  storeInfo(name: string): StoreInfo {
    return this.#s.catalog.require(name);
  }

  /** Creates a store. @throws PlanckError `conflict` when it exists (unless ifNotExists). */
  createStore(name: string, options: { ifNotExists?: boolean; system?: boolean } = {}): Promise<boolean> {
    return ddl.createStore(this.#s, name, options);
  }

  /** Drops a store and all its documents. @throws PlanckError `not_found` (unless ifExists). */
  dropStore(name: string, options: { ifExists?: boolean } = {}): Promise<boolean> {
    return ddl.dropStore(this.#s, name, options);
  }

  /** Secondary indexes (of one store, or all), sorted by name. */
  listIndexes(store?: string): IndexDef[] {
    const storeId = store === undefined ? undefined : this.#s.catalog.require(store).id;
    return this.#s.indexes.list().filter((d) => storeId === undefined || d.storeId === storeId);
  }

  /** The index named `name`, or undefined. */
  indexInfo(name: string): IndexDef | undefined {
    return this.#s.indexes.byName(name);
  }

  /** Ready indexes of a store (the planner's choices). */
  indexesOf(storeId: number): IndexDef[] {
    return this.#s.indexes.forStore(storeId).filter((d) => d.state === "ready");
  }

  /** The index bookkeeping (entries, deltas) — for the write path and the planner. */
  get indexes(): Indexes {
    return this.#s.indexes;
  }

  /**
   * Creates a secondary index and backfills it from the store without blocking writes (writes
   * maintain it from the start); resolves when it is ready.
   * @throws PlanckError `conflict` (name taken, or a unique index finds a duplicate: the index is dropped)
   */
  createIndex(
    name: string,
    store: string,
    fields: IndexField[],
    options: { unique?: boolean; ifNotExists?: boolean } = {},
  ): Promise<IndexDef> {
    return ddl.createIndex(this.#s, name, store, fields, options);
  }

  /** Drops a secondary index. @throws PlanckError `not_found` (unless ifExists) */
  dropIndex(name: string, options: { ifExists?: boolean } = {}): Promise<boolean> {
    return ddl.dropIndex(this.#s, name, options);
  }

  // --- index reads (index_reads.ts) ---

  /** Live entries of index `indexId` in [from, to) (latin1 entry strings), merged across tiers. */
  indexScan(indexId: number, options: IndexRange & { reverse?: boolean } = {}): Generator<string> {
    return indexReads.indexScan(indexSource(this.#s), indexId, options);
  }

  /**
   * The live documents of store `storeId` named by the live entries of index `indexId` in [from, to), in
   * index order, as [key, document bytes] (engine/db/index_reads.ts).
   */
  indexDocuments(indexId: number, storeId: number, options: IndexRange = {}): Generator<[Key, Uint8Array]> {
    return indexReads.indexDocuments(indexSource(this.#s), indexId, storeId, options);
  }

  /** The raw documents `indexDocuments` yields, without their keys. */
  indexDocumentBytes(indexId: number, storeId: number, options: IndexRange = {}): Generator<Uint8Array> {
    return indexReads.indexDocumentBytes(indexSource(this.#s), indexId, storeId, options);
  }

  /** Number of live entries of index `indexId` in [from, to), read from no entry (engine/db/index_reads.ts). */
  countIndexEntries(indexId: number, options: IndexRange = {}): number {
    return indexReads.countIndexEntries(indexSource(this.#s), indexId, options);
  }

  /** @internal Adds backfilled index entries (not logged: derived from documents). */
  _addIndexEntries(indexId: number, entries: string[]): void {
    const lsn = Math.max(this.#s.wal.lastLsn, this.#s.active.lastLsn);
    for (const entry of entries) this.#s.active.apply(indexId, entry, lsn, EMPTY);
  }

  // --- writes (writes.ts) ---

  /** A new server-generated, time-ordered key. */
  newKey(): Key {
    return this.#s.keys.next();
  }

  /** A write set over the committed state (batches and transactions fill one, then `commit` it). */
  writeSet(): WriteSet {
    checkOpen(this.#s);
    return new WriteSet(this);
  }

  /**
   * Commits a write set as one atomic WAL group; resolves when it is durable (sync mode) or applied
   * (interval mode). Returns the group's commit LSN (0 when the set is empty).
   */
  async commit(writes: WriteSet): Promise<number> {
    checkOpen(this.#s);
    if (writes.size === 0) return 0;
    return await commitFrames(this.#s, writes.toFrames());
  }

  // --- reads (reads.ts) ---

  /** The live version of `key` in store `storeId`, or undefined. */
  read(storeId: number, key: Key): Uint8Array | undefined {
    return read(this.#s, storeId, key);
  }

  /** Live documents of one store in key order. */
  scan(storeId: number, options: ScanOptions = {}): IterableIterator<[Key, Uint8Array]> {
    return scan(this.#s, storeId, options);
  }

  /** Counters. */
  stats(): DatabaseStats {
    return stats(this.#s);
  }

  /** The last LSN written (visible). */
  get lastLsn(): number {
    return this.#s.wal.lastLsn;
  }

  /** The last LSN on stable storage. */
  get durableLsn(): number {
    return this.#s.wal.durableLsn;
  }

  /** Segments of the WAL, oldest first (change streams read them). */
  walSegments(): readonly { sequence: number; firstLsn: number; path: string }[] {
    return this.#s.wal.segments();
  }

  /** The change log (engine/changes/): committed groups for change streams. */
  get changes(): ChangeLog {
    return this.#s.changes;
  }

  /** The retention window of WAL segments for change streams. */
  get changesRetention(): Retention {
    return { ...this.#s.retention };
  }

  /** Resolves when every write up to `lsn` is durable. */
  waitDurable(lsn: number): Promise<void> {
    return this.#s.wal.waitDurable(lsn);
  }

  // --- durability, flush and GC (flush.ts, gc.ts) ---

  /** Makes every write so far durable. */
  async sync(): Promise<void> {
    checkOpen(this.#s);
    await this.#s.wal.sync();
  }

  /**
   * Freezes the active memtable and writes it to the persistent tiers; resolves when the
   * checkpoint covering every write so far is committed.
   */
  flush(): Promise<void> {
    return flush(this.#s);
  }

  /** Holds flushes, GC and WAL removal for an online backup (engine/db/file_pin.ts); writes go on. */
  pinFiles(): Promise<FilePin> {
    return pinFiles(this.#s);
  }

  /** Collects value-log segments at or above the dead ratio (GC_DEAD_RATIO_DEFAULT) or the given ones. */
  gc(options: { ratio?: number; segments?: number[] } = {}): Promise<GcResult> {
    return gc(this.#s, options);
  }

  // --- lifecycle (lifecycle.ts) ---

  /** Flushes, syncs the WAL, closes the files and releases the lock. Idempotent. */
  close(): Promise<void> {
    return closeState(this.#s);
  }

  get closed(): boolean {
    return this.#s.closed;
  }
}
