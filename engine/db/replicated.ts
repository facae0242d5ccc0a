/**
 * Applying groups the primary committed (replication, docs/replication.md): each group is appended to
 * this database's own WAL at the primary's LSNs and applied through the same code as commit and
 * recovery (engine/db/apply_group.ts), so a replica's WAL holds the primary's frames byte for byte.
 * A received run goes in whole (`applyReplicatedRun`: its bytes are written as they came, one write
 * per chunk that fits a segment); `applyReplicated` encodes one group's frames again.
 *
 * Invariants: a group at or below the last LSN was applied before and changes nothing (idempotent);
 * a group that does not start right after the last LSN is refused (no LSN is ever skipped); the
 * leader check of local writes does not apply (these writes are the primary's).
 */
import { PlanckError } from "../../protocol/errors.ts";
import type { Frame, FrameInput } from "../wal/format.ts";
import type { Group } from "../wal/reader.ts";
import { groupBytes } from "./append_encoded.ts";
import type { Database } from "./database.ts";

/**
 * Applies a run of committed groups received from the primary: `bytes` are their frames as the
 * primary's WAL holds them, already checked (engine/wal/group_bytes.ts decodeGroups: CRCs,
 * consecutive LSNs, whole groups), `groups` their decoded frames (views into `bytes`, which the
 * memtable keeps: `bytes` must be a buffer nobody reuses). Groups at or below the last LSN are
 * skipped (applied before). Does not wait for durability. Returns how many groups were applied.
 * @throws PlanckError `conflict` naming the last LSN when the first new group does not follow it
 */
export function applyReplicatedRun(db: Database, bytes: Uint8Array, groups: readonly Group[]): number {
  const last = db.lastLsn;
  let skip = 0;
  let offset = 0;
  while (skip < groups.length && groups[skip].commitLsn <= last) offset += groupBytes(groups[skip++]);
  if (skip === groups.length) return 0;
  const fresh = groups.slice(skip);
  const firstLsn = fresh[0].commitLsn - fresh[0].frames.length;
  if (firstLsn !== last + 1) {
    throw new PlanckError(
      "conflict",
      `Replicated group at LSN ${firstLsn}..${fresh[0].commitLsn} does not follow the last LSN ${last}`,
      { lsn: BigInt(last) },
    );
  }
  const appended = db._appendEncoded(bytes.subarray(offset), fresh);
  const commitLsn = fresh[fresh.length - 1].commitLsn;
  if (appended !== commitLsn) {
    throw new PlanckError("internal", `Replicated run landed at LSN ${appended}, expected ${commitLsn}`);
  }
  return fresh.length;
}

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
