/**
 * Checkers for untrusted query-document parts (values, paths, keys, counts), shared by
 * validate.ts, validate_filter.ts and shorthand.ts. Each returns the checked (and, for keys,
 * canonicalized) input or throws a PlanckError locating the fault with `field`: the dotted path of
 * the offending part inside the query document, e.g. "filter.and.1.value".
 *
 * Invariants: a value that passes checkValue is a Value (query_document.ts), a Uint8Array or a
 * bson value object, nested at most VALUE_DEPTH_MAX deep, with no undefined, functions, symbols,
 * invalid dates or class instances anywhere in it.
 */
import type { Value } from "../../protocol/query_document.ts";
import { PlanckError } from "../../protocol/errors.ts";
import { parseKey } from "../key.ts";
import { isPlainObject } from "./compare.ts";
import { PATH_LENGTH_MAX, PATH_SEGMENTS_MAX, VALUE_DEPTH_MAX } from "./limits.ts";

/** `base.name`, or `name` at the root. */
export function join(base: string, name: string | number): string {
  return base === "" ? String(name) : `${base}.${name}`;
}

/** A short description of a value for error messages. */
export function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (value instanceof Date) return "a date";
  if (typeof value === "string") return `"${value.length > 40 ? value.slice(0, 40) + "…" : value}"`;
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") {
    return String(value);
  }
  if (isPlainObject(value)) return "an object";
  return typeof value === "object"
    ? "an instance of " + (value.constructor?.name ?? "a class")
    : typeof value;
}

/** An invalid_argument error at `field`. */
export function invalid(field: string, message: string): PlanckError {
  return new PlanckError("invalid_argument", message, { field });
}

/** A limit_exceeded error at `field` naming the limit. */
export function tooMany(
  field: string,
  what: string,
  limit: string,
  max: number,
  actual: number,
): PlanckError {
  return new PlanckError("limit_exceeded", `${what} has ${actual} entries: exceeds ${limit} (${max})`, {
    field,
    limit,
  });
}

/** Checks that `input` is a plain object holding only `allowed` fields. */
export function expectRecord(
  input: unknown,
  field: string,
  allowed?: readonly string[],
): Record<string, unknown> {
  if (!isPlainObject(input)) {
    throw invalid(
      field || "query",
      `Invalid ${field || "query"}: expected an object but got ${describe(input)}`,
    );
  }
  if (allowed !== undefined) {
    for (const name of Object.keys(input)) {
      if (!allowed.includes(name)) {
        throw invalid(
          join(field, name),
          `Unknown field "${join(field, name)}": expected one of ${allowed.join(", ")}`,
        );
      }
    }
  }
  return input;
}

/** Checks a string (non-empty unless `allowEmpty`). */
export function expectString(input: unknown, field: string, allowEmpty = false): string {
  if (typeof input !== "string") {
    throw invalid(field, `Invalid "${field}": expected a string but got ${describe(input)}`);
  }
  if (!allowEmpty && input.length === 0) {
    throw invalid(field, `Invalid "${field}": expected a non-empty string`);
  }
  return input;
}

/** Checks a boolean. */
export function expectBoolean(input: unknown, field: string): boolean {
  if (typeof input !== "boolean") {
    throw invalid(field, `Invalid "${field}": expected a boolean but got ${describe(input)}`);
  }
  return input;
}

/** Checks a non-negative safe integer. */
export function expectCount(input: unknown, field: string): number {
  if (typeof input !== "number" || !Number.isSafeInteger(input) || input < 0) {
    throw invalid(field, `Invalid "${field}": expected a non-negative integer but got ${describe(input)}`);
  }
  return input;
}

/** Checks an array of at most `max` entries (limit named `limit`). */
export function expectArray(input: unknown, field: string, limit: string, max: number): unknown[] {
  if (!Array.isArray(input)) {
    throw invalid(field, `Invalid "${field}": expected an array but got ${describe(input)}`);
  }
  if (input.length > max) throw tooMany(field, `"${field}"`, limit, max, input.length);
  return input;
}

/** Checks one of a fixed set of strings. */
export function expectOneOf<T extends string>(input: unknown, field: string, options: readonly T[]): T {
  if (typeof input !== "string" || !options.includes(input as T)) {
    throw invalid(
      field,
      `Invalid "${field}": expected one of ${options.join(", ")} but got ${describe(input)}`,
    );
  }
  return input as T;
}

/** Checks a dotted field path: non-empty segments, bounded length, no "__proto__". */
export function checkPath(input: unknown, field: string): string {
  const path = expectString(input, field);
  if (path.length > PATH_LENGTH_MAX) {
    throw new PlanckError(
      "limit_exceeded",
      `Field path of ${path.length} characters exceeds PATH_LENGTH_MAX (${PATH_LENGTH_MAX})`,
      { field, limit: "PATH_LENGTH_MAX" },
    );
  }
  const segments = path.split(".");
  if (segments.length > PATH_SEGMENTS_MAX) {
    throw tooMany(
      field,
      `Field path "${path.slice(0, 80)}"`,
      "PATH_SEGMENTS_MAX",
      PATH_SEGMENTS_MAX,
      segments.length,
    );
  }
  for (const segment of segments) {
    if (segment.length === 0) throw invalid(field, `Invalid field path "${path}": empty segment`);
    if (segment === "__proto__") {
      throw invalid(field, `Invalid field path "${path}": "__proto__" is reserved`);
    }
  }
  return path;
}

/** Checks and canonicalizes a document key (32 hex digits or 0x…). */
export function checkKey(input: unknown, field: string): string {
  if (typeof input !== "string") {
    throw invalid(field, `Invalid "${field}": expected a key string but got ${describe(input)}`);
  }
  return parseKey(input, field);
}

function isBsonValue(value: object): boolean {
  return typeof (value as { _bsontype?: unknown })._bsontype === "string";
}

/** Checks that `input` is a storable value (see the file header). */
export function checkValue(input: unknown, field: string, depth = 0): Value {
  switch (typeof input) {
    case "string":
    case "number":
    case "boolean":
    case "bigint":
      return input;
    case "object":
      if (input === null) return null;
      break;
    default:
      throw invalid(field, `Invalid value at "${field}": ${describe(input)} is not a document value`);
  }
  if (depth >= VALUE_DEPTH_MAX) {
    throw new PlanckError("limit_exceeded", `Value nesting exceeds VALUE_DEPTH_MAX (${VALUE_DEPTH_MAX})`, {
      field,
      limit: "VALUE_DEPTH_MAX",
    });
  }
  if (Array.isArray(input)) {
    for (let i = 0; i < input.length; i++) checkValue(input[i], join(field, i), depth + 1);
    return input;
  }
  if (input instanceof Date) {
    if (Number.isNaN(input.getTime())) throw invalid(field, `Invalid value at "${field}": invalid date`);
    return input;
  }
  if (isPlainObject(input)) {
    for (const name of Object.keys(input)) checkValue(input[name], join(field, name), depth + 1);
    return input as Value;
  }
  if (input instanceof Uint8Array || isBsonValue(input)) return input as unknown as Value;
  throw invalid(field, `Invalid value at "${field}": ${describe(input)} is not a document value`);
}
