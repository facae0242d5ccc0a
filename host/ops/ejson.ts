/**
 * The JSON-lines record of `planck export` / `planck import`: one document per line as
 * `{"key":"<32 hex digits>","doc":<document>}`, the document in MongoDB canonical extended JSON
 * (npm `bson`'s EJSON with `relaxed: false`), so every BSON type keeps its exact type: int32 stays
 * `{"$numberInt":…}`, a double `{"$numberDouble":…}`, int64 `{"$numberLong":…}`, dates, binary,
 * decimal128, ObjectId, regexes, timestamps, min/max keys, code. Plain JSON values are accepted on
 * import (an integer reads as int32, else as a double). docs/operations.md has the format.
 *
 * Both directions first try the fast paths of ejson_fast.ts (no bson objects in between), which
 * give the same result for the values they cover and hand everything else to EJSON here.
 *
 * Invariants: `encodeRecord` then `decodeRecord` gives back the same BSON bytes; decoding never
 * throws anything but a RecordError naming the field at fault.
 */
import { DECODE_OPTIONS_EXACT } from "../../protocol/bson_options.ts";
import { BSON, EJSON } from "bson";
import { encodeDocument } from "../../engine/document.ts";
import { PlanckError } from "../../protocol/errors.ts";
import { parseKey } from "../../engine/key.ts";
import { fastDocumentBytes, fastDocumentText } from "./ejson_fast.ts";

/** The one EJSON option set, for writing and reading. */
export const EJSON_OPTIONS = { relaxed: false } as const;
/** Decoding stored BSON for export: no promotion, so int32/double/int64 and regexes keep their type. */
const EXPORT_DECODE_OPTIONS = DECODE_OPTIONS_EXACT;
/** The text of a canonical `$numberInt`. */
const INT32_TEXT = /^-?(0|[1-9][0-9]*)$/;
/** The top-level fields of a record. */
const RECORD_FIELDS = ["key", "doc"] as const;

/** A bad record: `field` is a dotted path ("doc.items.2.price"), when one is at fault. */
export class RecordError extends Error {
  readonly field: string | undefined;
  constructor(message: string, field?: string) {
    super(message);
    this.name = "RecordError";
    this.field = field;
  }
}

/** A decoded record: its key (as written) and the document's BSON bytes. */
export interface DecodedRecord {
  key: string | undefined;
  bytes: Uint8Array;
}

/** One line (without its line break) for a stored document. */
export function encodeRecord(key: string, bytes: Uint8Array): string {
  const text = fastDocumentText(bytes) ?? slowDocumentText(bytes);
  return `{"key":${JSON.stringify(key)},"doc":${text}}`;
}

/** Parses and validates one line. @throws RecordError */
export function decodeRecord(line: string): DecodedRecord {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    throw new RecordError(`invalid JSON: ${(error as Error).message}`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new RecordError('expected an object {"key": …, "doc": {…}}');
  }
  const record = value as Record<string, unknown>;
  for (const name of Object.keys(record)) {
    if (!(RECORD_FIELDS as readonly string[]).includes(name)) {
      throw new RecordError(`unknown field "${name}" (a record has "key" and "doc")`, name);
    }
  }
  const key = record.key === undefined ? undefined : checkKey(record.key);
  const doc = record.doc;
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) {
    throw new RecordError('"doc" must be an object', "doc");
  }
  const fast = fastDocumentBytes(doc as Record<string, unknown>);
  return { key, bytes: checkedDocument(fast ?? slowDocumentBytes(doc as Record<string, unknown>)) };
}

/** The BSON of a record's parsed `doc` through npm `bson`'s EJSON (the slow path; tests compare). @throws RecordError */
export function slowDocumentBytes(doc: Record<string, unknown>): Uint8Array {
  checkWrappers(doc, "doc");
  let parsed: BSON.Document;
  try {
    parsed = EJSON.deserialize(doc as BSON.Document, EJSON_OPTIONS) as BSON.Document;
  } catch (error) {
    throw new RecordError(`invalid extended JSON: ${(error as Error).message}`, locate(doc, "doc"));
  }
  try {
    return BSON.serialize(parsed);
  } catch (error) {
    throw new RecordError((error as Error).message, "doc");
  }
}

/** Stored BSON as canonical extended JSON through npm `bson`'s EJSON (the slow path; tests compare). */
export function slowDocumentText(bytes: Uint8Array): string {
  return EJSON.stringify(BSON.deserialize(bytes, EXPORT_DECODE_OPTIONS), EJSON_OPTIONS);
}

/** The engine's checks of a document's bytes (size, shape), as a RecordError. */
function checkedDocument(bytes: Uint8Array): Uint8Array {
  try {
    return encodeDocument(bytes, "doc");
  } catch (error) {
    const field = error instanceof PlanckError ? error.location.field : undefined;
    throw new RecordError((error as Error).message, field ?? "doc");
  }
}

function checkKey(key: unknown): string {
  if (typeof key !== "string") throw new RecordError('"key" must be a string of 32 hex digits', "key");
  try {
    return parseKey(key);
  } catch (error) {
    throw new RecordError((error as Error).message, "key");
  }
}

/** Values the bson package would read loosely: a fractional `$numberInt` (truncated) or an unparsable `$date` string (an invalid date). */
function checkWrappers(value: unknown, path: string): void {
  if (value === null || typeof value !== "object") return;
  if (Array.isArray(value)) {
    value.forEach((child, i) => checkWrappers(child, `${path}.${i}`));
    return;
  }
  const record = value as Record<string, unknown>;
  if ("$numberInt" in record) {
    const text = record.$numberInt;
    if (typeof text !== "string" || !INT32_TEXT.test(text) || Number(text) !== (Number(text) | 0)) {
      throw new RecordError(
        `invalid extended JSON: $numberInt ${JSON.stringify(text)} is not an int32`,
        path,
      );
    }
  }
  if (typeof record.$date === "string" && Number.isNaN(Date.parse(record.$date))) {
    throw new RecordError(`invalid extended JSON: $date ${JSON.stringify(record.$date)} is not a date`, path);
  }
  for (const [name, child] of Object.entries(record)) checkWrappers(child, `${path}.${name}`);
}

/** The deepest path under `value` whose extended JSON does not parse. */
function locate(value: unknown, path: string): string {
  if (value === null || typeof value !== "object") return path;
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
  if (!Array.isArray(value) && entries.some(([name]) => name.startsWith("$"))) return path; // a type wrapper
  for (const [name, child] of entries) {
    try {
      EJSON.deserialize({ v: child }, EJSON_OPTIONS);
    } catch {
      return locate(child, `${path}.${name}`);
    }
  }
  return path;
}
