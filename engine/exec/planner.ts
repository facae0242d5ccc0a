/**
 * The planner: turns the read part of a query (store, range, filter, orderBy, after, limit) into a
 * Plan — where the documents come from (`source`) and how the result order is produced.
 *
 * Sources, cheapest first:
 * - `key_points`: the filter pins the key to a list (eq / in on "key"): one point read per key;
 * - `key_range`: `range`, `after` (in key order) or range predicates on "key" bound the scan;
 * - `full_scan`: every document of the store.
 * - `index_scan`: a ready secondary index (engine/query/index_plan.ts) yields candidate keys from
 *   its byte ranges, in index order; chosen when key bounds don't already narrow the scan.
 *
 * Order strategies: `key_order` when orderBy is empty or starts with "key" (the scan already
 * yields that order, reversed for `key desc`, and stops once skip + limit rows are found);
 * `top_k` when a limit is set (a heap of skip + limit rows); else `sort` (bounded by
 * SORT_ROWS_MAX).
 *
 * Invariants: a plan's source yields a superset of the matching documents in key order (or its
 * reverse); the executor always rechecks the full filter on every document it reads.
 */
import type { StoreInfo } from "../db/catalog.ts";
import { type Key, KEY_MIN } from "../key.ts";
import {
  boundsEmpty,
  filterKeyBounds,
  intersectBounds,
  keyAfter,
  type KeyBounds,
} from "../query/key_bounds.ts";
import { KEY_PATH } from "../query/path.ts";
import type { Filter, OrderBy } from "../../protocol/query_document.ts";
import type { IndexDef } from "../indexes/indexes.ts";
import { chooseIndex, type IndexChoice } from "./index_plan.ts";

/** Where a plan reads documents from. */
export type PlanSource =
  | { kind: "full_scan" }
  | { kind: "key_range"; from?: Key; to?: Key }
  | { kind: "key_points"; keys: Key[] }
  | { kind: "index_scan"; choice: IndexChoice };

/** How the result order is produced. */
export type OrderStrategy = "key_order" | "index_order" | "top_k" | "sort";

/** A query plan. */
export interface Plan {
  store: StoreInfo;
  source: PlanSource;
  /** Scan in descending key order (`orderBy key desc`). */
  reverse: boolean;
  order: OrderStrategy;
}

/** The read part of a query the planner looks at. */
export interface PlanInput {
  filter?: Filter;
  range?: { from?: string; to?: string };
  /** The single key of an update/delete/get by key. */
  key?: string;
  orderBy?: readonly OrderBy[];
  after?: string;
  limit?: number;
}

/** True when results come out in key order: orderBy is empty or led by the key. */
export function keyOrdered(orderBy: readonly OrderBy[] | undefined): boolean {
  return orderBy === undefined || orderBy.length === 0 || orderBy[0].field === KEY_PATH;
}

function sourceOf(bounds: KeyBounds): PlanSource {
  if (boundsEmpty(bounds)) return { kind: "key_points", keys: [] };
  if (bounds.points !== undefined) return { kind: "key_points", keys: bounds.points };
  if (bounds.from === undefined && bounds.to === undefined) return { kind: "full_scan" };
  const source: PlanSource = { kind: "key_range" };
  if (bounds.from !== undefined) source.from = bounds.from;
  if (bounds.to !== undefined) source.to = bounds.to;
  return source;
}

/**
 * Plans a read (or the read half of an update/delete) on `store`. `indexes` are the store's ready
 * secondary indexes (none inside a transaction: its own writes are not in any index yet).
 */
export function planQuery(store: StoreInfo, input: PlanInput, indexes: readonly IndexDef[] = []): Plan {
  let bounds = filterKeyBounds(input.filter);
  if (input.range !== undefined) bounds = intersectBounds(bounds, { ...input.range });
  if (input.key !== undefined) bounds = intersectBounds(bounds, { points: [input.key] });
  const keyBounded = bounds.points !== undefined || bounds.from !== undefined || bounds.to !== undefined;
  // In key order `after` is a key bound (its document need not exist): keep such queries on keys.
  const keyCursor = input.after !== undefined && keyOrdered(input.orderBy);
  if (!keyBounded && !keyCursor && indexes.length > 0) {
    const choice = chooseIndex(indexes, input);
    if (choice !== null) {
      const order: OrderStrategy = choice.ordered
        ? "index_order"
        : input.limit === undefined
        ? "sort"
        : "top_k";
      return { store, source: { kind: "index_scan", choice }, reverse: false, order };
    }
  }
  if (!keyOrdered(input.orderBy)) {
    return {
      store,
      source: sourceOf(bounds),
      reverse: false,
      order: input.limit === undefined ? "sort" : "top_k",
    };
  }
  const reverse = input.orderBy !== undefined && input.orderBy.length > 0 &&
    input.orderBy[0].direction === "desc";
  if (input.after !== undefined) {
    // In key order the cursor is a key bound: resume strictly after it in the scan direction.
    const next = keyAfter(input.after);
    const cursor: KeyBounds = reverse
      ? { to: input.after }
      : next === undefined
      ? { points: [] }
      : { from: next };
    bounds = intersectBounds(bounds, cursor);
  }
  return { store, source: sourceOf(bounds), reverse, order: "key_order" };
}

/** The plan's key bounds for explain: null for an unbounded end. */
export function planBounds(plan: Plan): { from: Key | null; to: Key | null } {
  const source = plan.source;
  switch (source.kind) {
    case "full_scan":
      return { from: null, to: null };
    case "key_range":
      return { from: source.from ?? null, to: source.to ?? null };
    case "key_points": {
      if (source.keys.length === 0) return { from: KEY_MIN, to: KEY_MIN }; // an empty range
      return { from: source.keys[0], to: keyAfter(source.keys[source.keys.length - 1]) ?? null };
    }
    case "index_scan":
      return { from: null, to: null };
  }
}
