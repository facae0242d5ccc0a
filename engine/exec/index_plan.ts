/**
 * Index selection: which ready secondary index (if any) answers a query's filter and order best.
 *
 * Usable predicates come from the filter's top-level conjunction: eq / in (scalar, non-null
 * values) on leading index fields, then one range (gt/gte/lt/lte/between) or startsWith on the
 * next field. `eq null` is never answered from an index (it also matches missing fields, which
 * an index keeps apart), and neither are ne / nin / exists / regex / contains. The executor always
 * rechecks the whole filter, so an index only has to yield a superset.
 *
 * Order: an index whose fields after the eq-pinned prefix are exactly the orderBy fields, with the
 * same directions, yields rows in result order (ties by key, as entries end with the key): the plan
 * streams and stops at skip + limit. Multikey indexes never provide order (an array sorts whole).
 *
 * Score: 2 per eq/in field + 1 for a range/prefix field + 1 when it provides the order; the best
 * score above zero wins, ties to the first index by name.
 */
import type { IndexDef } from "../indexes/indexes.ts";
import { type IndexFieldPredicate, indexKeyBounds, type IndexKeyRange } from "../query/index_bounds.ts";
import type { Filter, OrderBy, Value } from "../../protocol/query_document.ts";

/** A chosen index scan. */
export interface IndexChoice {
  index: IndexDef;
  /** Byte ranges of index entries to read, in index order (none: nothing matches); null = the whole index. */
  ranges: IndexKeyRange[] | null;
  /** Whether entries come out in the query's result order. */
  ordered: boolean;
  /** Human-readable predicates the ranges encode, for explain. */
  uses: string[];
  /**
   * The ranges encode the whole filter exactly: every entry in them names a matching document, so
   * a count needs no document reads (a covered count).
   */
  exact: boolean;
}

interface FieldPredicates {
  /** Filter leaves on this path, and how many of them fed the fields below. */
  leaves: number;
  used: number;
  eq?: Value;
  in?: Value[];
  low?: { value: Value; inclusive: boolean };
  high?: { value: Value; inclusive: boolean };
  prefix?: string;
}

function indexable(value: Value): boolean {
  return value !== null && value !== undefined && !Array.isArray(value) &&
    !(typeof value === "object" && !(value instanceof Date));
}

function collect(filter: Filter | undefined): Map<string, FieldPredicates> {
  const byPath = new Map<string, FieldPredicates>();
  const leaves = filter === undefined ? [] : "and" in filter ? filter.and : [filter];
  for (const leaf of leaves) {
    // A leaf the index cannot hold (or/not, key predicates) makes no index exact: path "".
    const path = "field" in leaf && leaf.field !== "key" ? leaf.field : "";
    const p = byPath.get(path) ?? { leaves: 0, used: 0 };
    p.leaves++;
    if (path !== "" && "field" in leaf) collectLeaf(p, leaf);
    byPath.set(path, p);
  }
  return byPath;
}

function collectLeaf(p: FieldPredicates, leaf: Extract<Filter, { field: string }>): void {
  switch (leaf.op) {
    case "eq":
      if (indexable(leaf.value) && p.eq === undefined) [p.eq, p.used] = [leaf.value, p.used + 1];
      break;
    case "in":
      if (leaf.values.length > 0 && leaf.values.every(indexable) && p.in === undefined) {
        [p.in, p.used] = [leaf.values, p.used + 1];
      }
      break;
    case "gt":
    case "gte":
      if (indexable(leaf.value) && p.low === undefined) {
        [p.low, p.used] = [{ value: leaf.value, inclusive: leaf.op === "gte" }, p.used + 1];
      }
      break;
    case "lt":
    case "lte":
      if (indexable(leaf.value) && p.high === undefined) {
        [p.high, p.used] = [{ value: leaf.value, inclusive: leaf.op === "lte" }, p.used + 1];
      }
      break;
    case "between":
      if (indexable(leaf.low) && indexable(leaf.high) && p.low === undefined && p.high === undefined) {
        p.low = { value: leaf.low, inclusive: true };
        p.high = { value: leaf.high, inclusive: true };
        p.used++;
      }
      break;
    case "startsWith":
      if (p.prefix === undefined) [p.prefix, p.used] = [leaf.value, p.used + 1];
      break;
  }
}

/** Leaves a field's predicate in the index ranges accounts for (eq/in/prefix: 1; a range: its bounds). */
function leavesEncoded(p: FieldPredicates, kind: "eq" | "in" | "prefix" | "range"): number {
  return kind === "range" ? p.used : 1;
}

