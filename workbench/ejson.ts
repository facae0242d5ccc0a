/**
 * Documents as JSON that keeps BSON types: relaxed Extended JSON (`{"$date": …}`,
 * `{"$numberLong": …}`, `{"$binary": …}`) both ways, so a document read, edited and saved through
 * the workbench keeps its dates, int64 and binary values.
 */
import { EJSON } from "bson";
import { PlanckError } from "../protocol/errors.ts";

/** A value as plain JSON (relaxed Extended JSON for BSON types). */
export function toJsonValue(value: unknown): unknown {
  if (typeof value === "bigint") return { $numberLong: String(value) }; // never a lossy number
  if (value instanceof Date) return { $date: value.toISOString() };
  if (Array.isArray(value)) return value.map(toJsonValue);
  if (value === null || typeof value !== "object") {
    return typeof value === "number" && !Number.isFinite(value) ? { $numberDouble: String(value) } : value;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) {
    const out: Record<string, unknown> = {};
    for (const [name, field] of Object.entries(value)) out[name] = toJsonValue(field);
    return out;
  }
  return EJSON.serialize({ v: value }, { relaxed: true }).v; // Binary, ObjectId, Decimal128, …
}

/** JSON text of a value, indented. */
export function toJsonText(value: unknown, indent = 2): string {
  return JSON.stringify(toJsonValue(value), null, indent);
}

/** Parses Extended JSON text into a document. @throws PlanckError `invalid_argument` naming `field` */
export function parseDocumentText(text: string, field = "document"): Record<string, unknown> {
  let value: unknown;
  try {
    value = EJSON.parse(text, { relaxed: true, useBigInt64: true });
  } catch (error) {
    throw new PlanckError("invalid_argument", `Invalid ${field}: ${(error as Error).message}`, { field });
  }
  if (value === null || typeof value !== "object" || Array.isArray(value) || value instanceof Date) {
    throw new PlanckError("invalid_argument", `Invalid ${field}: expected a JSON object`, { field });
  }
  return value as Record<string, unknown>;
}

/** Converts an already-parsed JSON value (an API body) from Extended JSON. */
export function fromJsonValue(value: unknown, field = "document"): Record<string, unknown> {
  return parseDocumentText(JSON.stringify(value), field);
}
