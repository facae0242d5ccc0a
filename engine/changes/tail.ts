/**
 * The change log's in-memory tail: the most recent committed groups, bounded by event count and
 * document bytes (CHANGES_TAIL_EVENTS_MAX, CHANGES_TAIL_BYTES_MAX). Watchers that keep up read
 * from here; older LSNs are read back from WAL segments (wal_source.ts).
 *
 * Invariant: the tail holds every group with commit LSN in (startLsn, lastLsn], in order, with no
 * gap — evicting a group moves startLsn up to its commit LSN.
 */
import { assert } from "../assert.ts";
import { CHANGES_TAIL_BYTES_MAX, CHANGES_TAIL_EVENTS_MAX } from "../limits.ts";
import type { ChangeGroup } from "./record.ts";

export class ChangeTail {
  readonly #groups: ChangeGroup[] = [];
  /** Index of the oldest live group in #groups (evicted slots are dropped in batches). */
  #head = 0;
  #events = 0;
  #bytes = 0;
  #startLsn: number;
  #lastLsn: number;
  readonly #eventsMax: number;
  readonly #bytesMax: number;

  /** A tail that starts empty after `lsn` (the database's last LSN when it opened). */
  constructor(lsn: number, limits: { events?: number; bytes?: number } = {}) {
    this.#startLsn = lsn;
    this.#lastLsn = lsn;
    this.#eventsMax = limits.events ?? CHANGES_TAIL_EVENTS_MAX;
    this.#bytesMax = limits.bytes ?? CHANGES_TAIL_BYTES_MAX;
  }

  /** Groups with commit LSN above this are all here. */
  get startLsn(): number {
    return this.#startLsn;
  }

  /** The last LSN recorded (a group's commit LSN, or the opening LSN). */
  get lastLsn(): number {
    return this.#lastLsn;
  }

  /** Appends the next committed group (with no records for a DDL-only group: it still moves lastLsn). */
  push(group: ChangeGroup): void {
    assert(group.commitLsn > this.#lastLsn, "groups arrive in commit order");
    this.#lastLsn = group.commitLsn;
    this.#groups.push(group);
    this.#events += group.records.length;
    this.#bytes += bytesOf(group);
    while (
      this.#head < this.#groups.length - 1 && (this.#events > this.#eventsMax || this.#bytes > this.#bytesMax)
    ) {
      const old = this.#groups[this.#head++];
      this.#events -= old.records.length;
      this.#bytes -= bytesOf(old);
      this.#startLsn = old.commitLsn;
    }
    if (this.#head > 1024 && this.#head * 2 > this.#groups.length) {
      this.#groups.splice(0, this.#head);
      this.#head = 0;
    }
  }

  /**
   * The groups committed after `since` up to `upTo` (inclusive), or undefined when `since` is
   * older than the tail (read the WAL instead).
   */
  since(since: number, upTo: number): ChangeGroup[] | undefined {
    if (since < this.#startLsn) return undefined;
    let low = this.#head;
    let high = this.#groups.length;
    while (low < high) { // first group with commitLsn > since
      const mid = (low + high) >> 1;
      if (this.#groups[mid].commitLsn > since) high = mid;
      else low = mid + 1;
    }
    const out: ChangeGroup[] = [];
    for (let i = low; i < this.#groups.length && this.#groups[i].commitLsn <= upTo; i++) {
      out.push(this.#groups[i]);
    }
    return out;
  }
}

function bytesOf(group: ChangeGroup): number {
  let bytes = 0;
  for (const record of group.records) {
    bytes += 64 + (record.value?.length ?? 0) + (record.before?.length ?? 0);
  }
  return bytes;
}
