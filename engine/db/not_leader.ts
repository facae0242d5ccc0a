/**
 * The error a replica (or a fenced former primary) gives every local write: writes go to the
 * primary, which the message names (docs/replication.md).
 */
import { PlanckError } from "../../protocol/errors.ts";

/** The `not_leader` error for a write refused because `leader` says where writes go. */
export function notLeader(leader: string): PlanckError {
  return new PlanckError(
    "not_leader",
    `Cannot write: this server is read-only (${leader}); send writes to the primary`,
    { field: "primary" },
  );
}
