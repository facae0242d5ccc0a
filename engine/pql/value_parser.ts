/**
 * PQL values: JSON values extended with `date("ISO-8601")` and `0x…` keys, plus the argument forms
 * built from them (keys, strings, non-negative integers, documents).
 *
 * Invariants: every returned value is a plain JS value of the query document's `Value` type;
 * objects are plain objects with own enumerable fields only (a `__proto__` field is a field, never a
 * prototype); a document never holds the same field twice; dates are valid and were written as
 * ISO-8601 (a date-time without an offset is UTC); keys are 32 lowercase hex digits.
 */
import type { Value } from "../../protocol/query_document.ts";
import type { Token } from "./lexer.ts";
import type { TokenStream } from "./token_stream.ts";

const KEY_PATTERN = /^[0-9a-fA-F]{32}$/;
const KEY_0X_PATTERN = /^0[xX][0-9a-fA-F]{1,32}$/;
const ISO_DATE_PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?([Zz]|[+-]\d{2}:\d{2})?)?$/;
/** What a key looks like, for messages. */
export const KEY_EXPECTED = "a key (32 hex digits or 0x…)";

/**
 * Parses one value: string, number, `0x…` key, true/false/null, `date("…")`, array or object.
 * @param context completes "expected a value …", e.g. "after '>='"
 */
export function parseValue(ts: TokenStream, context: string): Value {
  const token = ts.peek();
  switch (token.kind) {
    case "string":
    case "number":
    case "key":
      ts.next();
      return token.value!;
    case "ident":
      if (token.keyword === "true" || token.keyword === "false" || token.keyword === "null") {
        ts.next();
        return token.keyword === "null" ? null : token.keyword === "true";
      }
      if (token.text === "date" && ts.peekAt(1).text === "(") return parseDate(ts);
      break;
    case "punct":
      if (token.text === "[") return parseArray(ts, context);
      if (token.text === "{") return parseDocument(ts, context);
      break;
  }
  throw ts.fail(`a value ${context}`);
}

/** Parses one value; `context` completes the "expected …" message. */
export type ValueParser<T = Value> = (ts: TokenStream, context: string) => T;

/**
 * Parses `[value, …]` (possibly empty).
 * @param context completes "expected '[' …" and "expected a value …", e.g. "after 'in'"
 * @param options.element parses one element (default: any value)
 */
export function parseArray<T = Value>(
  ts: TokenStream,
  context: string,
  options: { element?: ValueParser<T> } = {},
): T[] {
  const element = options.element ?? parseValue as ValueParser<T>;
  const open = ts.expectPunct("[", `'[' ${context}`);
  ts.enter(open);
  const values: T[] = [];
  if (!ts.acceptPunct("]")) {
    do values.push(element(ts, "in the list")); while (ts.acceptPunct(","));
    ts.expectPunct("]", "',' or ']' in the list");
  }
  ts.leave();
  return values;
}

/**
 * Parses a JSON object `{"field": value, …}` whose values are PQL values.
 * @param context completes "expected '{' …", e.g. "after 'insert('"
 * @param options.value parses one field's value (default: any value)
 */
export function parseDocument<T = Value>(
  ts: TokenStream,
  context: string,
  options: { value?: ValueParser<T> } = {},
): Record<string, T> {
  const value = options.value ?? parseValue as ValueParser<T>;
  const open = ts.expectPunct("{", `'{' ${context}`);
  ts.enter(open);
  const document: Record<string, T> = {};
  if (!ts.acceptPunct("}")) {
    do {
      const name = ts.peek();
      if (name.kind !== "string") throw ts.fail("a field name in double quotes");
      const field = name.value as string;
      if (Object.hasOwn(document, field)) throw ts.failAt(name, "each field once", `${name.text} again`);
      ts.next();
      ts.expectPunct(":", `':' after the field name ${name.text}`);
      defineField(document, { field, value: value(ts, `for the field ${name.text}`) });
    } while (ts.acceptPunct(","));
    ts.expectPunct("}", "',' or '}' in the object");
  }
  ts.leave();
  return document;
}