function describe(path: string, p: FieldPredicates): string {
  if (p.eq !== undefined) return `${path} = ${JSON.stringify(p.eq)}`;
  if (p.in !== undefined) return `${path} in ${JSON.stringify(p.in)}`;
  if (p.prefix !== undefined) return `${path} startsWith ${JSON.stringify(p.prefix)}`;
  const low = p.low === undefined ? "" : `${JSON.stringify(p.low.value)} ${p.low.inclusive ? "<=" : "<"} `;
  const high = p.high === undefined
    ? ""
    : ` ${p.high.inclusive ? "<=" : "<"} ${JSON.stringify(p.high.value)}`;
  return `${low}${path}${high}`;
}

function providesOrder(index: IndexDef, pinned: number, orderBy: readonly OrderBy[] | undefined): boolean {
  if (index.multikey || orderBy === undefined || orderBy.length === 0) return false;
  if (orderBy.some((o) => o.field === "key")) return false;
  // Every index field after the pinned ones must be an orderBy field: entries then tie by key, as
  // results do (a trailing index field not in orderBy would order ties differently).
  if (pinned + orderBy.length !== index.fields.length) return false;
  return orderBy.every((o, i) =>
    index.fields[pinned + i].path === o.field && index.fields[pinned + i].direction === o.direction
  );
}

/**
 * True when key order is asked for (no orderBy, or `key asc`) and equality pins every field of the
 * index: its entries then tie-break by document key, so index order is key order.
 */
function keyOrderFromPins(index: IndexDef, pinned: number, orderBy: readonly OrderBy[] | undefined): boolean {
  if (index.multikey || pinned !== index.fields.length) return false;
  if (orderBy === undefined || orderBy.length === 0) return true;
  return orderBy.length === 1 && orderBy[0].field === "key" && orderBy[0].direction === "asc";
}

/** Picks the best index for a query, or null when none helps. `after` disables index order. */
export function chooseIndex(
  indexes: readonly IndexDef[],
  query: { filter?: Filter; orderBy?: readonly OrderBy[]; after?: string; limit?: number },
): IndexChoice | null {
  const byPath = collect(query.filter);
  let best: (IndexChoice & { score: number }) | null = null;
  for (const index of indexes) {
    const predicates: IndexFieldPredicate[] = [];
    const uses: string[] = [];
    let pinned = 0;
    let score = 0;
    let encoded = 0;
    let exactFields = true;
    for (const field of index.fields) {
      const p = byPath.get(field.path);
      if (p === undefined) break;
      if (p.eq !== undefined || p.in !== undefined) {
        predicates.push(p.eq !== undefined ? { op: "eq", value: p.eq } : { op: "in", values: p.in! });
        encoded += leavesEncoded(p, p.eq !== undefined ? "eq" : "in");
        exactFields &&= p.leaves === 1 && p.used === 1;
        if (p.eq !== undefined && pinned === predicates.length - 1) pinned++;
        score += 2;
        uses.push(describe(field.path, p));
        continue;
      }
      if (p.prefix !== undefined) {
        predicates.push({ op: "prefix", value: p.prefix });
        encoded += 1;
        exactFields &&= p.leaves === 1 && p.used === 1;
      } else if (p.low !== undefined || p.high !== undefined) {
        encoded += leavesEncoded(p, "range");
        exactFields &&= p.leaves === p.used && p.eq === undefined && p.in === undefined;
        predicates.push({
          op: "range",
          low: p.low?.value,
          lowInclusive: p.low?.inclusive,
          high: p.high?.value,
          highInclusive: p.high?.inclusive,
        });
      } else break;
      score += 1;
      uses.push(describe(field.path, p));
      break;
    }
    const ordered = query.after === undefined &&
      (providesOrder(index, pinned, query.orderBy) || keyOrderFromPins(index, pinned, query.orderBy));
    if (ordered) score += 1;
    // An index used only for order pays off when a limit lets the scan stop early.
    if (predicates.length === 0 && !(ordered && query.limit !== undefined)) continue;
    if (best !== null && score <= best.score) continue;
    const bounds = predicates.length === 0
      ? { ranges: null, fieldsUsed: 0 }
      : indexKeyBounds(index.fields.map((f) => f.direction), predicates);
    let leaves = 0;
    for (const p of byPath.values()) leaves += p.leaves;
    const exact = predicates.length > 0 && exactFields && bounds.fieldsUsed === predicates.length &&
      encoded === leaves;
    best = { index, ranges: bounds.ranges, ordered, uses, score, exact };
  }
  if (best === null) return null;
  const { score: _score, ...choice } = best;
  return choice;
}
