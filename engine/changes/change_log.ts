/**
 * The change log of one database: every committed group, in commit order, for change streams.
 * Recent groups come from memory (tail.ts), older ones from the WAL segments kept by the retention
 * window (retention.ts, wal_source.ts). Only durable groups are handed out, so a consumer never
 * sees a write that a crash could still undo.
 *
 * Availability is decided by the WAL alone (not by what the tail happens to hold), so whether a
 * resume point is available does not depend on how long the process has been running.
 */
import { keyFromBytes } from "../key.ts";
import { type FrameInput, FrameKind } from "../wal/format.ts";
import type { SegmentInfo } from "../wal/wal.ts";
import { type ChangeGroup, type ChangeRecord, isChangeKind } from "./record.ts";
import { ChangeTail } from "./tail.ts";
import { oldestLsn, readWalGroups, resumePointLost } from "./wal_source.ts";

/** What the change log needs from its database. */
export interface ChangeLogSource {
  /** The WAL segments on disk, oldest first. */
  segments(): readonly SegmentInfo[];
  /** The last LSN on stable storage. */
  durableLsn(): number;
  /** The last LSN appended. */
  lastLsn(): number;
  /** Resolves when everything up to `lsn` is durable. */
  waitDurable(lsn: number): Promise<void>;
}

export class ChangeLog {
  readonly #source: ChangeLogSource;
  readonly #tail: ChangeTail;
  #wake: { promise: Promise<void>; resolve: () => void };
  #closed = false;

  constructor(source: ChangeLogSource, limits: { events?: number; bytes?: number } = {}) {
    this.#source = source;
    this.#tail = new ChangeTail(source.lastLsn(), limits);
    this.#wake = Promise.withResolvers<void>();
  }

  /** The oldest LSN still available: a resume needs `since >= oldestLsn - 1`. */
  get oldestLsn(): number {
    return oldestLsn(this.#source.segments());
  }

  /** Records a group just appended (frames at firstLsn.., commit marker at commitLsn). */
  recordFrames(frames: readonly FrameInput[], firstLsn: number, commitLsn: number): void {
    const records: ChangeRecord[] = [];
    for (let i = 0; i < frames.length; i++) {
      const frame = frames[i];
      if (!isChangeKind(frame.kind)) continue;
      const isDoc = frame.kind === FrameKind.put || frame.kind === FrameKind.insert ||
        frame.kind === FrameKind.delete;
      records.push({
        lsn: firstLsn + i,
        kind: frame.kind,
        storeId: frame.storeId,
        key: isDoc ? frame.hexKey ?? keyFromBytes(frame.key!) : "",
        value: frame.kind === FrameKind.delete || frame.kind === FrameKind.dropStore
          ? undefined
          : frame.value,
        before: frame.before,
      });
    }
    this.#tail.push({ commitLsn, records });
    const wake = this.#wake;
    this.#wake = Promise.withResolvers<void>();
    wake.resolve();
  }

  /** Ends every wait: `next` returns null from now on. */
  close(): void {
    this.#closed = true;
    this.#wake.resolve();
  }

  /** Throws `resume_point_lost` when groups after `since` are no longer all kept. */
  checkAvailable(since: number): void {
    const oldest = this.oldestLsn;
    if (since + 1 < oldest) throw resumePointLost(since, oldest);
  }

  /**
   * The next durable groups committed after `since` (waiting until there is one), or null once the
   * database closes.
   * @throws PlanckError `resume_point_lost` when `since` is older than the WAL kept
   */
  async next(since: number): Promise<ChangeGroup[] | null> {
    while (!this.#closed) {
      this.checkAvailable(since);
      const horizon = this.#source.durableLsn();
      if (horizon > since) {
        const groups = this.#tail.since(since, horizon) ??
          await readWalGroups(() => this.#source.segments(), since, horizon);
        if (groups.length > 0) return groups;
      }
      const last = this.#source.lastLsn();
      if (last > since && last > horizon) await this.#source.waitDurable(last);
      else await this.#wake.promise;
    }
    return null;
  }
}
