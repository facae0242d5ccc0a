/**
 * Value-log garbage collection as the database runs it: on demand (`Database.gc`) and after each
 * flush, for segments whose dead ratio reaches `gcDeadRatio` (GC_DEAD_RATIO_DEFAULT unless set; 0
 * turns the automatic pass off). The collection itself (copying live values, rewriting the tree's
 * pointers, removing segments) is Tiers.gc in tiers.ts.
 *
 * Invariants: GC runs only inside the flush chain or on a caller's request, never during a flush;
 * it never removes a segment that a file pin holds.
 */
import { GC_DEAD_RATIO_DEFAULT } from "../limits.ts";
import { checkOpen, type DatabaseState } from "./state.ts";
import type { GcResult } from "./tiers.ts";

/** Collects value-log segments at or above the dead ratio (GC_DEAD_RATIO_DEFAULT) or the given ones. */
export function gc(
  s: DatabaseState,
  options: { ratio?: number; segments?: number[] } = {},
): Promise<GcResult> {
  checkOpen(s);
  return s.tiers.gc(options);
}

/** The automatic pass after a flush (inside the flush chain). */
export async function gcAfterFlush(s: DatabaseState): Promise<void> {
  const ratio = s.options.gcDeadRatio ?? GC_DEAD_RATIO_DEFAULT;
  if (ratio > 0) await s.tiers.gc({ ratio });
}
