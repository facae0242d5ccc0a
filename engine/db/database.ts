/**
 * The database: one data directory, its WAL, memtables and catalog, and the write and read paths.
 *
 * Write path (one synchronous turn, then an await):
 *   1. the caller's writes are resolved against committed state into a WriteSet (read-your-writes);
 *   2. the WAL appends them as one group with a commit marker (into the page cache);
 *   3. the memtable applies them at their LSNs (visible to readers from here on);
 *   4. in `sync` durability the caller awaits the group commit that covers the marker.
 * Because 1–3 run without an await, every write group is serializable with every other.
 *
 * Read path: active memtable → frozen memtables (newest first) → persistent tiers.
 *
 * Flush: when the active memtable passes `memtableBytes` it is frozen (a new one takes writes, the
 * WAL rotates) and written to the tiers in the background; the tiers' commit records the checkpoint
 * LSN; WAL segments wholly below it are then kept for change streams within the retention window
 * (engine/changes/retention.ts) and removed (or archived) past it. At most FROZEN_MEMTABLES_MAX
 * wait for their flush; past that, writers wait for the flush (backpressure).
 *
 * Data directory: LOCK, wal/<sequence>.wal, vlog/<sequence>.vlog, index.btree (docs/storage-format.md).
 */
import { Catalog, type StoreInfo, validateStoreName } from "./catalog.ts";
import { type DirLock, lockDir } from "./dir_lock.ts";
import { PlanckError } from "../../protocol/errors.ts";
import { type Key, KeyGenerator } from "../key.ts";
import {
  GC_DEAD_RATIO_DEFAULT,
  MEMTABLE_BYTES_DEFAULT,
  WAL_CHECKPOINT_BYTES_DEFAULT,
  WAL_SEGMENT_BYTES_DEFAULT,
  WAL_SEGMENT_BYTES_MIN,
} from "../limits.ts";
import { Memtable } from "../memtable/memtable.ts";
import { mergeNewest, type Version } from "./merge.ts";
import { reclaimableBefore, recoverWal, type RecoveryReport } from "./recovery.ts";
import { type AppendListener, type Durability, parseDurability, Wal } from "../wal/wal.ts";
import { type FrameInput, FrameKind } from "../wal/format.ts";
import { copyTo } from "./archive_copy.ts";
import { type ReadView, WriteSet } from "./write_set.ts";
import { type DatabaseOptions, type DatabaseStats, envOr, type ScanOptions } from "./options.ts";
import { type FilePin, FilePins } from "./file_pin.ts";
import { type Transaction, transaction } from "./transaction.ts";
import { limitIterator, versions } from "./iterators.ts";
import { applyGroup, type ApplyTarget, EMPTY, type GroupFrames, hexKeyOf } from "./apply_group.ts";
import { ChangeLog } from "../changes/change_log.ts";
import { resolveRetention, type Retention } from "../changes/retention.ts";
import { pruneWal, type SegmentSink } from "./wal_prune.ts";
import { notLeader } from "./not_leader.ts";

export type { DatabaseOptions, DatabaseStats, ScanOptions } from "./options.ts";
import { type GcResult, Tiers } from "./tiers.ts";
import { encodeIndexDef, type IndexDef, Indexes } from "../indexes/indexes.ts";
import { backfillIndex, validateIndexSpec } from "../indexes/backfill.ts";
import * as indexReads from "../indexes/reads.ts";
import type { IndexRange } from "../indexes/reads.ts";
import type { IndexField } from "../../protocol/query_document.ts";

/** Frozen memtables that may wait for their flush before writers are held back. */
export const FROZEN_MEMTABLES_MAX = 2;

/** Opens (creating if needed) the database in `dir`. */
export async function openDatabase(dir: string, options: DatabaseOptions = {}): Promise<Database> {
  const durability = parseDurability(options.durability ?? "sync");
  const segmentBytes = options.walSegmentBytes ?? WAL_SEGMENT_BYTES_DEFAULT;
  if (!Number.isInteger(segmentBytes) || segmentBytes < WAL_SEGMENT_BYTES_MIN) {
    const message = `Invalid walSegmentBytes ${segmentBytes}: at least ${WAL_SEGMENT_BYTES_MIN}`;
    throw new PlanckError("invalid_argument", message, { field: "walSegmentBytes" });
  }
  await Deno.mkdir(`${dir}/wal`, { recursive: true });
  const lock = lockDir(dir);
  try {
    return new Database(dir, lock, durability, segmentBytes, options);
  } catch (error) {
    lock.release();
    throw error;
  }
}

