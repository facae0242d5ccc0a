/**
 * The one error mapper of the workbench: whatever a handler throws becomes
 * `{ "error": "<code>", "message": "…", …location }` with the HTTP status of docs/errors.md.
 *
 * Invariants: a PlanckError keeps its code, message and location; anything else becomes `internal`
 * with a generic message (the detail goes to the server log, never to the client).
 */
import { BSONError } from "bson";
import { type ErrorCode, PlanckError } from "../protocol/errors.ts";
import { redactKeyShapes } from "../host/redact_keys.ts";
import { errorDocument } from "../protocol/error_document.ts";

/** HTTP status of each error code (docs/errors.md). */
export const STATUS_OF: Record<ErrorCode, number> = {
  invalid_argument: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  limit_exceeded: 413,
  resume_point_lost: 410,
  slow_consumer: 429,
  not_leader: 421,
  locked: 423,
  corruption: 500,
  internal: 500,
  unavailable: 503,
  timeout: 504,
  disk_full: 507,
};

/** The JSON error body of a thrown value. */
export interface ApiError {
  error: ErrorCode;
  message: string;
  [location: string]: unknown;
}

/** Maps a thrown value to its status and body; `report` receives unexpected faults. */
export function toApiError(
  error: unknown,
  report: (line: string) => void,
): { status: number; body: ApiError } {
  if (error instanceof PlanckError) {
    const { code, message, ...fields } = errorDocument(error);
    const body: ApiError = { error: code, message: redactKeyShapes(message) };
    for (const [name, value] of Object.entries(fields)) {
      body[name] = typeof value === "bigint" ? Number(value) : value;
    }
    return { status: STATUS_OF[error.code] ?? 500, body };
  }
  if (error instanceof BSONError || error instanceof SyntaxError) {
    return { status: 400, body: { error: "invalid_argument", message: `Invalid input: ${error.message}` } };
  }
  report(`planck: workbench internal error: ${(error as Error)?.stack ?? error}`);
  return { status: 500, body: { error: "internal", message: "Internal error (see the server log)" } };
}

/** A JSON response. */
export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body) + "\n", {
    status,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", ...headers },
  });
}
