/**
 * Errors the client throws: the server's error document (code, message, location fields) or a
 * client-side fault (timeout, connection lost) with the same stable codes (docs/errors.md).
 * Imports only the shared contracts (protocol/), so it runs anywhere.
 */
import { type ErrorCode, PlanckError } from "../protocol/errors.ts";
import { type ErrorDocument, errorDocument } from "../protocol/error_document.ts";

export type { ErrorCode };

/** Fields that locate a fault, as the server sends them (its error document less code and message). */
export type ClientErrorDetails = Omit<ErrorDocument, "code" | "message">;

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
    this.name = "ClientError";
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

/** A ClientError from a thrown value: a ClientError as is, a PlanckError (e.g. from framing) with its code. */
export function toClientError(error: unknown, fallback: string): ClientError {
  if (error instanceof ClientError) return error;
  if (error instanceof PlanckError) {
    const { code, message, ...details } = errorDocument(error);
    return new ClientError(code, message, details, { cause: error });
  }
  return new ClientError("unavailable", `${fallback}: ${(error as Error)?.message ?? error}`, {}, {
    cause: error,
  });
}
