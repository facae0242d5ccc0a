/**
 * Committed groups after an LSN as raw WAL bytes, for replication (docs/replication.md): recent groups
 * from memory (each group's bytes exactly as the WAL appended them), older ones read back from the WAL
 * segments kept by the retention window (engine/changes/segment_runs.ts, a window around the run). Only durable groups are handed out, so a replica never holds
 * a group that a crash of the primary could still undo.
 *
 * Invariants: a run starts at since + 1, holds whole groups with consecutive LSNs, and ends at or
 * below the durable LSN; the memory tail holds a gap-free run of the latest groups of at most
 * REPLICATION_TAIL_BYTES_MAX bytes (always at least the newest group).
 */
import { REPLICATION_TAIL_BYTES_MAX } from "../limits.ts";
import type { SegmentInfo } from "../wal/wal.ts";
import { SegmentRuns } from "./segment_runs.ts";
import { oldestLsn, resumePointLost } from "./wal_source.ts";

/** What the source needs from its database. */
export interface WalGroupsSource {
  segments(): readonly SegmentInfo[];
  durableLsn(): number;
  lastLsn(): number;
  waitDurable(lsn: number): Promise<void>;
}

/** A run of whole committed groups. */
export interface GroupRun {
  /** Frames back to back, commit markers included (empty when nothing new). */
  bytes: Uint8Array;
  /** LSN of the first frame (since + 1), and of the last commit marker (since when empty). */
  firstLsn: number;
  lastLsn: number;
  groups: number;
  /** Wall-clock time (ms) the primary appended the run's last group, or 0 when read from disk. */
  lastAppendMs: number;
}

interface TailGroup {
  firstLsn: number;
  lastLsn: number;
  bytes: Uint8Array;
  appendedMs: number;
}

/** Raw committed groups of one database. */
export class WalGroups {
  readonly #source: WalGroupsSource;
  readonly #tail: TailGroup[] = [];
  #tailBytes = 0;
  #wake = Promise.withResolvers<void>();
  /** Catch-up reads runs straight out of the segment files. */
  readonly #runs = new SegmentRuns();

  constructor(source: WalGroupsSource) {
    this.#source = source;
  }

  /** Records a group just appended (the WAL's append listener). */
  record(bytes: Uint8Array, firstLsn: number, lastLsn: number): void {
    const last = this.#tail.at(-1);
    if (last !== undefined && last.lastLsn + 1 !== firstLsn) this.#clearTail(); // never a gap
    this.#tail.push({ firstLsn, lastLsn, bytes, appendedMs: Date.now() });
    this.#tailBytes += bytes.length;
    while (this.#tail.length > 1 && this.#tailBytes > REPLICATION_TAIL_BYTES_MAX) {
      this.#tailBytes -= this.#tail.shift()!.bytes.length;
    }
    const wake = this.#wake;
    this.#wake = Promise.withResolvers<void>();
    wake.resolve();
  }

  /**
   * The durable groups after `since`, at most about `maxBytes` (always at least one group when there
   * is one), waiting up to `waitMs` for one to commit; an empty run when none came.
   * @throws PlanckError `resume_point_lost` when the WAL after `since` is no longer kept
   */
  async read(since: number, options: { maxBytes: number; waitMs: number }): Promise<GroupRun> {
    const deadline = Date.now() + options.waitMs;
    while (true) {
      const oldest = oldestLsn(this.#source.segments());
      if (since + 1 < oldest) throw resumePointLost(since, oldest);
      const durable = this.#source.durableLsn();
      if (durable > since) {
        return this.#fromTail(since, durable, options.maxBytes) ??
          await this.#fromDisk(since, durable, options.maxBytes);
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        return { bytes: new Uint8Array(0), firstLsn: since + 1, lastLsn: since, groups: 0, lastAppendMs: 0 };
      }
      const last = this.#source.lastLsn();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<void>((resolve) => timer = setTimeout(resolve, left));
      const woken = last > since ? this.#source.waitDurable(last) : this.#wake.promise;
      await Promise.race([woken, timeout]);
      clearTimeout(timer);
    }
  }

  #clearTail(): void {
    this.#tail.length = 0;
    this.#tailBytes = 0;
  }

  #fromTail(since: number, upTo: number, maxBytes: number): GroupRun | null {
    const first = this.#tail.findIndex((group) => group.firstLsn === since + 1);
    if (first === -1) return null;
    const parts: TailGroup[] = [];
    let size = 0;
    for (let i = first; i < this.#tail.length; i++) {
      const group = this.#tail[i];
      if (group.lastLsn > upTo || (parts.length > 0 && size + group.bytes.length > maxBytes)) break;
      parts.push(group);
      size += group.bytes.length;
    }
    if (parts.length === 0) return null;
    const bytes = parts.length === 1 ? parts[0].bytes : concat(parts.map((p) => p.bytes), size);
    const last = parts[parts.length - 1];
    return {
      bytes,
      firstLsn: since + 1,
      lastLsn: last.lastLsn,
      groups: parts.length,
      lastAppendMs: last.appendedMs,
    };
  }

  async #fromDisk(since: number, upTo: number, maxBytes: number): Promise<GroupRun> {
    const list = this.#source.segments();
    this.#runs.forget(list);
    let at = list.length - 1;
    while (at > 0 && list[at].firstLsn > since + 1) at--;
    let run;
    try {
      run = await this.#runs.read(list[at], since, upTo, maxBytes);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) {
        throw resumePointLost(since, oldestLsn(this.#source.segments()));
      }
      throw error;
    }
    return {
      bytes: run.bytes,
      firstLsn: since + 1,
      lastLsn: run.lastLsn,
      groups: run.groups,
      lastAppendMs: 0,
    };
  }
}

function concat(parts: Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
