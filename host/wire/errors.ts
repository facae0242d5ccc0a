/**
 * The one error mapper of the wire protocol: whatever an op throws becomes the `error` document of
 * a response (docs/wire-protocol.md, docs/errors.md).
 *
 * Invariants: a PlanckError keeps its code, message and location fields, with anything shaped like a
 * user key redacted from the message (host/redact_keys.ts); anything else is a bug or
 * an unexpected runtime fault and becomes `internal` with a generic message (the detail goes to the
 * server's log, never to the client).
 */
import { BSONError } from "bson";
import { type ErrorCode, PlanckError } from "../../engine/errors.ts";
import { redactKeyShapes } from "../redact_keys.ts";

/** The `error` field of a failed response. */
export interface WireError {
  code: ErrorCode;
  message: string;
  field?: string;
  limit?: string;
  file?: string;
  offset?: number;
  line?: number;
  column?: number;
  lsn?: bigint;
  retryAfterMs?: number;
}

/** A PlanckError that also tells the client when to retry (lockouts). */
export class RetryLaterError extends PlanckError {
  constructor(code: ErrorCode, message: string, readonly retryAfterMs: number) {
    super(code, message);
  }
}

const LOCATION_FIELDS = ["field", "limit", "file", "offset", "line", "column", "lsn"] as const;

/** Maps a thrown value to the error document of a response. */
export function toWireError(error: unknown): WireError {
  if (error instanceof PlanckError) {
    const wire: WireError = { code: error.code, message: redactKeyShapes(error.message) };
    for (const name of LOCATION_FIELDS) {
      const value = error.location[name];
      if (value !== undefined) (wire as unknown as Record<string, unknown>)[name] = value;
    }
    if (error instanceof RetryLaterError) wire.retryAfterMs = error.retryAfterMs;
    return wire;
  }
  if (error instanceof BSONError) {
    return { code: "invalid_argument", message: `Invalid BSON value: ${error.message}` };
  }
  console.error("planck: internal error while serving a wire request:", error);
  return { code: "internal", message: "Internal error (see the server log)" };
}