/** Sets `document[field] = value` as an own data property, even for "__proto__". */
export function defineField<T>(document: Record<string, T>, entry: { field: string; value: T }): void {
  const { field, value } = entry;
  if (field === "__proto__") {
    Object.defineProperty(document, field, { value, enumerable: true, writable: true, configurable: true });
  } else {
    document[field] = value;
  }
}

/** Parses `date("ISO-8601")` into a Date. */
function parseDate(ts: TokenStream): Date {
  ts.next();
  const open = ts.expectPunct("(", "'(' after 'date'");
  ts.enter(open);
  const token = ts.peek();
  if (token.kind !== "string") throw ts.fail("an ISO-8601 date string after 'date('");
  const date = isoDate(token.value as string);
  if (date === undefined) throw ts.failAt(token, 'a valid ISO-8601 date such as "2026-01-31T12:00:00Z"');
  ts.next();
  ts.expectPunct(")", "')' after the date");
  ts.leave();
  return date;
}

function daysInMonth(year: number, month: number): number {
  if (month !== 2) return [31, 0, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return leap ? 29 : 28;
}

/** Parses a strict ISO-8601 date or date-time (UTC unless an offset is given); undefined if invalid. */
export function isoDate(text: string): Date | undefined {
  const m = ISO_DATE_PATTERN.exec(text);
  if (m === null) return undefined;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const [hour, minute, second] = [Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0)];
  const ms = Number((m[7] ?? "0").slice(0, 3).padEnd(3, "0"));
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  let offsetMinutes = 0;
  const zone = m[8];
  if (zone !== undefined && zone.length === 6) {
    const [zoneHours, zoneMinutes] = [Number(zone.slice(1, 3)), Number(zone.slice(4, 6))];
    if (zoneHours > 23 || zoneMinutes > 59) return undefined;
    offsetMinutes = (zone[0] === "-" ? -1 : 1) * (zoneHours * 60 + zoneMinutes);
  }
  // setUTCFullYear, unlike Date.UTC, does not map years 0–99 to 1900–1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute - offsetMinutes, second, ms);
  return date;
}

/** Canonicalizes a key written as 32 hex digits or `0x` plus 1–32 hex digits; undefined if invalid. */
export function canonicalKey(text: string): string | undefined {
  if (KEY_PATTERN.test(text)) return text.toLowerCase();
  if (KEY_0X_PATTERN.test(text)) return text.slice(2).toLowerCase().padStart(32, "0");
  return undefined;
}

/**
 * Parses a key: a `0x…` literal or a string holding 32 hex digits (or `0x…`).
 * @param context completes "expected a key … ", e.g. "after 'get('"
 */
export function parseKey(ts: TokenStream, context: string): string {
  const token = ts.peek();
  const key = keyOf(token);
  if (key === undefined) throw ts.fail(`${KEY_EXPECTED} ${context}`);
  ts.next();
  return key;
}

/** The canonical key a token spells, or undefined. */
export function keyOf(token: Token): string | undefined {
  if (token.kind === "key") return token.value as string;
  if (token.kind === "string") return canonicalKey(token.value as string);
  return undefined;
}

/**
 * Parses a double-quoted string.
 * @param context completes "expected a string …"
 */
export function parseString(ts: TokenStream, context: string): string {
  const token = ts.peek();
  if (token.kind !== "string") throw ts.fail(`a string ${context}`);
  ts.next();
  return token.value as string;
}

/**
 * Parses a non-negative safe integer (for skip and limit).
 * @param context completes "expected a non-negative integer …"
 */
export function parseCount(ts: TokenStream, context: string): number {
  const token = ts.peek();
  const value = token.value;
  if (token.kind !== "number" || typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw ts.fail(`a non-negative integer ${context}`);
  }
  ts.next();
  return value === 0 ? 0 : value; // -0 reads as 0
}
