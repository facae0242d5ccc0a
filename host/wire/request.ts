/**
 * Wire requests: the shape every op shares (`{id, op, ...fields}`), the context ops run in, and
 * strict field readers that reject what an op does not know.
 *
 * Invariants: a field reader either returns a value of the declared type or throws PlanckError
 * `invalid_argument` naming the field; unknown fields are errors, never ignored.
 */
import type { Database } from "../../engine/db/database.ts";
import { PlanckError } from "../../protocol/errors.ts";
import type { UserInfo, Users } from "../auth.ts";
import type { Lockout } from "../lockout.ts";
import type { Scheduler } from "../schedule/scheduler.ts";
import type { Streams } from "./streams.ts";

/**
 * The wire protocol version (docs/wire-protocol.md, "Versions"). New ops and new optional fields
 * keep it; changing the frame or the shape of an existing op bumps it.
 */
export const WIRE_PROTOCOL_VERSION = 1;

/** A decoded request. */
export interface Request {
  id: number;
  op: string;
  [field: string]: unknown;
}

/** What the server offers ops beyond the database. */
export interface ServerControl {
  /** Server counters for the `stats` op. */
  stats(): Record<string, unknown>;
  /** Starts a graceful shutdown (after the current response is sent). */
  requestShutdown(): void;
}

/** Deployed wasm services, as the deploy/undeploy/services ops see them (host/services/registry.ts). */
export interface ServiceControl {
  deploy(wasm: Uint8Array): Promise<{ name: string; version: string; routes: unknown[] }>;
  undeploy(name: string): Promise<boolean>;
  list(): Record<string, unknown>[];
}

/** Replication as the `replicate` and `promote` ops see it (host/replication/). */
export interface ReplicationControl {
  replicate(
    request: { since: number; epoch: number; maxBytes: number; waitMs: number; name: string },
    who: { user: string; remote: string },
  ): Promise<unknown>;
  promote(): Promise<unknown>;
  status(): unknown;
}

/** Everything an op may use. */
export interface OpContext {
  db: Database;
  users: Users;
  lockout: Lockout;
  server: ServerControl;
  /** Absent where the server hosts no services. */
  services?: ServiceControl;
  /** The scheduler (host/schedule/scheduler.ts); absent where none runs. */
  scheduler?: Scheduler;
  /** Absent where the server has no replication (embedded wire servers in tests). */
  replication?: ReplicationControl;
}

/** The per-connection state an op sees. */
export interface SessionState {
  /** The authenticated user, or null before `authenticate` succeeds. */
  user: UserInfo | null;
  /** Remote address (for lockout and logs). */
  remote: string;
  /** The largest frame the session takes once authenticated (`limits.frame_bytes`); absent outside one. */
  frameBytes?: number;
  /** The session's open streams (streaming ops: watch); absent outside a wire session. */
  streams?: Streams;
}

/** One op invocation: the server context, the session and the request. */
export interface OpCall {
  ctx: OpContext;
  session: SessionState;
  request: Request;
}

/** Fields every request carries. */
const ENVELOPE_FIELDS = ["id", "op"];

/** Throws unless every field of `request` is in `allowed` (besides id and op). */
export function expectFields(request: Request, allowed: readonly string[]): void {
  for (const field of Object.keys(request)) {
    if (ENVELOPE_FIELDS.includes(field) || allowed.includes(field)) continue;
    throw new PlanckError(
      "invalid_argument",
      `Unknown field "${field.slice(0, 80)}" for op "${request.op}"`,
      {
        field,
      },
    );
  }
}

/** A required string field. */
export function stringField(request: Request, field: string): string {
  const value = request[field];
  if (typeof value === "string") return value;
  throw new PlanckError("invalid_argument", `Invalid "${field}" for op "${request.op}": expected a string`, {
    field,
  });
}

/** An optional string field. */
export function optionalString(request: Request, field: string): string | undefined {
  return request[field] === undefined ? undefined : stringField(request, field);
}

/** An optional boolean field. */
export function optionalBoolean(request: Request, field: string): boolean | undefined {
  const value = request[field];
  if (value === undefined || typeof value === "boolean") return value;
  throw new PlanckError("invalid_argument", `Invalid "${field}" for op "${request.op}": expected a boolean`, {
    field,
  });
}

/** An optional integer field within [min, max]. */
export function optionalInteger(
  request: Request,
  field: string,
  range: { min: number; max: number },
): number | undefined {
  const { min, max } = range;
  let value = request[field];
  if (value === undefined) return undefined;
  if (typeof value === "bigint") value = Number(value);
  if (typeof value === "number" && Number.isInteger(value) && value >= min && value <= max) return value;
  throw new PlanckError(
    "invalid_argument",
    `Invalid "${field}" for op "${request.op}": expected an integer from ${min} to ${max}`,
    { field },
  );
}

/** A required array field of at most `max` items. */
export function arrayField(
  request: Request,
  field: string,
  bound: { max: number; limit: string },
): unknown[] {
  const { max, limit } = bound;
  const value = request[field];
  if (!Array.isArray(value)) {
    throw new PlanckError(
      "invalid_argument",
      `Invalid "${field}" for op "${request.op}": expected an array`,
      { field },
    );
  }
  if (value.length > max) {
    throw new PlanckError(
      "limit_exceeded",
      `Too many items in "${field}": ${value.length} (the limit ${limit} is ${max})`,
      { field, limit },
    );
  }
  return value;
}

/** A required object field (a document). */
export function objectField(request: Request, field: string): Record<string, unknown> {
  const value = request[field];
  if (value !== null && typeof value === "object" && !Array.isArray(value) && !(value instanceof Date)) {
    return value as Record<string, unknown>;
  }
  throw new PlanckError("invalid_argument", `Invalid "${field}" for op "${request.op}": expected an object`, {
    field,
  });
}

/** Checks and returns the envelope of a decoded frame. @throws PlanckError `invalid_argument` */
export function parseEnvelope(doc: Record<string, unknown>): Request {
  const id = doc.id;
  if (typeof id !== "number" || !Number.isInteger(id) || id < 1 || id > 0x7fffffff) {
    throw new PlanckError(
      "invalid_argument",
      'Malformed request: "id" must be an integer from 1 to 2147483647',
      {
        field: "id",
      },
    );
  }
  if (typeof doc.op !== "string") {
    throw new PlanckError("invalid_argument", 'Malformed request: "op" must be a string', { field: "op" });
  }
  return doc as Request;
}