/** An open database. Create with `openDatabase`. */
export class Database implements ReadView {
  readonly dir: string;
  /** What recovery found when this database was opened. */
  readonly recovery: RecoveryReport;
  readonly #lock: DirLock;
  readonly #wal: Wal;
  readonly #catalog = new Catalog();
  readonly #indexes = new Indexes();
  readonly #backfills = new Map<number, Promise<void>>();
  readonly #keys = new KeyGenerator();
  readonly #memtableBytes: number;
  readonly #tiers: Tiers;
  readonly #options: DatabaseOptions;
  #active = new Memtable();
  readonly #frozen: Memtable[] = [];
  /** Stores dropped since the last freeze: the next flush deletes their tree ranges. */
  readonly #dropped = new Set<number>();
  /** What applyGroup changes: the live memtable (it changes at each freeze) and the shared state. */
  readonly #applyTarget: ApplyTarget = {
    indexes: this.#indexes,
    catalog: this.#catalog,
    dropped: this.#dropped,
    active: () => this.#active,
    read: (storeId, key) => this.read(storeId, key),
    startBackfill: (def) => this.#startBackfill(def),
  };
  #flushing: Promise<void> = Promise.resolve();
  #flushes = 0;
  #walBytesAtFreeze = 0;
  readonly #walCheckpointBytes: number;
  #flushError: unknown = null;
  #closed = false;
  readonly #changes: ChangeLog;
  readonly #retention: Retention;
  /** Segments with a lower sequence are wholly below the checkpoint: recovery no longer needs them. */
  #reclaimableBefore = 0;
  readonly #segmentSink: SegmentSink | undefined; // receives segments before removal (the WAL archive)
  readonly #pins = new FilePins(() => (this.#active.firstLsn > 0 && this.#freeze(), [...this.#frozen]));

  /** @internal Use openDatabase. */
  constructor(
    dir: string,
    lock: DirLock,
    durability: Durability,
    segmentBytes: number,
    options: DatabaseOptions,
  ) {
    this.dir = dir;
    this.#lock = lock;
    this.#memtableBytes = options.memtableBytes ?? MEMTABLE_BYTES_DEFAULT;
    this.#options = options;
    this.#walCheckpointBytes = options.walCheckpointBytes ?? WAL_CHECKPOINT_BYTES_DEFAULT;
    this.#retention = resolveRetention(options.changesRetention);
    this.#segmentSink = options.segmentSink ?? copyTo(options.walArchiveDir);
    this.#tiers = new Tiers(dir, {
      ...options, // docCacheBytes, pageCacheBytes, vlogSegmentBytes and fs have the same names there
      slowMs: options.slowTiersMs ?? Number(envOr("PLANCK_SLOW_TIERS_MS", "0")),
      vlogSegmentBytes: options.vlogSegmentBytes ??
        (Number(envOr("PLANCK_VLOG_SEGMENT_BYTES", "0")) || undefined),
    });
    for (const store of this.#tiers.stores()) this.#catalog.add(store);
    for (const def of this.#tiers.indexes()) this.#indexes.add(def);
    this.#catalog.reserve(this.#tiers.checkpoint.nextId);
    const recovered = recoverWal(`${dir}/wal`, {
      checkpointLsn: this.#tiers.checkpoint.lsn,
      salvage: options.salvage === true,
      apply: (group) => this.#applyGroup(group.frames, group.frames.length > 0 ? group.frames[0].lsn : 0),
    });
    this.recovery = recovered.report;
    this.#wal = new Wal({
      dir: `${dir}/wal`,
      segmentBytes,
      durability,
      fs: options.fs,
      syncMethod: options.syncMethod,
      preallocateBytes: options.walPreallocateBytes,
      segments: recovered.segments,
      activeBytes: recovered.activeBytes,
      lastLsn: recovered.lastLsn,
    });
    const wal = this.#wal;
    this.#changes = new ChangeLog({
      segments: () => wal.segments(),
      durableLsn: () => options.changesAtWrite?.on ? wal.lastLsn : wal.durableLsn,
      lastLsn: () => wal.lastLsn,
      waitDurable: (lsn) => options.changesAtWrite?.on ? Promise.resolve() : wal.waitDurable(lsn),
    });
    this.#reclaimableBefore = reclaimableBefore(this.#wal.segments(), this.#tiers.checkpoint.lsn);
    this.#pruneWal();
    for (const def of this.#indexes.list()) {
      if (def.state === "building" && !this.#backfills.has(def.id)) this.#startBackfill(def);
    }
  }

  /** Non-null while this database follows a primary (local writes fail with `not_leader` naming it). */
  leader: string | null = null;
  /** Receives each group appended to the WAL, as written (replication ships the bytes). */
  set onAppend(listener: AppendListener | undefined) {
    this.#wal.onAppend = listener;
  }

  /** @internal Appends and applies a group at the next LSNs without the leader check (engine/db/replicated.ts). */
  _appendReplicated(frames: FrameInput[]): number {
    this.#checkOpen();
    return this.#appendGroup(frames);
  }

  /** Durability mode in effect. */
  get durability(): Durability {
    return this.#wal.durability;
  }

  /** Stores, sorted by name. */
  listStores(): StoreInfo[] {
    return this.#catalog.list();
  }

  hasStore(name: string): boolean {
    return this.#catalog.byName(name) !== undefined;
  }

  /** The catalog entry of `name`. @throws PlanckError `not_found` */
  storeInfo(name: string): StoreInfo {
    return this.#catalog.require(name);
  }

  /** Creates a store. @throws PlanckError `conflict` when it exists (unless ifNotExists). */
  async createStore(
    name: string,
    options: { ifNotExists?: boolean; system?: boolean } = {},
  ): Promise<boolean> {
    this.#checkOpen();
    validateStoreName(name, options);
    if (options.ifNotExists === true && this.#catalog.byName(name) !== undefined) return false;
    this.#catalog.checkCreate(name);
    const frame: FrameInput = {
      kind: FrameKind.createStore,
      storeId: this.#catalog.nextId,
      value: new TextEncoder().encode(name),
    };
    await this.#commitFrames([frame]);
    return true;
  }

  /** Drops a store and all its documents. @throws PlanckError `not_found` (unless ifExists). */
  async dropStore(name: string, options: { ifExists?: boolean } = {}): Promise<boolean> {
    this.#checkOpen();
    const info = this.#catalog.byName(name);
    if (info === undefined) {
      if (options.ifExists === true) return false;
      this.#catalog.require(name);
    }
    await this.#commitFrames([{ kind: FrameKind.dropStore, storeId: info!.id }]);
    return true;
  }

  /** Secondary indexes (of one store, or all), sorted by name. */
  listIndexes(store?: string): IndexDef[] {
    const storeId = store === undefined ? undefined : this.#catalog.require(store).id;
    return this.#indexes.list().filter((d) => storeId === undefined || d.storeId === storeId);
  }

  /** The index named `name`, or undefined. */
  indexInfo(name: string): IndexDef | undefined {
    return this.#indexes.byName(name);
  }

  /** Ready indexes of a store (the planner's choices). */
  indexesOf(storeId: number): IndexDef[] {
    return this.#indexes.forStore(storeId).filter((d) => d.state === "ready");
  }

  /** The index bookkeeping (entries, deltas) — for the write path and the planner. */
  get indexes(): Indexes {
    return this.#indexes;
  }

  /**
   * Creates a secondary index and backfills it from the store without blocking writes (writes
   * maintain it from the start); resolves when it is ready.
   * @throws PlanckError `conflict` (name taken, or a unique index finds a duplicate: the index is dropped)
   */
  async createIndex(
    name: string,
    store: string,
    fields: IndexField[],
    options: { unique?: boolean; ifNotExists?: boolean } = {},
  ): Promise<IndexDef> {
    this.#checkOpen();
    const existing = this.#indexes.byName(name);
    if (existing !== undefined && options.ifNotExists === true) return existing;
    const info = this.#catalog.require(store);
    validateIndexSpec(name, fields, existing !== undefined || this.#catalog.byName(name) !== undefined);
    const def: IndexDef = {
      id: this.#catalog.nextId,
      name,
      storeId: info.id,
      fields: fields.map((f) => ({ path: f.path, direction: f.direction })),
      unique: options.unique === true,
      state: "building",
      multikey: false,
    };
    this.#catalog.reserve(def.id + 1);
    // The frame is applied (and the backfill started) before #commitFrames first awaits.
    const committed = this.#commitFrames([{
      kind: FrameKind.createIndex,
      storeId: def.id,
      value: encodeIndexDef(def),
    }]);
    const backfill = this.#backfills.get(def.id);
    await committed;
    try {
      await backfill;
    } catch (error) {
      if (this.#indexes.byId(def.id) !== undefined) await this.dropIndex(name, { ifExists: true });
      throw error;
    }
    return this.#indexes.byId(def.id) ?? def;
  }

  /** Drops a secondary index. @throws PlanckError `not_found` (unless ifExists) */
  async dropIndex(name: string, options: { ifExists?: boolean } = {}): Promise<boolean> {
    this.#checkOpen();
    const def = this.#indexes.byName(name);
    if (def === undefined) {
      if (options.ifExists === true) return false;
      throw new PlanckError("not_found", `Unknown index "${name}"`, { field: "index" });
    }
    await this.#commitFrames([{ kind: FrameKind.dropIndex, storeId: def.id }]);
    return true;
  }

  /** Live entries of index `indexId` in [from, to) (latin1 entry strings), merged across tiers. */
  indexScan(indexId: number, options: IndexRange & { reverse?: boolean } = {}): Generator<string> {
    return indexReads.indexScan(this.#indexSource(), indexId, options);
  }

  /**
   * The live documents of store `storeId` named by the live entries of index `indexId` in [from, to), in
   * index order, as [key, document bytes] (engine/indexes/reads.ts).
   */
  indexDocuments(indexId: number, storeId: number, options: IndexRange = {}): Generator<[Key, Uint8Array]> {
    return indexReads.indexDocuments(this.#indexSource(), indexId, storeId, options);
  }

  /** The raw documents `indexDocuments` yields, without their keys. */
  indexDocumentBytes(indexId: number, storeId: number, options: IndexRange = {}): Generator<Uint8Array> {
    return indexReads.indexDocumentBytes(this.#indexSource(), indexId, storeId, options);
  }

  /** Number of live entries of index `indexId` in [from, to), read from no entry (engine/indexes/reads.ts). */
  countIndexEntries(indexId: number, options: IndexRange = {}): number {
    return indexReads.countIndexEntries(this.#indexSource(), indexId, options);
  }

  #indexSource(): indexReads.IndexReadSource {
    return { memtables: [this.#active, ...[...this.#frozen].reverse()], tiers: this.#tiers, db: this };
  }

  /** @internal Adds backfilled index entries (not logged: derived from documents). */
  _addIndexEntries(indexId: number, entries: string[]): void {
    const lsn = Math.max(this.#wal.lastLsn, this.#active.lastLsn);
    for (const entry of entries) this.#active.apply(indexId, entry, lsn, EMPTY);
  }

  #startBackfill(def: IndexDef): void {
    const run = backfillIndex(this, def).then(() => {
      def.state = "ready";
    });
    this.#backfills.set(def.id, run);
    run.catch(() => {}).finally(() => this.#backfills.delete(def.id));
  }

  /** A new server-generated, time-ordered key. */
  newKey(): Key {
    return this.#keys.next();
  }

  /**
   * Runs `fn` as one transaction (serializable, read-your-writes, one WAL group, rolled back on throw;
   * docs/transactions.md). The same as `transaction(db, fn)`.
   */
  transaction<T>(fn: (tx: Transaction) => T | Promise<T>): Promise<T> {
    return transaction(this, fn);
  }

  /** A write set over the committed state (batches and transactions fill one, then `commit` it). */
  writeSet(): WriteSet {
    this.#checkOpen();
    return new WriteSet(this);
  }

  /**
   * Commits a write set as one atomic WAL group; resolves when it is durable (sync mode) or applied
   * (interval mode). Returns the group's commit LSN (0 when the set is empty).
   */
  async commit(writes: WriteSet): Promise<number> {
    this.#checkOpen();
    if (writes.size === 0) return 0;
    return await this.#commitFrames(writes.toFrames());
  }

  /** The live version of `key` in store `storeId`, or undefined. */
  read(storeId: number, key: Key): Uint8Array | undefined {
    const entry = this.#active.get(storeId, key);
    if (entry !== undefined) return entry.value ?? undefined;
    for (let i = this.#frozen.length - 1; i >= 0; i--) {
      const older = this.#frozen[i].get(storeId, key);
      if (older !== undefined) return older.value ?? undefined;
    }
    return this.#tiers.read(storeId, key);
  }

  /** Live documents of one store in key order. */
  scan(storeId: number, options: ScanOptions = {}): Generator<[Key, Uint8Array]> {
    const reverse = options.reverse === true;
    const sources: Iterator<[string, Version]>[] = [this.#active, ...[...this.#frozen].reverse()].map((m) =>
      versions(m.entries(storeId, options.from, options.to, reverse))
    );
    sources.push(this.#tiers.entries(storeId, options.from, options.to, reverse));
    return limitIterator(mergeNewest(sources, reverse), options.limit);
  }

  /** Counters. */
  stats(): DatabaseStats {
    return {
      lastLsn: this.#wal.lastLsn,
      durableLsn: this.#wal.durableLsn,
      syncs: this.#wal.syncs,
      memtableBytes: this.#active.bytes,
      frozenMemtables: this.#frozen.length,
      walSegments: this.#wal.segments().length,
      changesOldestLsn: this.#changes.oldestLsn,
      stores: this.#catalog.list().length,
      flushes: this.#flushes,
      tiers: this.#tiers.stats(),
    };
  }

  /** The last LSN written (visible). */
  get lastLsn(): number {
    return this.#wal.lastLsn;
  }

  /** The last LSN on stable storage. */
  get durableLsn(): number {
    return this.#wal.durableLsn;
  }

  /** Segments of the WAL, oldest first (change streams read them). */
  walSegments(): readonly { sequence: number; firstLsn: number; path: string }[] {
    return this.#wal.segments();
  }

  /** The change log (engine/changes/): committed groups for change streams. */
  get changes(): ChangeLog {
    return this.#changes;
  }

  /** The retention window of WAL segments for change streams. */
  get changesRetention(): Retention {
    return { ...this.#retention };
  }

  /** Resolves when every write up to `lsn` is durable. */
  waitDurable(lsn: number): Promise<void> {
    return this.#wal.waitDurable(lsn);
  }

  /** Makes every write so far durable. */
  async sync(): Promise<void> {
    this.#checkOpen();
    await this.#wal.sync();
  }

  /**
   * Freezes the active memtable and writes it to the persistent tiers; resolves when the
   * checkpoint covering every write so far is committed.
   */
  async flush(): Promise<void> {
    this.#checkOpen();
    if (this.#wal.lastLsn > this.#tiers.checkpoint.lsn) this.#freeze();
    await this.#flushing;
    this.#throwFlushError();
  }

  /** Holds flushes, GC and WAL removal for an online backup (engine/db/file_pin.ts); writes go on. */
  pinFiles(): Promise<FilePin> {
    this.#checkOpen();
    return this.#pins.pin(this.#wal, this.#tiers, this.#catalog, () => this.#closed || this.#pruneWal());
  }

  /** Collects value-log segments at or above the dead ratio (default 0.5) or the given ones. */
  gc(options: { ratio?: number; segments?: number[] } = {}): Promise<GcResult> {
    this.#checkOpen();
    return this.#tiers.gc(options);
  }

  /** Flushes, syncs the WAL, closes the files and releases the lock. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    try {
      await this.#wal.sync().catch(() => {});
      const healthy = this.#flushError === null && this.#wal.failure === null;
      if (healthy && this.#wal.lastLsn > this.#tiers.checkpoint.lsn) this.#freeze();
      await this.#flushing;
      await this.#tiers.idle();
    } finally {
      this.#closed = true;
      this.#changes.close();
      await Promise.allSettled([...this.#backfills.values()]);
      try {
        await this.#wal.close();
        await this.#tiers.close();
      } finally {
        this.#lock.release();
      }
    }
  }

  #freeze(): void {
    this.#walBytesAtFreeze = this.#wal.appendedBytes;
    const memtable = this.#active;
    memtable.freeze();
    this.#frozen.push(memtable);
    this.#active = new Memtable();
    this.#wal.rotate();
    const segments = this.#wal.segments();
    const keepFrom = segments[segments.length - 1].sequence;
    const input = {
      memtable,
      lsn: this.#wal.lastLsn,
      stores: this.#catalog.list(),
      indexes: this.#indexes.list().map((d) => ({ ...d })),
      nextId: this.#catalog.nextId,
      dropped: [...this.#dropped],
    };
    this.#dropped.clear();
    this.#flushing = this.#flushing.then(async () => {
      if (this.#flushError !== null) return;
      try {
        await this.#wal.waitDurable(input.lsn); // the checkpoint never runs ahead of the log
        await this.#tiers.flush(input);
        this.#flushes++;
        this.#frozen.splice(this.#frozen.indexOf(memtable), 1);
        this.#reclaimableBefore = Math.max(this.#reclaimableBefore, keepFrom);
        this.#pruneWal();
        const ratio = this.#options.gcDeadRatio ?? GC_DEAD_RATIO_DEFAULT;
        if (ratio > 0) await this.#tiers.gc({ ratio });
      } catch (error) {
        this.#flushError = error; // the frozen memtable stays readable; writes now fail
      }
    });
  }

  /** Removes (after archiving) the oldest segments recovery no longer needs that are past the retention window. */
  #pruneWal(): void {
    if (this.#pins.held) return; // an online backup is copying them
    pruneWal(this.#wal, this.#reclaimableBefore, this.#retention, this.#segmentSink);
  }

  #throwFlushError(): void {
    if (this.#flushError === null) return;
    const error = this.#flushError;
    if (error instanceof PlanckError) throw error;
    throw new PlanckError("internal", `Flush failed: ${(error as Error)?.message ?? error}`, {}, {
      cause: error,
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  #checkOpen(): void {
    if (this.#closed) throw new PlanckError("unavailable", `The database "${this.dir}" is closed`);
    this.#throwFlushError();
  }

  async #commitFrames(frames: FrameInput[]): Promise<number> {
    if (this.leader !== null) throw notLeader(this.leader);
    this.#markInserts(frames);
    const lastLsn = this.#appendGroup(frames);
    if (this.#wal.durability.mode === "sync") await this.#wal.waitDurable(lastLsn);
    // Backpressure: too many memtables wait for their flush, so this writer waits too.
    while (this.#frozen.length > FROZEN_MEMTABLES_MAX && this.#flushError === null) await this.#flushing;
    return lastLsn;
  }

  /** Steps 2–3 of the write path: append one group, apply it, record it for change streams. */
  #appendGroup(frames: FrameInput[]): number {
    const { firstLsn, lastLsn } = this.#wal.append(frames);
    this.#applyGroup(frames, firstLsn);
    this.#changes.recordFrames(frames, firstLsn, lastLsn);
    // The WAL bound (recovery time) freezes only when no flush is waiting: under a write burst the
    // memtable size alone paces flushes, so writers are never held back to shorten recovery.
    const walBytes = this.#wal.appendedBytes - this.#walBytesAtFreeze;
    const walFull = walBytes >= this.#walCheckpointBytes && this.#frozen.length === 0;
    if (this.#active.bytes >= this.#memtableBytes || walFull) this.#freeze();
    return lastLsn;
  }

  /**
   * Writes a put whose key has no live version as `insert` (change streams read insert versus update
   * from the kind; replay then skips the lookup) and keeps the previous version for index deltas.
   */
  #markInserts(frames: FrameInput[]): void {
    for (const frame of frames) {
      if (frame.kind !== FrameKind.put && frame.kind !== FrameKind.delete) continue;
      const before = this.read(frame.storeId, hexKeyOf(frame));
      if (before !== undefined) frame.before = before;
      else if (frame.kind === FrameKind.put) frame.kind = FrameKind.insert;
    }
  }

  /** Applies one committed group to the memtable, indexes and catalog (commit, recovery, replication). */
  #applyGroup(frames: GroupFrames, firstLsn: number): void {
    applyGroup(this.#applyTarget, frames, firstLsn);
  }
}
