/**
 * The one total order over document values, used for sorting, min/max, range predicates, group
 * keys and (byte for byte) by the index key encoding in index_key.ts.
 *
 * Order of types (lowest first), see docs/query.md:
 *   missing < null < numbers < strings < objects < arrays < binary < ObjectId < booleans < dates < other
 *
 * Invariants:
 * - compareValues is a total preorder: antisymmetric, transitive, and 0 exactly when two values
 *   encode to the same index bytes (index_key.ts). Values of different types never compare 0.
 * - Numbers form one order whatever their representation: JS number (BSON int32/double), bigint
 *   and bson Long/Int32/Double wrappers (int64). 5 == 5n == 5.0, -0 == 0, NaN == NaN and NaN sorts
 *   below every other number. number/bigint comparisons are exact (no rounding through doubles).
 * - Strings compare by Unicode code point (= UTF-8 byte order), not by UTF-16 code unit.
 * - Objects compare field by field in insertion order (name, then value), then by field count;
 *   arrays element by element, then by length; binary bytewise, then by length; dates by time.
 */

/** Rank of each type in the total order. */
export const TypeRank = {
  missing: 0,
  null: 1,
  number: 2,
  string: 3,
  object: 4,
  array: 5,
  binary: 6,
  objectId: 7,
  boolean: 8,
  date: 9,
  other: 10,
} as const;

/** One of the TypeRank values. */
export type TypeRankValue = (typeof TypeRank)[keyof typeof TypeRank];

interface BsonLike {
  _bsontype?: unknown;
}

/** True for plain objects (object literals, decoded BSON documents), not for class instances. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** The rank of a value's type in the total order. */
export function typeRank(value: unknown): TypeRankValue {
  switch (typeof value) {
    case "undefined":
      return TypeRank.missing;
    case "number":
    case "bigint":
      return TypeRank.number;
    case "string":
      return TypeRank.string;
    case "boolean":
      return TypeRank.boolean;
    case "object":
      return objectRank(value);
    default:
      return TypeRank.other;
  }
}

function objectRank(value: object | null): TypeRankValue {
  if (value === null) return TypeRank.null;
  if (Array.isArray(value)) return TypeRank.array;
  if (value instanceof Date) return TypeRank.date;
  if (isPlainObject(value)) return TypeRank.object;
  if (value instanceof Uint8Array) return TypeRank.binary;
  switch ((value as BsonLike)._bsontype) {
    case "Long":
    case "Int32":
    case "Double":
      return TypeRank.number;
    case "Binary":
      return TypeRank.binary;
    case "ObjectId":
      return TypeRank.objectId;
    default:
      return TypeRank.other;
  }
}

/** A number-ranked value as a JS number or bigint (unwraps bson Long/Int32/Double). */
export function toNumeric(value: unknown): number | bigint {
  if (typeof value === "number" || typeof value === "bigint") return value;
  const bson = value as { _bsontype?: string; value?: number; toBigInt?: () => bigint };
  if (bson._bsontype === "Long" && bson.toBigInt) return bson.toBigInt();
  return Number(bson.value);
}

/** The bytes of a binary-ranked value (Uint8Array or bson Binary). */
export function binaryBytes(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  const binary = value as { buffer: Uint8Array; position: number };
  return binary.buffer.subarray(0, binary.position);
}

/** The sort string of an `other`-ranked value (BSON regex, Decimal128, Timestamp, …). */
export function otherString(value: unknown): string {
  const bsonType = (value as BsonLike | null)?._bsontype;
  return `${typeof bsonType === "string" ? bsonType : typeof value}:${String(value)}`;
}

/** Compares two doubles: NaN first (NaN == NaN), -0 == 0. */
export function compareDoubles(a: number, b: number): number {
  if (a < b) return -1;
  if (a > b) return 1;
  if (a === b) return 0;
  const aNaN = a !== a;
  const bNaN = b !== b;
  if (aNaN && bNaN) return 0;
  return aNaN ? -1 : 1;
}

