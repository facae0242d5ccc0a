/**
 * The state of one open database, shared by the files that make up `Database` (database.ts is the
 * public face; lifecycle.ts opens and closes, ddl.ts changes the catalog, reads.ts reads, writes.ts
 * commits, flush.ts freezes and flushes memtables, gc.ts collects the value log). Internal to
 * engine/db/: nothing outside the folder sees it.
 *
 * Invariants: `active` is the only memtable that takes writes; `frozen` holds frozen memtables
 * oldest first, each immutable until its flush removes it; `closed` only goes false → true; once
 * `flushError` is set every write and flush fails with it.
 */
import { PlanckError } from "../../protocol/errors.ts";
import { KeyGenerator } from "../key.ts";
import { MEMTABLE_BYTES_DEFAULT, WAL_CHECKPOINT_BYTES_DEFAULT } from "../limits.ts";
import { Memtable } from "../memtable/memtable.ts";
import type { Wal } from "../wal/wal.ts";
import type { ChangeLog } from "../changes/change_log.ts";
import { resolveRetention, type Retention } from "../changes/retention.ts";
import { type IndexDef, Indexes } from "../indexes/indexes.ts";
import type { ApplyTarget } from "./apply_group.ts";
import { copyTo } from "./archive_copy.ts";
import { Catalog } from "./catalog.ts";
import type { DirLock } from "./dir_lock.ts";
import type { FilePins } from "./file_pin.ts";
import type { DatabaseOptions } from "./options.ts";
import type { Tiers } from "./tiers.ts";
import type { SegmentSink } from "./wal_prune.ts";

/** Everything an open database holds. Fields are set once at open unless marked as changing. */
export class DatabaseState {
  readonly catalog = new Catalog();
  readonly indexes = new Indexes();
  /** Backfills running, by index id. */
  readonly backfills = new Map<number, Promise<void>>();
  readonly keys = new KeyGenerator();
  readonly memtableBytes: number;
  readonly walCheckpointBytes: number;
  readonly retention: Retention;
  /** Receives segments before removal (the WAL archive). */
  readonly segmentSink: SegmentSink | undefined;
  /** File pins of online backups (set at open: pinning freezes the active memtable, flush.ts). */
  pins!: FilePins;
  /** Changes at each freeze. */
  active = new Memtable();
  readonly frozen: Memtable[] = [];
  /** Stores and indexes dropped since the last freeze: the next flush deletes their tree ranges. */
  readonly dropped = new Set<number>();
  /** What applyGroup changes (set at open). */
  applyTarget!: ApplyTarget;
  /** The WAL (set at open, after recovery replayed it). */
  wal!: Wal;
  /** The change log (set at open, over the WAL). */
  changes!: ChangeLog;
  /** The chain of flushes: each waits for the one before. */
  flushing: Promise<void> = Promise.resolve();
  flushes = 0;
  walBytesAtFreeze = 0;
  flushError: unknown = null;
  closed = false;
  /** Segments with a lower sequence are wholly below the checkpoint: recovery no longer needs them. */
  reclaimableBefore = 0;
  /** Non-null while this database follows a primary. */
  leader: string | null = null;
  /** Starts the backfill of an index (set at open: the backfill reads through the Database). */
  startBackfill!: (def: IndexDef) => void;

  /** The value log and the B+tree file (set at open, right after the options are checked). */
  tiers!: Tiers;

  constructor(readonly dir: string, readonly lock: DirLock, readonly options: DatabaseOptions) {
    this.memtableBytes = options.memtableBytes ?? MEMTABLE_BYTES_DEFAULT;
    this.walCheckpointBytes = options.walCheckpointBytes ?? WAL_CHECKPOINT_BYTES_DEFAULT;
    this.retention = resolveRetention(options.changesRetention);
    this.segmentSink = options.segmentSink ?? copyTo(options.walArchiveDir);
  }
}

/** Rethrows a failed flush as a PlanckError (every write fails once a flush failed). */
export function throwFlushError(s: DatabaseState): void {
  if (s.flushError === null) return;
  const error = s.flushError;
  if (error instanceof PlanckError) throw error;
  throw new PlanckError("internal", `Flush failed: ${(error as Error)?.message ?? error}`, {}, {
    cause: error,
  });
}

/** @throws PlanckError `unavailable` once closed; the flush error once a flush failed */
export function checkOpen(s: DatabaseState): void {
  if (s.closed) throw new PlanckError("unavailable", `The database "${s.dir}" is closed`);
  throwFlushError(s);
}
