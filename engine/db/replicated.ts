/**
 * Applying groups the primary committed (replication, docs/replication.md): each group is appended to
 * this database's own WAL at the primary's LSNs and applied through the same code as commit and
 * recovery (engine/db/apply_group.ts), so a replica's WAL holds the primary's frames byte for byte.
 *
 * Invariants: a group at or below the last LSN was applied before and changes nothing (idempotent);
 * a group that does not start right after the last LSN is refused (no LSN is ever skipped); the
 * leader check of local writes does not apply (these writes are the primary's).
 */
import { PlanckError } from "../../protocol/errors.ts";
import type { Frame, FrameInput } from "../wal/format.ts";
import type { Database } from "./database.ts";

/**
 * Applies one committed group: `frames` (without the commit marker) then the marker at `commitLsn`.
 * Does not wait for durability (the caller syncs). Returns false when it was applied before. The
 * memtable keeps the frames' key and value arrays: they must not be views of a buffer that is
 * reused (a replica copies each received run once; a WAL file read is a fresh buffer).
 * @throws PlanckError `conflict` naming the last LSN when the group does not follow it
 */
export function applyReplicated(db: Database, frames: readonly Frame[], commitLsn: number): boolean {
  const last = db.lastLsn;
  if (commitLsn <= last) return false;
  const firstLsn = commitLsn - frames.length;
  if (firstLsn !== last + 1) {
    throw new PlanckError(
      "conflict",
      `Replicated group at LSN ${firstLsn}..${commitLsn} does not follow the last LSN ${last}`,
      { lsn: BigInt(last) },
    );
  }
  const inputs: FrameInput[] = frames.map((frame) => ({
    kind: frame.kind,
    storeId: frame.storeId,
    key: frame.key,
    value: frame.value,
  }));
  const appended = db._appendReplicated(inputs);
  if (appended !== commitLsn) {
    throw new PlanckError("internal", `Replicated group landed at LSN ${appended}, expected ${commitLsn}`);
  }
  return true;
}
