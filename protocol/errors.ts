/**
 * The error contract every layer shares: the stable codes (part of the wire protocol, listed in
 * docs/errors.md, never renamed), the fields that locate a fault (file, offset, field, line, column,
 * lsn, limit) and PlanckError, the one error type thrown for operating errors. The engine, the host,
 * the client and the guest side all use these; the error document a response carries is in
 * error_document.ts.
 */

/** Stable error codes. Never rename one: clients branch on them. */
export type ErrorCode =
  | "not_found"
  | "conflict"
  | "invalid_argument"
  | "limit_exceeded"
  | "corruption"
  | "unauthorized"
  | "forbidden"
  | "not_leader"
  | "timeout"
  | "unavailable"
  | "disk_full"
  | "locked"
  | "resume_point_lost"
  | "slow_consumer"
  | "internal";

/** Where a fault was found. All optional; set the ones that locate it. */
export interface ErrorLocation {
  file?: string;
  offset?: number;
  field?: string;
  line?: number;
  column?: number;
  lsn?: bigint;
  limit?: string;
}

/** The one error type the engine throws for operating errors (bad input, limits, corruption). */
export class PlanckError extends Error {
  readonly code: ErrorCode;
  readonly location: ErrorLocation;

  constructor(code: ErrorCode, message: string, location: ErrorLocation = {}, options?: ErrorOptions) {
    super(message, options);
    this.name = "PlanckError";
    this.code = code;
    this.location = location;
  }
}
