/**
 * Errors the client throws: the server's error document (code, message, location fields) or a
 * client-side fault (timeout, connection lost) with the same stable codes (docs/errors.md).
 * Imports only types from the engine, so it runs anywhere.
 */
import type { ErrorCode } from "../engine/errors.ts";

export type { ErrorCode };

/** Fields that locate a fault, as the server sends them. */
export interface ClientErrorDetails {
  field?: string;
  limit?: string;
  file?: string;
  offset?: number;
  line?: number;
  column?: number;
  lsn?: bigint;
  /** For `locked`: when a login may be tried again. */
  retryAfterMs?: number;
}

/**
 * An error from a Planck server or the connection to it. Branch on `code`.
 * @example
 * ```ts
 * import { ClientError } from "./errors.ts";
 * const error = new ClientError("not_found", 'Unknown store "orders"', { field: "store" });
 * console.assert(error.code === "not_found" && error.details.field === "store");
 * ```
 */
export class ClientError extends Error {
  readonly code: ErrorCode;
  readonly details: ClientErrorDetails;

  constructor(code: ErrorCode, message: string, details: ClientErrorDetails = {}, options?: ErrorOptions) {
    super(message, options);
    this.name = "PlanckError";
    this.code = code;
    this.details = details;
  }
}

/** Builds a ClientError from a response's `error` document. */
export function fromWireError(error: unknown): ClientError {
  const doc = (error ?? {}) as Record<string, unknown>;
  const code = (typeof doc.code === "string" ? doc.code : "internal") as ErrorCode;
  const message = typeof doc.message === "string" ? doc.message : "Unknown server error";
  const { code: _code, message: _message, ...details } = doc;
  return new ClientError(code, message, details as ClientErrorDetails);
}