function compareDoubleBigint(a: number, b: bigint): number {
  if (a !== a || a === -Infinity) return -1;
  if (a === Infinity) return 1;
  // Rounding to double is monotonic, so a strict inequality with Number(b) is exact. On a tie
  // a equals an integer-valued double, which BigInt converts exactly.
  const rounded = Number(b);
  if (a < rounded) return -1;
  if (a > rounded) return 1;
  const exact = BigInt(a);
  return exact < b ? -1 : exact > b ? 1 : 0;
}

/** Compares two numbers exactly, across number and bigint. */
export function compareNumbers(a: number | bigint, b: number | bigint): number {
  if (typeof a === "number") {
    return typeof b === "number" ? compareDoubles(a, b) : compareDoubleBigint(a, b);
  }
  if (typeof b === "number") return -compareDoubleBigint(b, a);
  return a < b ? -1 : a > b ? 1 : 0;
}

function isHighSurrogate(unit: number): boolean {
  return unit >= 0xd800 && unit <= 0xdbff;
}

function isLowSurrogate(unit: number): boolean {
  return unit >= 0xdc00 && unit <= 0xdfff;
}

/**
 * Compares strings by Unicode code point, which equals UTF-8 byte order. Lone surrogates count as
 * their own code point (U+D800..U+DFFF), matching index_key.ts's generalized UTF-8.
 */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  if (i === n) return a.length < b.length ? -1 : 1;
  // Step back onto a shared high surrogate when either side continues it as a pair.
  if (
    i > 0 && isHighSurrogate(a.charCodeAt(i - 1)) &&
    (isLowSurrogate(a.charCodeAt(i)) || isLowSurrogate(b.charCodeAt(i)))
  ) i--;
  const ca = a.codePointAt(i)!;
  const cb = b.codePointAt(i)!;
  return ca < cb ? -1 : ca > cb ? 1 : 0;
}

/** Compares byte strings lexicographically; a proper prefix sorts first. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

function compareObjects(a: Record<string, unknown>, b: Record<string, unknown>): number {
  const aKeys = Object.keys(a);
  const bKeys = Object.keys(b);
  const n = Math.min(aKeys.length, bKeys.length);
  for (let i = 0; i < n; i++) {
    const byName = compareStrings(aKeys[i], bKeys[i]);
    if (byName !== 0) return byName;
    const byValue = compareValues(a[aKeys[i]], b[bKeys[i]]);
    if (byValue !== 0) return byValue;
  }
  return aKeys.length === bKeys.length ? 0 : aKeys.length < bKeys.length ? -1 : 1;
}

function compareArrays(a: readonly unknown[], b: readonly unknown[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = compareValues(a[i], b[i]);
    if (c !== 0) return c;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

function objectIdHex(value: unknown): string {
  return (value as { toHexString(): string }).toHexString();
}

/**
 * Compares two values in the total order.
 * @returns -1, 0 or 1
 */
export function compareValues(a: unknown, b: unknown): number {
  if (typeof a === "number" && typeof b === "number") return compareDoubles(a, b);
  if (typeof a === "string" && typeof b === "string") return compareStrings(a, b);
  const rankA = typeRank(a);
  const rankB = typeRank(b);
  if (rankA !== rankB) return rankA < rankB ? -1 : 1;
  switch (rankA) {
    case TypeRank.number:
      return compareNumbers(toNumeric(a), toNumeric(b));
    case TypeRank.string:
      return compareStrings(a as string, b as string);
    case TypeRank.object:
      return compareObjects(a as Record<string, unknown>, b as Record<string, unknown>);
    case TypeRank.array:
      return compareArrays(a as unknown[], b as unknown[]);
    case TypeRank.binary:
      return compareBytes(binaryBytes(a), binaryBytes(b));
    case TypeRank.objectId:
      return compareStrings(objectIdHex(a), objectIdHex(b));
    case TypeRank.boolean:
      return a === b ? 0 : a ? 1 : -1;
    case TypeRank.date:
      return compareDoubles((a as Date).getTime(), (b as Date).getTime());
    case TypeRank.other:
      return compareStrings(otherString(a), otherString(b));
    default:
      return 0; // missing, null: one value each
  }
}

/** True when two values are equal in the total order (same type class, compare 0). */
export function valuesEqual(a: unknown, b: unknown): boolean {
  return compareValues(a, b) === 0;
}
