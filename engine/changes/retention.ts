/**
 * The retention window of WAL segments for change streams (`changes.retention`): after a
 * checkpoint, segments wholly below it are no longer needed by recovery, but they stay on disk so
 * watchers can resume from older LSNs, until the WAL on disk exceeds `bytes` or a segment is older
 * than `ageMs` (its last write). Either bound removes a segment; the oldest go first, and only a
 * prefix of the log is removed, so the kept segments always hold a gap-free run of LSNs.
 */
import { PlanckError } from "../../protocol/errors.ts";
import { CHANGES_RETENTION_AGE_MS_DEFAULT, CHANGES_RETENTION_BYTES_DEFAULT } from "../limits.ts";

/** The retention window; both bounds apply. */
export interface Retention {
  /** Most bytes of WAL kept on disk (0: keep only what recovery needs). */
  bytes: number;
  /** Oldest segment kept, in milliseconds since its last write (0: keep only what recovery needs). */
  ageMs: number;
}

/** The defaults: CHANGES_RETENTION_BYTES_DEFAULT and CHANGES_RETENTION_AGE_MS_DEFAULT. */
export const RETENTION_DEFAULT: Retention = {
  bytes: CHANGES_RETENTION_BYTES_DEFAULT,
  ageMs: CHANGES_RETENTION_AGE_MS_DEFAULT,
};

/** Fills defaults and checks the values. @throws PlanckError `invalid_argument` naming the field */
export function resolveRetention(input: Partial<Retention> = {}): Retention {
  const out = { ...RETENTION_DEFAULT, ...input };
  for (const field of ["bytes", "ageMs"] as const) {
    const value = out[field];
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new PlanckError(
        "invalid_argument",
        `Invalid changes.retention.${field} ${value}: expected a whole number >= 0`,
        { field: `changes.retention.${field}` },
      );
    }
  }
  return out;
}

/** A segment as retention sees it. */
export interface RetainedSegment {
  sequence: number;
  bytes: number;
  /** Last modification time, ms since the epoch. */
  mtimeMs: number;
}

/**
 * How many of the oldest `segments` to remove: only segments before `reclaimableBefore` (a
 * sequence: those recovery no longer needs) can go, oldest first, while the total exceeds
 * `retention.bytes` or the segment is older than `retention.ageMs`.
 */
export function segmentsToRemove(
  segments: readonly RetainedSegment[],
  reclaimableBefore: number,
  retention: Retention,
  nowMs: number,
): number {
  let total = 0;
  for (const segment of segments) total += segment.bytes;
  let count = 0;
  for (const segment of segments) {
    if (segment.sequence >= reclaimableBefore) break;
    const tooBig = total > retention.bytes;
    const tooOld = nowMs - segment.mtimeMs > retention.ageMs;
    if (!tooBig && !tooOld) break;
    total -= segment.bytes;
    count++;
  }
  return count;
}
