/**
 * File pins for online backups: while a pin is held, no flush or GC changes the tree or value-log
 * files (Tiers.pin) and no WAL segment is removed (the database's WAL pruning checks `held`), so
 * those files can be copied as of the pin's LSN while writes go on (host/ops/online_backup.ts).
 *
 * In the pin's synchronous turn the database also freezes its active memtable (when it holds
 * anything): from then on the frozen memtables and the pinned tree are exactly the state at the
 * pin's LSN, and nothing changes them until release, so the documents of every store as of that
 * LSN are counted from them in the background (engine/db/pin_counts.ts) while the files are copied.
 *
 * Invariants: `release` is idempotent and waits for nothing; the WAL prune that pins held back runs
 * when the last pin goes; `counts` is taken before release (it reads the pinned tree).
 */
import type { Catalog } from "./catalog.ts";
import type { Memtable } from "../memtable/memtable.ts";
import { countAtPin, type StoreCount } from "./pin_counts.ts";
import type { Tiers } from "./tiers.ts";
import type { Wal } from "../wal/wal.ts";
import { PlanckError } from "../../protocol/errors.ts";

export type { StoreCount } from "./pin_counts.ts";

/**
 * A held pin: the last LSN when it was taken, the WAL segment paths then (oldest first) and the
 * length of the last one up to that LSN (a group ends there).
 */
export interface FilePin {
  lsn: number;
  wal: string[];
  activeBytes: number;
  /** Milliseconds the pin's one synchronous turn took (LSN, WAL, catalog, freeze): the only time it holds writes. */
  turnMs: number;
  /**
   * Live documents of every store as of `lsn`, in catalog order (user and system stores). Counted in
   * slices that yield to the event loop; call before `release`. @throws PlanckError `conflict` after release
   */
  counts(): Promise<StoreCount[]>;
  release(): void;
}

/** The pins of one database. `freeze` freezes the active memtable and returns the frozen ones, oldest first. */
export class FilePins {
  #count = 0;
  readonly #freeze: () => Memtable[];

  constructor(freeze: () => Memtable[]) {
    this.#freeze = freeze;
  }

  /** True while any pin is held. */
  get held(): boolean {
    return this.#count > 0;
  }

  /** Takes a pin; resolves once a running flush or GC has ended. `onLastRelease` runs when the last pin goes. */
  async pin(wal: Wal, tiers: Tiers, catalog: Catalog, onLastRelease: () => void): Promise<FilePin> {
    this.#count++;
    const releaseTiers = await tiers.pin();
    let held = true;
    const release = () => {
      if (!held) return;
      held = false;
      releaseTiers();
      if (--this.#count === 0) onLastRelease();
    };
    // One synchronous turn: the LSN, the WAL as of it, the catalog, then the freeze (no WAL rotation).
    const turnStarted = performance.now();
    const paths = wal.segments().map((segment) => segment.path);
    const pinned = { lsn: wal.lastLsn, wal: paths, activeBytes: wal.activeBytes };
    const stores = catalog.list();
    const memtables = this.#freeze().reverse();
    const turnMs = performance.now() - turnStarted;
    let counting: Promise<StoreCount[]> | undefined;
    const counts = () => {
      if (!held) {
        return Promise.reject(new PlanckError("conflict", "A released file pin counts nothing"));
      }
      return counting ??= countAtPin(tiers, memtables, stores, () => held);
    };
    return { ...pinned, turnMs, counts, release };
  }
}
