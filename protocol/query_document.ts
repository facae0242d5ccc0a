/**
 * The query document: the one plain, serializable form that the typed builder (mod.ts), PQL and
 * the wire protocol all produce, and that the executor runs. Builder and PQL must compile the same
 * question to the same document (deep-equal), so they can never disagree.
 *
 * Conventions:
 * - Field paths are dotted strings; array indexes are written as path segments: "items.0.sku"
 *   (PQL's `items[0].sku` compiles to that). The path "key" names the document key (32 hex digits).
 * - Values are BSON-representable JS values: null, boolean, number, string, Date, arrays, plain
 *   objects (and bigint for int64). Dates are JS Date objects.
 * - A path into an array matches if any element matches (Mongo semantics).
 */

/** A document value. */
export type Value =
  | null
  | boolean
  | number
  | bigint
  | string
  | Date
  | Value[]
  | { [field: string]: Value };

/** A document as JS (decoded BSON). */
export type Document = { [field: string]: Value };

/**
 * Every field operator, in documentation order: the one list the validator, the shorthand forms
 * (engine/query/shorthand.ts, builder/shorthand.ts) and the docs follow.
 */
export const FILTER_OPS = [
  "eq",
  "ne",
  "gt",
  "gte",
  "lt",
  "lte",
  "in",
  "nin",
  "between",
  "exists",
  "contains",
  "startsWith",
  "regex",
] as const;

/** Clauses every read shape takes (find, count, aggregate, update, delete). */
export const READ_CLAUSES = ["filter", "range"] as const;
/** Clauses of a find beyond the read shape, in document order. */
export const FIND_CLAUSES = ["orderBy", "after", "skip", "limit", "select", "exclude"] as const;

/** Comparison operators on one field. */
export type CompareOp = "eq" | "ne" | "gt" | "gte" | "lt" | "lte";

/** A filter: a tree of field predicates joined by and/or/not. */
export type Filter =
  | { and: Filter[] }
  | { or: Filter[] }
  | { not: Filter }
  | { field: string; op: CompareOp; value: Value }
  | { field: string; op: "in" | "nin"; values: Value[] }
  | { field: string; op: "between"; low: Value; high: Value }
  | { field: string; op: "exists"; value: boolean }
  | { field: string; op: "contains"; value: Value }
  | { field: string; op: "startsWith"; value: string }
  | { field: string; op: "regex"; pattern: string; flags?: string };

/** One sort key. */
export interface OrderBy {
  field: string;
  direction: "asc" | "desc";
}

/** Aggregate functions. `count` takes no field. */
export type AggregateFn = "count" | "sum" | "avg" | "min" | "max";

/** One named aggregate: `{ fn: "sum", field: "amount" }`. */
export interface Aggregate {
  fn: AggregateFn;
  field?: string;
}

/** The parts every read shares. */
export interface ReadShape {
  store: string;
  filter?: Filter;
  /** Key range: `from` inclusive, `to` exclusive (either may be omitted). */
  range?: { from?: string; to?: string };
}

/** Return matching documents (each with its `key` field). */
export interface FindQuery extends ReadShape {
  op: "find";
  orderBy?: OrderBy[];
  /** Key cursor: resume after the document with this key in the result order. */
  after?: string;
  skip?: number;
  limit?: number;
  /** Keep only these fields (the key is always returned). */
  select?: string[];
  /** Drop these fields. */
  exclude?: string[];
}

export interface GetQuery {
  op: "get";
  store: string;
  key: string;
}

export interface CountQuery extends ReadShape {
  op: "count";
}

/** One row per group: `{ group: { field: value… }, alias: result… }`. */
export interface AggregateQuery extends ReadShape {
  op: "aggregate";
  groupBy?: string[];
  aggregates: Record<string, Aggregate>;
}

/** Update every match (or the one `key`): set fields, unset fields, increment numbers. */
export interface UpdateQuery extends ReadShape {
  op: "update";
  key?: string;
  set?: Document;
  unset?: string[];
  inc?: Record<string, number>;
}

/** Delete every match (or the one `key`). */
export interface DeleteQuery extends ReadShape {
  op: "delete";
  key?: string;
}

export interface InsertQuery {
  op: "insert";
  store: string;
  /**
   * The documents; one may also be given as its BSON bytes (a native guest's insert passes them
   * through unchanged: stored as they are, checked like any caller-supplied BSON).
   */
  documents: (Document | Uint8Array)[];
}

export interface ReplaceQuery {
  op: "replace";
  store: string;
  key: string;
  document: Document;
}

/** Show the plan for a read or write query instead of running it. */
export interface ExplainQuery {
  op: "explain";
  query: FindQuery | CountQuery | AggregateQuery | UpdateQuery | DeleteQuery;
}

/** One field of an index. */
export interface IndexField {
  path: string;
  direction: "asc" | "desc";
}

export interface CreateStoreQuery {
  op: "createStore";
  store: string;
}
export interface DropStoreQuery {
  op: "dropStore";
  store: string;
}
export interface CreateIndexQuery {
  op: "createIndex";
  name: string;
  store: string;
  fields: IndexField[];
  unique: boolean;
}
export interface DropIndexQuery {
  op: "dropIndex";
  name: string;
}
export interface ShowStoresQuery {
  op: "showStores";
}
export interface ShowIndexesQuery {
  op: "showIndexes";
  store: string;
}

/** Every query document. */
export type QueryDocument =
  | FindQuery
  | GetQuery
  | CountQuery
  | AggregateQuery
  | UpdateQuery
  | DeleteQuery
  | InsertQuery
  | ReplaceQuery
  | ExplainQuery
  | CreateStoreQuery
  | DropStoreQuery
  | CreateIndexQuery
  | DropIndexQuery
  | ShowStoresQuery
  | ShowIndexesQuery;
