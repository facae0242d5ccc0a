/**
 * The op table of the wire protocol (docs/wire-protocol.md lists the same ops): each op, the
 * access it needs and its handler. `runOp` is the single entry: authentication first, then the
 * table's access check, then the handler (which also checks the stores it touches).
 *
 * Invariants: no op but `authenticate` runs on an unauthenticated session; every op is checked
 * against the session's current role before it has any effect; unknown and reserved ops fail with
 * `invalid_argument` and have no effect.
 */
import { PlanckError } from "../../protocol/errors.ts";
import { BATCH_REQUESTS_MAX } from "../limits.ts";
import { type Access, authorize } from "./authorize.ts";
import { toWireError } from "./errors.ts";
import {
  opAuthenticate,
  opCreateUser,
  opDropUser,
  opGrant,
  opListUsers,
  opPing,
  opRevoke,
  opRotateKey,
  opSetRole,
  opShutdown,
  opStats,
} from "./ops_admin.ts";
import { opBackupBegin, opBackupEnd, opBackupRead } from "./ops_backup.ts";
import { opGet, opScan, opTransaction, opWrite } from "./ops_kv.ts";
import { opSchedule } from "./ops_schedule.ts";
import { opPql, opQuery, opShortcut, QUERY_SHORTCUTS } from "./ops_query.ts";
import { opDeploy, opServices, opUndeploy } from "./ops_services.ts";
import { opPromote, opReplicate, opReplicationStatus } from "./ops_replication.ts";
import { opCancel, opCredit, opWatch } from "./ops_watch.ts";
import { arrayField, expectFields, type OpCall, type Request } from "./request.ts";

/** One op: the access the table checks (null: checked by the handler from the op's content) and its handler. */
export interface OpSpec {
  access: Access | null;
  /** The weakest role that can ever run the op (documentation and tests). */
  minimumRole: "none" | "read_only" | "read_write" | "admin" | "replication";
  run(call: OpCall): unknown;
}

const shortcut = (minimumRole: OpSpec["minimumRole"]): OpSpec => ({
  access: null,
  minimumRole,
  run: opShortcut,
});

/** Every op. */
export const OPS: Readonly<Record<string, OpSpec>> = {
  authenticate: { access: null, minimumRole: "none", run: opAuthenticate },
  ping: { access: "read", minimumRole: "read_only", run: opPing },
  stats: { access: "read", minimumRole: "read_only", run: opStats },
  get: { access: null, minimumRole: "read_only", run: opGet },
  scan: { access: null, minimumRole: "read_only", run: opScan },
  insert: { access: null, minimumRole: "read_write", run: opWrite },
  put: { access: null, minimumRole: "read_write", run: opWrite },
  replace: { access: null, minimumRole: "read_write", run: opWrite },
  update: { access: null, minimumRole: "read_write", run: opWrite },
  delete: { access: null, minimumRole: "read_write", run: opWrite },
  transaction: { access: null, minimumRole: "read_write", run: opTransaction },
  batch: { access: null, minimumRole: "read_only", run: opBatch },
  query: { access: null, minimumRole: "read_only", run: opQuery },
  pql: { access: null, minimumRole: "read_only", run: opPql },
  count: shortcut("read_only"),
  aggregate: shortcut("read_only"),
  listStores: shortcut("read_only"),
  listIndexes: shortcut("read_only"),
  createStore: shortcut("read_write"),
  createIndex: shortcut("read_write"),
  dropStore: shortcut("admin"),
  dropIndex: shortcut("admin"),
  createUser: { access: "admin", minimumRole: "admin", run: opCreateUser },
  dropUser: { access: "admin", minimumRole: "admin", run: opDropUser },
  setRole: { access: "admin", minimumRole: "admin", run: opSetRole },
  grant: { access: "admin", minimumRole: "admin", run: opGrant },
  revoke: { access: "admin", minimumRole: "admin", run: opRevoke },
  rotateKey: { access: null, minimumRole: "read_only", run: opRotateKey },
  listUsers: { access: "admin", minimumRole: "admin", run: opListUsers },
  shutdown: { access: "admin", minimumRole: "admin", run: opShutdown },
  deploy: { access: "admin", minimumRole: "admin", run: opDeploy },
  undeploy: { access: "admin", minimumRole: "admin", run: opUndeploy },
  services: { access: "admin", minimumRole: "admin", run: opServices },
  replicate: { access: "replicate", minimumRole: "replication", run: opReplicate },
  promote: { access: "admin", minimumRole: "admin", run: opPromote },
  replicationStatus: { access: "read", minimumRole: "read_only", run: opReplicationStatus },
  watch: { access: null, minimumRole: "read_only", run: opWatch },
  credit: { access: "read", minimumRole: "read_only", run: opCredit },
  cancel: { access: "read", minimumRole: "read_only", run: opCancel },
  // "replicate" access: admins, and replicas bootstrapping from a pinned copy (docs/replication.md).
  backupBegin: { access: "replicate", minimumRole: "admin", run: opBackupBegin },
  backupRead: { access: "replicate", minimumRole: "admin", run: opBackupRead },
  backupEnd: { access: "replicate", minimumRole: "admin", run: opBackupEnd },
  schedule: { access: "admin", minimumRole: "admin", run: opSchedule },
};

