/**
 * What the Replication screen, the overview and `GET /api/replication` show: the server's
 * replication status (host/replication/: role, epoch, LSN; a primary's replicas with their lag; a
 * replica's primary and lag), read through the wire's `replicationStatus` op.
 *
 * Invariants: read access is enough (the same as the op); nothing here changes replication.
 */
import type { FollowerStatus } from "../host/replication/follower.ts";
import type { ReplicaSeen } from "../host/replication/source.ts";
import type { WorkbenchParts } from "../host/server/workbench_hook.ts";
import type { Principal } from "./access.ts";
import { callOp } from "./ops.ts";

/** The replication status as shown. */
export interface ReplicationView {
  role: "primary" | "replica" | "fenced";
  epoch: number;
  lsn: number;
  replica?: FollowerStatus;
  replicas?: ReplicaSeen[];
  fencedBy?: number;
}

/** The status. */
export async function replicationView(parts: WorkbenchParts, who: Principal): Promise<ReplicationView> {
  const status = await callOp(parts, who, "replicationStatus") as ReplicationView & { epochs?: unknown };
  const { epochs: _, ...view } = status;
  return view;
}
