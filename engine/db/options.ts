/**
 * The options and counters of a Database (engine/db/database.ts), apart so the class file stays one idea.
 */
import type { FileSystem } from "../fs.ts";
import type { Key } from "../key.ts";
import type { SyncMethod } from "../wal/wal.ts";

/** Options of `openDatabase`. */
export interface DatabaseOptions {
  /** "sync" (default): a write resolves after its fdatasync. "interval:<ms>": synced within ms. */
  durability?: string;
  /** WAL segment size in bytes (default 64 MiB). */
  walSegmentBytes?: number;
  /** Memtable size that triggers a flush, in bytes (default 64 MiB). */
  memtableBytes?: number;
  /** WAL bytes since the last checkpoint that trigger a flush (default 2 MiB): bounds recovery time. */
  walCheckpointBytes?: number;
  /** Value-log segment size in bytes (default 64 MiB). */
  vlogSegmentBytes?: number;
  /** Document cache size in bytes (default 0: off; the value-log block cache serves warm reads). */
  docCacheBytes?: number;
  /** B+tree page cache size in bytes (default 64 MiB). */
  pageCacheBytes?: number;
  /** Copy WAL segments here before removing them after a checkpoint (replication, point-in-time). */
  walArchiveDir?: string;
  /** Receives each WAL segment before it is removed (the WAL archive); wins over walArchiveDir. */
  segmentSink?: (segment: { sequence: number; firstLsn: number; path: string }) => void;
  /** Dead-bytes ratio that triggers value-log GC after a flush (default 0.5; 0 disables). */
  gcDeadRatio?: number;
  /** Sleep between flush/GC chunks, in ms (crash tests widen the windows). Default PLANCK_SLOW_TIERS_MS or 0. */
  slowTiersMs?: number;
  /** Open despite a corrupt WAL: replay stops at the damage, which is moved aside and reported. */
  salvage?: boolean;
  /** Zeros kept written ahead of the WAL's append offset, in bytes (default 1 MiB; 0 = off). */
  walPreallocateBytes?: number;
  /** Where fdatasync runs: "inline" (default, lowest latency) or "async" (thread pool). */
  syncMethod?: SyncMethod;
  /**
   * How long WAL segments stay after the checkpoint so change streams can resume from older LSNs
   * (`changes.retention`; engine/changes/retention.ts). Defaults: 256 MiB and 24 h.
   */
  changesRetention?: { bytes?: number; ageMs?: number };
  /** File access for the WAL, the value log and the B+tree (tests inject faults: engine/fs.ts). */
  fs?: FileSystem;
  /**
   * While `on`, change streams hand out a group once it is written to the WAL, not once fsynced.
   * Only for replicas: each group they hold is durable on their primary, and after a crash a replica
   * fetches what its own WAL lost again, identical and at the same LSNs, so no consumer sees a write
   * undone. The caller keeps the object and sets `on` to false when it promotes the replica (before
   * the first write of its own).
   */
  changesAtWrite?: { on: boolean };
}

/** Range scan options. `from` is inclusive, `to` exclusive. */
export interface ScanOptions {
  from?: Key;
  to?: Key;
  reverse?: boolean;
  limit?: number;
}

/** Counters for status pages and benchmarks. */
export interface DatabaseStats {
  lastLsn: number;
  durableLsn: number;
  syncs: number;
  memtableBytes: number;
  frozenMemtables: number;
  walSegments: number;
  /** The oldest LSN change streams can still resume from (minus one): engine/changes/. */
  changesOldestLsn: number;
  stores: number;
  flushes: number;
  tiers: Record<string, number>;
}

/** The environment variable `name`, or `fallback` when unset or when env access is not permitted. */
export function envOr(name: string, fallback: string): string {
  try {
    return Deno.env.get(name) ?? fallback;
  } catch {
    return fallback;
  }
}
