/**
 * Every bound the engine enforces, with its unit and reason. Config may lower or raise the
 * tunable ones within the checked relations at the bottom of this file.
 */
import { assert } from "./assert.ts";

const KiB = 1024;
const MiB = 1024 * KiB;

/** Largest BSON document accepted, in bytes (MongoDB's limit: big enough for any sane document). */
export const DOC_BYTES_MAX = 16 * MiB;
/**
 * Deepest nesting of embedded documents and arrays inside a stored document (MongoDB's bound):
 * decoding, sorting and indexing recurse once per level, so this keeps them far from the stack's end.
 */
export const DOC_DEPTH_MAX = 100;
/** Largest atomic write group (batch, transaction) in bytes of WAL frames: one group fits one segment. */
export const GROUP_BYTES_MAX = 48 * MiB;
/** Most operations in one atomic write group. */
export const GROUP_OPS_MAX = 100_000;
/** WAL segment size at which the log rotates to a new segment, in bytes. */
export const WAL_SEGMENT_BYTES_DEFAULT = 64 * MiB;
/**
 * Zeros written ahead of the WAL append offset when preallocation is on (`walPreallocateBytes`), in
 * bytes, so commits overwrite blocks instead of growing the file.
 */
export const WAL_PREALLOCATE_BYTES = 1 * MiB;
/**
 * Retired WAL segments kept as spares (renamed `<sequence>.spare`) for the next rotations to reuse:
 * a reused segment's blocks are already allocated and written, so its commits overwrite them.
 */
export const WAL_SPARE_SEGMENTS_MAX = 2;
/**
 * WAL bytes after which the memtable is flushed even if it is not full, so that recovery after a
 * crash replays at most this much (the bound behind "recovery after SIGKILL ≤ 200 ms").
 */
export const WAL_CHECKPOINT_BYTES_DEFAULT = 1 * MiB;
/** Smallest configurable WAL segment (tests use small segments to force rotation). */
export const WAL_SEGMENT_BYTES_MIN = 64 * KiB;
/** Memtable size at which it is frozen and flushed, in bytes of keys + values + overhead. */
export const MEMTABLE_BYTES_DEFAULT = 64 * MiB;
/**
 * Change-stream retention: WAL segments below the checkpoint are kept while the WAL on disk stays
 * within this many bytes (so watchers can resume from older LSNs)...
 */
export const CHANGES_RETENTION_BYTES_DEFAULT = 256 * MiB;
/** ...and while they are younger than this many milliseconds (24 h). Either bound removes a segment. */
export const CHANGES_RETENTION_AGE_MS_DEFAULT = 24 * 60 * 60 * 1000;
/** Most change events the in-memory tail holds (older ones are read back from the WAL). */
export const CHANGES_TAIL_EVENTS_MAX = 65_536;
/** Most bytes of documents the in-memory tail holds. */
export const CHANGES_TAIL_BYTES_MAX = 32 * MiB;
/** Most bytes of recent WAL groups kept in memory for replicas (older ones are read back from segments). */
export const REPLICATION_TAIL_BYTES_MAX = 16 * MiB;
/** Longest store name, in bytes. */
export const STORE_NAME_BYTES_MAX = 64;
/** Most stores in one database. */
export const STORES_MAX = 10_000;
/**
 * Most rows one read returns: a find's page, a Store or wire `scan`, the documents a watch reads to
 * start. One number on every path (larger reads page with `after` / `from`); the wire frame limit
 * still bounds a response's bytes. Also the default of a Store scan without a limit.
 */
export const SCAN_ROWS_MAX = 1_000_000;
/**
 * Dead fraction of a value-log segment past which the GC after a flush rewrites it (option
 * `gcDeadRatio`; 0 turns that GC off). Half: a rewrite then copies at most as many bytes as it frees.
 */
export const GC_DEAD_RATIO_DEFAULT = 0.5;
/** Longest interval of the `interval:<ms>` durability mode, in milliseconds. */
export const SYNC_INTERVAL_MS_MAX = 10_000;

// Relations between limits, checked at module load (TigerStyle: limits are checked like types).
assert(GROUP_BYTES_MAX >= 2 * DOC_BYTES_MAX, "a group holds at least two maximal documents");
assert(WAL_SEGMENT_BYTES_DEFAULT > GROUP_BYTES_MAX, "a maximal group fits one default segment");
assert(WAL_SEGMENT_BYTES_MIN < WAL_SEGMENT_BYTES_DEFAULT, "the minimum segment is below the default");
