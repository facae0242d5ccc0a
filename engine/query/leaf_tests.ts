/**
 * Tests on one leaf value, built once per filter predicate (filter.ts) and run per document.
 *
 * Invariants:
 * - Equality is the total order's equality (compare.ts): 5 == 5n == 5.0, dates by time, and
 *   values of different types are never equal. `eq null` also accepts a missing leaf.
 * - Range tests (gt/gte/lt/lte/between) accept only leaves of the bound's own type, ordered by the
 *   total order (so `lt 5` accepts NaN, which sorts below every number, exactly as an index does).
 * - Tests never throw on any leaf value.
 */
import { compareDoubles, compareStrings, compareValues, toNumeric, TypeRank, typeRank } from "./compare.ts";
import type { LeafTest } from "./path.ts";

/** The range comparison operators. */
export type RangeOp = "gt" | "gte" | "lt" | "lte";

const ACCEPT: Record<RangeOp, (order: number) => boolean> = {
  gt: (order) => order > 0,
  gte: (order) => order >= 0,
  lt: (order) => order < 0,
  lte: (order) => order <= 0,
};

/** Wraps a test so that an array leaf also matches when any of its elements does. */
export function anyElement(test: LeafTest): LeafTest {
  return (leaf) => {
    if (test(leaf)) return true;
    if (!Array.isArray(leaf)) return false;
    for (let i = 0; i < leaf.length; i++) {
      if (test(leaf[i])) return true;
    }
    return false;
  };
}

/** Equality with `value` in the total order; `null` also matches missing. */
export function equalsTest(value: unknown): LeafTest {
  if (value === null) return (leaf) => leaf === null || leaf === undefined;
  switch (typeof value) {
    case "string":
    case "boolean":
      return (leaf) => leaf === value;
    case "number":
      if (value !== value) {
        return (leaf) => typeRank(leaf) === TypeRank.number && compareValues(leaf, value) === 0;
      }
      return (leaf) =>
        typeof leaf === "number"
          ? leaf === value
          : (typeof leaf === "bigint" || typeof leaf === "object") && compareValues(leaf, value) === 0;
    default:
      return (leaf) => compareValues(leaf, value) === 0;
  }
}

/** A canonical Set key for a number: safe integers and fractions as numbers, big integers as bigints. */
function numericKey(value: number | bigint): number | bigint {
  if (typeof value === "bigint") {
    return value >= -9007199254740991n && value <= 9007199254740991n ? Number(value) : value;
  }
  return Number.isInteger(value) && !Number.isSafeInteger(value) ? BigInt(value) : value;
}

/** Membership in `values` (equality as equalsTest; null also matches missing). */
export function membershipTest(values: readonly unknown[]): LeafTest {
  const strings = new Set<string>();
  const numbers = new Set<number | bigint>();
  const others: LeafTest[] = [];
  let hasNull = false;
  let hasTrue = false;
  let hasFalse = false;
  for (const value of values) {
    const rank = typeRank(value);
    if (rank === TypeRank.string) strings.add(value as string);
    else if (rank === TypeRank.number) numbers.add(numericKey(toNumeric(value)));
    else if (rank === TypeRank.null) hasNull = true;
    else if (value === true) hasTrue = true;
    else if (value === false) hasFalse = true;
    else others.push(equalsTest(value));
  }
  return (leaf) => {
    switch (typeof leaf) {
      case "string":
        return strings.has(leaf);
      case "number":
        return numbers.has(numericKey(leaf));
      case "bigint":
        return numbers.has(numericKey(leaf));
      case "boolean":
        return leaf ? hasTrue : hasFalse;
      case "undefined":
        return hasNull;
      default:
        if (leaf === null) return hasNull;
        if (typeRank(leaf) === TypeRank.number) return numbers.has(numericKey(toNumeric(leaf)));
        for (let i = 0; i < others.length; i++) {
          if (others[i](leaf)) return true;
        }
        return false;
    }
  };
}

/** A range comparison against `value`, within `value`'s type. */
export function comparisonTest(op: RangeOp, value: unknown): LeafTest {
  const accept = ACCEPT[op];
  const rank = typeRank(value);
  if (typeof value === "string") {
    return (leaf) => typeof leaf === "string" && accept(compareStrings(leaf, value));
  }
  if (typeof value === "number") {
    return (leaf) =>
      typeof leaf === "number"
        ? accept(compareDoubles(leaf, value))
        : typeRank(leaf) === rank && accept(compareValues(leaf, value));
  }
  return (leaf) => typeRank(leaf) === rank && accept(compareValues(leaf, value));
}

/** Inclusive range [low, high]; bounds of different types match nothing. */
export function betweenTest(low: unknown, high: unknown): LeafTest {
  const above = comparisonTest("gte", low);
  const below = comparisonTest("lte", high);
  return (leaf) => above(leaf) && below(leaf);
}

/** An array leaf with an element equal to `value`, or a string leaf containing `value`. */
export function containsTest(value: unknown): LeafTest {
  const equals = equalsTest(value);
  return (leaf) => {
    if (Array.isArray(leaf)) {
      for (let i = 0; i < leaf.length; i++) {
        if (equals(leaf[i])) return true;
      }
      return false;
    }
    return typeof leaf === "string" && typeof value === "string" && leaf.includes(value);
  };
}

/** A string leaf (or string element of an array leaf) starting with `prefix`. */
export function startsWithTest(prefix: string): LeafTest {
  return anyElement((leaf) => typeof leaf === "string" && leaf.startsWith(prefix));
}

/** A string leaf (or string element of an array leaf) matching `regex` (no g/y flags). */
export function regexTest(regex: RegExp): LeafTest {
  return anyElement((leaf) => typeof leaf === "string" && regex.test(leaf));
}

/** A present (not missing) leaf. */
export const existsTest: LeafTest = (leaf) => leaf !== undefined;
