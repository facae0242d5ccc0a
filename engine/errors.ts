/**
 * Errors that leave the engine. Every error carries a stable snake_case `code` (part of the wire
 * protocol, listed in docs/errors.md, never renamed) and, where it helps, fields that locate the
 * fault: file, offset, field, line, column, lsn.
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

/** A checksum or structure failure in a persisted file. Always names the file and offset. */
export class CorruptionError extends PlanckError {
  constructor(message: string, location: ErrorLocation & { file: string; offset: number }) {
    super("corruption", message, location);
    this.name = "CorruptionError";
  }
}

/** Turns an OS error from a disk write into a PlanckError with a stable code (ENOSPC → disk_full). */
export function diskError(error: unknown, file: string, action: string): PlanckError {
  const message = error instanceof Error ? error.message : String(error);
  const nospace = /ENOSPC|No space left|StorageFull/i.test(message) ||
    (error as { code?: string })?.code === "ENOSPC" ||
    (error instanceof Error && error.name === "StorageFull");
  if (nospace) {
    return new PlanckError("disk_full", `Cannot ${action} "${file}": the disk is full`, { file }, {
      cause: error,
    });
  }
  return new PlanckError("internal", `Cannot ${action} "${file}": ${message}`, { file }, { cause: error });
}
