/**
 * The one error mapper of the wire protocol: whatever an op throws becomes the `error` document of
 * a response (protocol/error_document.ts, docs/wire-protocol.md, docs/errors.md).
 *
 * Invariants: a PlanckError keeps its code, message and location fields, with anything shaped like a
 * user key redacted from the message (host/redact_keys.ts); anything else is a bug or
 * an unexpected runtime fault and becomes `internal` with a generic message (the detail goes to the
 * server's log, never to the client).
 */
import { BSONError } from "bson";
import { PlanckError } from "../../protocol/errors.ts";
import { type ErrorDocument, errorDocument } from "../../protocol/error_document.ts";
import { redactKeyShapes } from "../redact_keys.ts";

/** Maps a thrown value to the error document of a response. */
export function toWireError(error: unknown): ErrorDocument {
  if (error instanceof PlanckError) {
    return { ...errorDocument(error), message: redactKeyShapes(error.message) };
  }
  if (error instanceof BSONError) {
    return { code: "invalid_argument", message: `Invalid BSON value: ${error.message}` };
  }
  console.error("planck: internal error while serving a wire request:", error);
  return { code: "internal", message: "Internal error (see the server log)" };
}