/** Ops reserved for later streaming; none at the moment. */
export const RESERVED_OPS: readonly string[] = [];

/** Ops that may not appear inside a `batch`. */
const NOT_IN_BATCH = [
  "authenticate",
  "batch",
  "shutdown",
  "deploy",
  "undeploy",
  "backupBegin",
  "backupRead",
  "backupEnd",
  "schedule",
  "watch",
  "credit",
  "cancel",
  "replicate",
  "promote",
];

for (const op of Object.keys(QUERY_SHORTCUTS)) {
  if (OPS[op] === undefined) throw new Error(`Query shortcut "${op}" has no entry in OPS`);
}

/**
 * Runs one request for a session.
 * @throws PlanckError: `unauthorized` before authentication, `forbidden` past the role, or the op's own errors
 */
export async function runOp(call: OpCall): Promise<unknown> {
  const { session, request } = call;
  const spec = Object.hasOwn(OPS, request.op) ? OPS[request.op] : undefined;
  if (spec === undefined) {
    const reserved = RESERVED_OPS.includes(request.op);
    throw new PlanckError(
      "invalid_argument",
      reserved
        ? `Op "${request.op}" is reserved for streaming and not served yet`
        : `Unknown op "${request.op.slice(0, 40)}"`,
      { field: "op" },
    );
  }
  if (session.user === null && request.op !== "authenticate") {
    throw new PlanckError(
      "unauthorized",
      `Not authenticated: send "authenticate" before "${request.op.slice(0, 40)}"`,
    );
  }
  if (spec.access !== null) authorize(session.user!, { access: spec.access, what: `op "${request.op}"` });
  return await spec.run(call);
}

/** `batch {requests: [{op, …}…]}` → `{results: [{ok, result} | {ok: false, error}…]}`, in order, not atomic. */
async function opBatch({ ctx, session, request }: OpCall): Promise<unknown> {
  expectFields(request, ["requests"]);
  const items = arrayField(request, "requests", { max: BATCH_REQUESTS_MAX, limit: "BATCH_REQUESTS_MAX" });
  const results: unknown[] = [];
  for (const item of items) {
    try {
      if (item === null || typeof item !== "object" || Array.isArray(item)) {
        throw new PlanckError("invalid_argument", "Invalid batch item: expected a request object", {
          field: "requests",
        });
      }
      const sub = { ...(item as Record<string, unknown>), id: request.id } as Request;
      if (typeof sub.op !== "string" || NOT_IN_BATCH.includes(sub.op)) {
        throw new PlanckError("invalid_argument", `Invalid batch item op "${String(sub.op).slice(0, 40)}"`, {
          field: "op",
        });
      }
      results.push({ ok: true, result: await runOp({ ctx, session, request: sub }) ?? null });
    } catch (error) {
      results.push({ ok: false, error: toWireError(error) });
    }
  }
  return { results };
}
