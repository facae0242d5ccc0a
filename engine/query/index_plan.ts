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
import type { IndexDef } from "../indexes.ts";
import { type IndexFieldPredicate, indexKeyBounds, type IndexKeyRange } from "./index_bounds.ts";
import type { Filter, OrderBy, Value } from "./query_document.ts";

/** A chosen index scan. */
export interface IndexChoice {
  index: IndexDef;
  /** Byte ranges of index entries to read, in index order; empty ranges list = the whole index. */
  ranges: IndexKeyRange[];
  /** Whether entries come out in the query's result order. */
  ordered: boolean;
  /** Human-readable predicates the ranges encode, for explain. */
  uses: string[];
}

interface FieldPredicates {
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
    if (!("field" in leaf) || leaf.field === "key") continue;
    const p = byPath.get(leaf.field) ?? {};
    switch (leaf.op) {
      case "eq":
        if (indexable(leaf.value)) p.eq = leaf.value;
        break;
      case "in":
        if (leaf.values.length > 0 && leaf.values.every(indexable)) p.in = leaf.values;
        break;
      case "gt":
      case "gte":
        if (indexable(leaf.value)) p.low = { value: leaf.value, inclusive: leaf.op === "gte" };
        break;
      case "lt":
      case "lte":
        if (indexable(leaf.value)) p.high = { value: leaf.value, inclusive: leaf.op === "lte" };
        break;
      case "between":
        if (indexable(leaf.low) && indexable(leaf.high)) {
          p.low = { value: leaf.low, inclusive: true };
          p.high = { value: leaf.high, inclusive: true };
        }
        break;
      case "startsWith":
        p.prefix = leaf.value;
        break;
    }
    byPath.set(leaf.field, p);
  }
  return byPath;
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
    for (const field of index.fields) {
      const p = byPath.get(field.path);
      if (p === undefined) break;
      if (p.eq !== undefined || p.in !== undefined) {
        predicates.push(p.eq !== undefined ? { op: "eq", value: p.eq } : { op: "in", values: p.in! });
        if (p.eq !== undefined && pinned === predicates.length - 1) pinned++;
        score += 2;
        uses.push(describe(field.path, p));
        continue;
      }
      if (p.prefix !== undefined) predicates.push({ op: "prefix", value: p.prefix });
      else if (p.low !== undefined || p.high !== undefined) {
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
    const ordered = query.after === undefined && providesOrder(index, pinned, query.orderBy);
    if (ordered) score += 1;
    // An index used only for order pays off when a limit lets the scan stop early.
    if (predicates.length === 0 && !(ordered && query.limit !== undefined)) continue;
    if (best !== null && score <= best.score) continue;
    const ranges = predicates.length === 0
      ? []
      : indexKeyBounds(index.fields.map((f) => f.direction), predicates).ranges;
    best = { index, ranges, ordered, uses, score };
  }
  if (best === null) return null;
  const { score: _score, ...choice } = best;
  return choice;
}
