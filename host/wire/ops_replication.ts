/**
 * The replication ops (docs/wire-protocol.md, docs/replication.md): `replicate` streams committed WAL
 * groups to a replica, one run per request (the replica keeps asking: a long poll that returns as soon
 * as a group is durable, or after `waitMs` with an empty run as a heartbeat); `promote` turns a
 * replica into a primary; `replicationStatus` reports role, epoch and lag.
 */
import { PlanckError } from "../../protocol/errors.ts";
import {
  REPLICATE_BYTES_DEFAULT,
  REPLICATE_BYTES_MAX,
  REPLICATE_WAIT_MS_DEFAULT,
  REPLICATE_WAIT_MS_MAX,
} from "../limits.ts";
import {
  expectFields,
  type OpCall,
  optionalInteger,
  optionalString,
  type ReplicationControl,
} from "./request.ts";

const LSN_MAX = Number.MAX_SAFE_INTEGER;

function control(call: OpCall): ReplicationControl {
  const replication = call.ctx.replication;
  if (replication === undefined) throw new PlanckError("unavailable", "This server has no replication");
  return replication;
}

/** `replicate {since, epoch, maxBytes?, waitMs?, name?}` → a run of WAL frames (needs `replication`). */
export async function opReplicate(call: OpCall): Promise<unknown> {
  const { request, session } = call;
  expectFields(request, ["since", "epoch", "maxBytes", "waitMs", "name"]);
  const since = optionalInteger(request, "since", { min: 0, max: LSN_MAX });
  const epoch = optionalInteger(request, "epoch", { min: 1, max: LSN_MAX });
  if (since === undefined || epoch === undefined) {
    throw new PlanckError("invalid_argument", 'Op "replicate" needs "since" and "epoch"', {
      field: since === undefined ? "since" : "epoch",
    });
  }
  const name = optionalString(request, "name") ?? "replica";
  return await control(call).replicate({
    since,
    epoch,
    maxBytes: optionalInteger(request, "maxBytes", { min: 1, max: REPLICATE_BYTES_MAX }) ??
      REPLICATE_BYTES_DEFAULT,
    waitMs: optionalInteger(request, "waitMs", { min: 0, max: REPLICATE_WAIT_MS_MAX }) ??
      REPLICATE_WAIT_MS_DEFAULT,
    name: name.slice(0, 200),
  }, { user: session.user!.name, remote: session.remote });
}

/** `promote` → `{epoch, startLsn, primary}` (admin; on a replica). */
export async function opPromote(call: OpCall): Promise<unknown> {
  expectFields(call.request, []);
  return await control(call).promote();
}

/** `replicationStatus` → role, epoch, LSN, and the lag (replica) or the replicas (primary). */
export function opReplicationStatus(call: OpCall): unknown {
  expectFields(call.request, []);
  return control(call).status();
}
