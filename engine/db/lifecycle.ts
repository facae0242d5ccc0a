/**
 * Opening and closing a database. Open: lock the directory, open the tiers (value log and B+tree
 * file), load the catalog and index definitions from their checkpoint, replay the WAL above the
 * checkpoint into the memtable (recovery.ts), open the WAL for appends and the change log over it,
 * prune segments recovery no longer needs and restart backfills of indexes still building. Close:
 * sync the WAL, flush what a healthy database has in memory, wait for background work, close the
 * files, release the lock.
 *
 * Invariants: recovery applies groups through the same applyGroup as commits; the lock is held from
 * before the first file is opened until after the last one is closed; close is idempotent.
 */
import { PlanckError } from "../../protocol/errors.ts";
import { WAL_SEGMENT_BYTES_DEFAULT, WAL_SEGMENT_BYTES_MIN } from "../limits.ts";
import { type Durability, parseDurability, Wal } from "../wal/wal.ts";
import { ChangeLog } from "../changes/change_log.ts";
import type { BackfillTarget } from "../indexes/backfill.ts";
import { lockDir } from "./dir_lock.ts";
import { FilePins } from "./file_pin.ts";
import { startBackfill } from "./ddl.ts";
import { freeze, pruneWal } from "./flush.ts";
import { type DatabaseOptions, envOr } from "./options.ts";
import { read } from "./reads.ts";
import { reclaimableBefore, recoverWal, type RecoveryReport } from "./recovery.ts";
import { DatabaseState } from "./state.ts";
import { Tiers } from "./tiers.ts";
import { applyGroupAt } from "./writes.ts";

/** The checked arguments of an open: the durability and segment size a database runs with. */
export interface OpenPlan {
  durability: Durability;
  segmentBytes: number;
}

/** Checks options and prepares the directory. @throws PlanckError `invalid_argument` */
export async function planOpen(dir: string, options: DatabaseOptions): Promise<OpenPlan> {
  const durability = parseDurability(options.durability ?? "sync");
  const segmentBytes = options.walSegmentBytes ?? WAL_SEGMENT_BYTES_DEFAULT;
  if (!Number.isInteger(segmentBytes) || segmentBytes < WAL_SEGMENT_BYTES_MIN) {
    const message = `Invalid walSegmentBytes ${segmentBytes}: at least ${WAL_SEGMENT_BYTES_MIN}`;
    throw new PlanckError("invalid_argument", message, { field: "walSegmentBytes" });
  }
  await Deno.mkdir(`${dir}/wal`, { recursive: true });
  return { durability, segmentBytes };
}

/**
 * Opens the files of `dir` and recovers: returns the state and what recovery found. `target` is the
 * Database the backfills read through. Releases the lock if anything fails.
 */
export function openState(
  dir: string,
  plan: OpenPlan,
  options: DatabaseOptions,
  target: BackfillTarget,
): { state: DatabaseState; recovery: RecoveryReport } {
  const lock = lockDir(dir);
  try {
    const s = new DatabaseState(dir, lock, options);
    const tiers = new Tiers(dir, {
      ...options, // docCacheBytes, pageCacheBytes, vlogSegmentBytes and fs have the same names there
      slowMs: options.slowTiersMs ?? Number(envOr("PLANCK_SLOW_TIERS_MS", "0")),
      vlogSegmentBytes: options.vlogSegmentBytes ??
        (Number(envOr("PLANCK_VLOG_SEGMENT_BYTES", "0")) || undefined),
    });
    s.tiers = tiers;
    s.startBackfill = (def) => startBackfill(s, target, def);
    s.pins = new FilePins(() => (s.active.firstLsn > 0 && freeze(s, { rotate: false }), [...s.frozen]));
    s.applyTarget = {
      indexes: s.indexes,
      catalog: s.catalog,
      dropped: s.dropped,
      active: () => s.active,
      read: (storeId, key) => read(s, storeId, key),
      startBackfill: (def) => s.startBackfill(def),
    };
    for (const store of tiers.stores()) s.catalog.add(store);
    for (const def of tiers.indexes()) s.indexes.add(def);
    s.catalog.reserve(tiers.checkpoint.nextId);
    const recovered = recoverWal(`${dir}/wal`, {
      checkpointLsn: tiers.checkpoint.lsn,
      salvage: options.salvage === true,
      apply: (group) => applyGroupAt(s, group.frames, group.frames.length > 0 ? group.frames[0].lsn : 0),
    });
    const wal = new Wal({
      dir: `${dir}/wal`,
      segmentBytes: plan.segmentBytes,
      durability: plan.durability,
      fs: options.fs,
      syncMethod: options.syncMethod,
      preallocateBytes: options.walPreallocateBytes,
      segments: recovered.segments,
      activeBytes: recovered.activeBytes,
      lastLsn: recovered.lastLsn,
    });
    s.wal = wal;
    s.changes = new ChangeLog({
      segments: () => wal.segments(),
      durableLsn: () => options.changesAtWrite?.on ? wal.lastLsn : wal.durableLsn,
      lastLsn: () => wal.lastLsn,
      waitDurable: (lsn) => options.changesAtWrite?.on ? Promise.resolve() : wal.waitDurable(lsn),
    });
    s.reclaimableBefore = reclaimableBefore(wal.segments(), tiers.checkpoint.lsn);
    pruneWal(s);
    for (const def of s.indexes.list()) {
      if (def.state === "building" && !s.backfills.has(def.id)) s.startBackfill(def);
    }
    return { state: s, recovery: recovered.report };
  } catch (error) {
    lock.release();
    throw error;
  }
}

/** Flushes, syncs the WAL, closes the files and releases the lock. Idempotent. */
export async function closeState(s: DatabaseState): Promise<void> {
  if (s.closed) return;
  try {
    await s.wal.sync().catch(() => {});
    const healthy = s.flushError === null && s.wal.failure === null;
    if (healthy && s.wal.lastLsn > s.tiers.checkpoint.lsn) freeze(s);
    await s.flushing;
    await s.tiers.idle();
  } finally {
    s.closed = true;
    s.changes.close();
    await Promise.allSettled([...s.backfills.values()]);
    try {
      await s.wal.close();
      await s.tiers.close();
    } finally {
      s.lock.release();
    }
  }
}
