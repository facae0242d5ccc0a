/**
 * Replication: a primary streams committed WAL groups to read-only replicas over the wire protocol;
 * epochs fence a replaced primary (docs/replication.md).
 */
export {
  Replication,
  type ReplicationOptions,
  type ReplicationRole,
  type ReplicationStatus,
} from "./replication.ts";
export { currentEpoch, type Epoch, EPOCH_FILE, readEpochs, writeEpochs } from "./epoch.ts";
export type { FollowerStatus } from "./follower.ts";
export type { ReplicaSeen, ReplicateRequest } from "./source.ts";
