/**
 * Aggregate functions for `StoreQuery.aggregate({ n: count(), total: sum("amount") })`. Each
 * returns the plain Aggregate of the query document, typed with its function and field so the
 * store query can check the field against the document type and type the result row.
 * Imports nothing server-side (runs inside wasm guests).
 */
import type { Aggregate, AggregateFn } from "../protocol/query_document.ts";

/** An Aggregate whose function and field are known to the type checker. */
export type AggregateOf<F extends AggregateFn, P extends string | undefined> = Aggregate & {
  fn: F;
  field?: P;
};

/** Number of matching documents: `{ fn: "count" }`. */
export function count(): AggregateOf<"count", undefined> {
  return { fn: "count" };
}

/** Sum of the numeric values of `field` (others are ignored; 0 when none). */
export function sum<P extends string>(field: P): AggregateOf<"sum", P> {
  return { fn: "sum", field };
}

/** Mean of the numeric values of `field` (null when none). */
export function avg<P extends string>(field: P): AggregateOf<"avg", P> {
  return { fn: "avg", field };
}

/** Smallest value of `field` in the total order (null and missing ignored). */
export function min<P extends string>(field: P): AggregateOf<"min", P> {
  return { fn: "min", field };
}

/** Largest value of `field` in the total order (null and missing ignored). */
export function max<P extends string>(field: P): AggregateOf<"max", P> {
  return { fn: "max", field };
}
