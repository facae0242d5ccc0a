/**
 * Documents: BSON bytes on disk and on the wire, JS objects in the API. Encoding checks the size
 * limit; raw bytes from callers are checked for a well-formed BSON frame before they are stored.
 */
// An entry point (mod.ts, client/mod.ts, engine/mod.ts) imported from another project has no import map
// of ours, so the npm package is named in full here (deno.json maps "bson" to the same version).
// deno-lint-ignore no-import-prefix
import { BSON } from "npm:bson@7.3.4";
import { DECODE_OPTIONS, DECODE_OPTIONS_BSON_REGEXP } from "../protocol/bson_options.ts";
import { PlanckError } from "../protocol/errors.ts";
import { DOC_BYTES_MAX } from "./limits.ts";
import type { Document } from "../protocol/query_document.ts";

export type { Document };

/**
 * Encodes a document (or checks caller-supplied BSON bytes).
 * @throws PlanckError `limit_exceeded` over DOC_BYTES_MAX, `invalid_argument` for non-documents
 */
export function encodeDocument(doc: unknown, field = "document"): Uint8Array {
  let bytes: Uint8Array;
  if (doc instanceof Uint8Array) {
    checkBsonFrame(doc, field);
    bytes = doc;
  } else if (doc !== null && typeof doc === "object" && !Array.isArray(doc) && !(doc instanceof Date)) {
    try {
      bytes = BSON.serialize(doc as Document);
    } catch (error) {
      throw new PlanckError(
        "invalid_argument",
        `Cannot encode ${field} as BSON: ${(error as Error).message}`,
        {
          field,
        },
      );
    }
  } else {
    throw new PlanckError("invalid_argument", `Invalid ${field}: expected an object`, { field });
  }
  if (bytes.length > DOC_BYTES_MAX) {
    throw new PlanckError(
      "limit_exceeded",
      `Document too large: ${bytes.length} bytes (the limit DOC_BYTES_MAX is ${DOC_BYTES_MAX} bytes)`,
      { field, limit: "DOC_BYTES_MAX" },
    );
  }
  return bytes;
}

/**
 * Decodes stored BSON. A regular expression comes back as a JS RegExp, or as a BSONRegExp when its
 * pattern is valid BSON but not a valid JS pattern (e.g. "(" or PCRE-only syntax): a stored document is
 * always readable.
 */
export function decodeDocument(bytes: Uint8Array): Document {
  try {
    return BSON.deserialize(bytes, DECODE_OPTIONS) as Document;
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    return BSON.deserialize(bytes, DECODE_OPTIONS_BSON_REGEXP) as Document;
  }
}

function checkBsonFrame(bytes: Uint8Array, field: string): void {
  const declared = bytes.length >= 5
    ? bytes[0] | (bytes[1] << 8) | (bytes[2] << 16) | (bytes[3] << 24) // no DataView per document
    : -1;
  if (declared !== bytes.length || bytes[bytes.length - 1] !== 0) {
    throw new PlanckError(
      "invalid_argument",
      `Invalid ${field}: not a BSON document (length prefix ${declared}, ${bytes.length} bytes given)`,
      { field },
    );
  }
  if (bytes.length > DOC_BYTES_MAX) return; // reported by the caller with the limit
}
