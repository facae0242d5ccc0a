/**
 * The workbench runs every action through the wire protocol's op table (host/wire/ops.ts), so the
 * API, the screens and the wire share one implementation and one authorization: `callOp` builds
 * the op request for the caller and runs it.
 *
 * Invariants: the op sees the caller's current user and address; nothing here bypasses `runOp`'s
 * role and store checks.
 */
import { runOp } from "../host/wire/ops.ts";
import type { OpContext } from "../host/wire/request.ts";
import type { WorkbenchParts } from "../host/server/workbench_hook.ts";
import type { Principal } from "./access.ts";

/** The op context of the running server. */
export function opContext(parts: WorkbenchParts): OpContext {
  return {
    db: parts.db,
    users: parts.users,
    lockout: parts.lockout,
    server: parts.server,
    services: parts.services,
    scheduler: parts.scheduler,
    replication: parts.replication,
  };
}

/** Runs wire op `op` with `fields` as `principal`. @throws PlanckError from the op (forbidden, invalid_argument, …) */
export async function callOp(
  parts: WorkbenchParts,
  principal: Principal,
  op: string,
  fields: Record<string, unknown> = {},
): Promise<unknown> {
  const session = { user: principal.user, remote: principal.remote };
  return await runOp({ ctx: opContext(parts), session, request: { ...fields, id: 1, op } });
}
