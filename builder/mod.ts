/**
 * The typed query builder: compiles chains like `from<Order>("orders").filter(...).limit(20)` to
 * plain query documents (the same ones PQL produces) and runs them through a Transport. Imports
 * nothing server-side, so the same code runs natively and inside wasm services.
 *
 * @example
 * ```ts
 * import { count, from, sum, where } from "./mod.ts";
 * interface Order { status: string; amount: number }
 * const doc = from<Order>("orders").filter(where("status").eq("open")).toQuery();
 * const byStatus = from<Order>("orders").groupBy("status")
 *   .build.aggregate({ n: count(), total: sum("amount") });
 * ```
 */
export { type Changes, from, type QueryDocuments, type Row, StoreQuery } from "./query_builder.ts";
export type { Aggregates, AggregateValue, CheckedAggregates } from "./query_builder.ts";
export { and, type Checked, Condition, not, or, type Requirement, type Violations } from "./condition.ts";
export { Field, type TypedField, where, whereOf } from "./where.ts";
export { type Operators, type Shorthand, shorthandToFilter } from "./shorthand.ts";
export { type AggregateOf, avg, count, max, min, sum } from "./aggregates.ts";
export type {
  AggregateResultRow,
  CountResult,
  DeleteResult,
  ExplainResult,
  InsertResult,
  Transport,
  UpdateResult,
} from "./transport.ts";
export {
  canWatch,
  type WatchEvent,
  type WatchRequestOptions,
  type WatchSpec,
  type WatchTransport,
} from "./watch.ts";
export type { FieldPath, NumericPath, Paths, PathValue } from "./paths.ts";
export type * from "../protocol/query_document.ts";
