/**
 * The error document: the form a PlanckError takes when it crosses a boundary — the `error` field
 * of a failed wire response, a failed host call's reply, a JSON error body — and the form the
 * client rebuilds its error from (docs/errors.md).
 *
 * Invariants: `code` and `message` are always present; only location fields that are set appear;
 * `errorDocument` and the client's `fromWireError` are inverses on these fields.
 */
import { type ErrorCode, type ErrorLocation, PlanckError } from "./errors.ts";

/** The `error` field of a failed response. */
export interface ErrorDocument extends ErrorLocation {
  code: ErrorCode;
  message: string;
  /** For `locked` and throttling: when to try again. */
  retryAfterMs?: number;
}

/** The location fields an error document may carry, in the order they are written. */
export const LOCATION_FIELDS = ["field", "limit", "file", "offset", "line", "column", "lsn"] as const;

/** A PlanckError that also tells the client when to retry (lockouts). */
export class RetryLaterError extends PlanckError {
  constructor(code: ErrorCode, message: string, readonly retryAfterMs: number) {
    super(code, message);
  }
}

/** The error document of a PlanckError: code, message and the location fields that are set. */
export function errorDocument(error: PlanckError): ErrorDocument {
  const doc: ErrorDocument = { code: error.code, message: error.message };
  for (const name of LOCATION_FIELDS) {
    const value = error.location[name];
    if (value !== undefined) (doc as unknown as Record<string, unknown>)[name] = value;
  }
  if (error instanceof RetryLaterError) doc.retryAfterMs = error.retryAfterMs;
  return doc;
}
