/**
 * File pins for online backups: while a pin is held, no flush or GC changes the tree or value-log
 * files (Tiers.pin) and no WAL segment is removed (the database's WAL pruning checks `held`), so
 * those files can be copied as of the pin's LSN while writes go on (host/ops/online_backup.ts).
 *
 * Invariants: `release` is idempotent; the WAL prune that pins held back runs when the last pin goes.
 */
import type { Tiers } from "./tiers.ts";
import type { Wal } from "../wal/wal.ts";

/**
 * A held pin: the last LSN when it was taken, the WAL segment paths then (oldest first) and the
 * length of the last one up to that LSN (a group ends there).
 */
export interface FilePin {
  lsn: number;
  wal: string[];
  activeBytes: number;
  release(): void;
}

/** The pins of one database. */
export class FilePins {
  #count = 0;

  /** True while any pin is held. */
  get held(): boolean {
    return this.#count > 0;
  }

  /** Takes a pin; resolves once a running flush or GC has ended. `onLastRelease` runs when the last pin goes. */
  async pin(wal: Wal, tiers: Tiers, onLastRelease: () => void): Promise<FilePin> {
    this.#count++;
    const releaseTiers = await tiers.pin();
    let held = true;
    const release = () => {
      if (!held) return;
      held = false;
      releaseTiers();
      if (--this.#count === 0) onLastRelease();
    };
    const paths = wal.segments().map((segment) => segment.path);
    return { lsn: wal.lastLsn, wal: paths, activeBytes: wal.activeBytes, release };
  }
}
