/**
 * Key bounds a query implies: the planner narrows a store scan to the keys that can match, from
 * the query's `range`, its `after` cursor (in key order) and the filter's predicates on the path
 * "key" (eq, in, gt, gte, lt, lte, between, startsWith on a hex prefix).
 *
 * Invariants:
 * - Bounds are a superset of the matching keys, never a subset: only predicates of the top-level
 *   conjunction are used (a predicate under `or` or `not` narrows nothing), and the executor
 *   always rechecks the whole filter.
 * - `from` is inclusive, `to` exclusive; undefined means unbounded. `points`, when set, lists
 *   every key that can match, sorted ascending and inside [from, to); an empty list means nothing
 *   can match.
 * - Keys are canonical (32 lowercase hex digits), so string order is key order; validateQuery
 *   canonicalizes key values compared with "key", and values that are not keys are ignored for
 *   ranges (a range over non-key strings is left to the recheck).
 */
import { type Key, KEY_MAX } from "../key.ts";
import type { Filter, Value } from "../../protocol/query_document.ts";
import { KEY_PATH } from "./path.ts";

/** Keys a query can match. */
export interface KeyBounds {
  from?: Key;
  to?: Key;
  /** Every key that can match (eq / in on the key), sorted, inside [from, to). */
  points?: Key[];
}

const KEY_PATTERN = /^[0-9a-f]{32}$/;
const HEX_PREFIX = /^[0-9a-f]{0,32}$/;

function isKey(value: Value | undefined): value is Key {
  return typeof value === "string" && KEY_PATTERN.test(value);
}

/**
 * The key right after `key` in key order, or undefined past the largest key (an unbounded end).
 * @param key a canonical key
 */
export function keyAfter(key: Key): Key | undefined {
  if (key === KEY_MAX) return undefined;
  let i = key.length - 1;
  while (key[i] === "f") i--;
  const digit = (parseInt(key[i], 16) + 1).toString(16);
  return key.slice(0, i) + digit + "0".repeat(key.length - i - 1);
}

/** The keys that start with a lowercase hex prefix, as [from, to). */
function prefixBounds(prefix: string): KeyBounds {
  const from = prefix.padEnd(32, "0");
  const last = prefix.padEnd(32, "f");
  return { from, to: keyAfter(last) };
}

/** Intersects two bound sets. */
export function intersectBounds(a: KeyBounds, b: KeyBounds): KeyBounds {
  const out: KeyBounds = {};
  const from = a.from === undefined ? b.from : b.from === undefined || a.from > b.from ? a.from : b.from;
  const to = a.to === undefined ? b.to : b.to === undefined || a.to < b.to ? a.to : b.to;
  if (from !== undefined) out.from = from;
  if (to !== undefined) out.to = to;
  let points = a.points;
  if (b.points !== undefined) {
    points = points === undefined ? b.points : points.filter((key) => b.points!.includes(key));
  }
  if (points !== undefined) {
    out.points = points.filter((key) =>
      (from === undefined || key >= from) && (to === undefined || key < to)
    );
  }
  return out;
}

/** The bounds a single predicate on "key" implies (unbounded when it implies none). */
function predicateBounds(node: Extract<Filter, { field: string }>): KeyBounds {
  switch (node.op) {
    case "eq":
      // A key is always a canonical key string, so eq with anything else matches nothing.
      return { points: isKey(node.value) ? [node.value] : [] };
    case "in":
      return { points: [...new Set(node.values.filter(isKey))].sort() };
    case "gt":
      if (!isKey(node.value)) return {};
      return node.value === KEY_MAX ? { points: [] } : { from: keyAfter(node.value) };
    case "gte":
      return isKey(node.value) ? { from: node.value } : {};
    case "lt":
      return isKey(node.value) ? { to: node.value } : {};
    case "lte": {
      if (!isKey(node.value)) return {};
      const to = keyAfter(node.value);
      return to === undefined ? {} : { to };
    }
    case "between": {
      if (!isKey(node.low) || !isKey(node.high)) return {};
      const to = keyAfter(node.high);
      return to === undefined ? { from: node.low } : { from: node.low, to };
    }
    case "startsWith":
      return HEX_PREFIX.test(node.value) ? prefixBounds(node.value) : {};
    default:
      return {};
  }
}

/** The predicates of the top-level conjunction (nested `and`s flattened). */
function conjuncts(filter: Filter, out: Filter[]): Filter[] {
  if ("and" in filter) {
    for (const child of filter.and) conjuncts(child, out);
  } else {
    out.push(filter);
  }
  return out;
}

/**
 * The key bounds of a filter: the intersection of the bounds of its top-level predicates on "key".
 * @param filter a validated filter (or undefined: unbounded)
 */
export function filterKeyBounds(filter: Filter | undefined): KeyBounds {
  let bounds: KeyBounds = {};
  if (filter === undefined) return bounds;
  for (const node of conjuncts(filter, [])) {
    if ("field" in node && node.field === KEY_PATH) bounds = intersectBounds(bounds, predicateBounds(node));
  }
  return bounds;
}

/** True when the bounds can match no key at all. */
export function boundsEmpty(bounds: KeyBounds): boolean {
  if (bounds.points !== undefined) return bounds.points.length === 0;
  return bounds.from !== undefined && bounds.to !== undefined && bounds.from >= bounds.to;
}

/** True when the filter reads nothing but the key, so it can run before the document is decoded. */
export function filterUsesOnlyKey(filter: Filter): boolean {
  if ("and" in filter) return filter.and.every(filterUsesOnlyKey);
  if ("or" in filter) return filter.or.every(filterUsesOnlyKey);
  if ("not" in filter) return filterUsesOnlyKey(filter.not);
  return filter.field === KEY_PATH;
}
