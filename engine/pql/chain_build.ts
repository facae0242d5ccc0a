/**
 * Turns the clauses of a parsed PQL chain into its query document, once the chain's kind is known.
 *
 * Invariants: a document carries only the fields its kind defines and never an undefined field;
 * a chain whose kinds still include `find` (only filter/range, or no method) is a find.
 */
import { assert, AssertionError } from "../assert.ts";
import {
  type Aggregate,
  type Document,
  type Filter,
  FIND_CLAUSES,
  type OrderBy,
  type QueryDocument,
  READ_CLAUSES,
} from "../../protocol/query_document.ts";
import type { TokenStream } from "./token_stream.ts";

/** Query kinds as bits: a method fits a set of kinds, a chain the intersection of its methods' sets. */
export const Kind = {
  find: 1,
  count: 2,
  aggregate: 4,
  update: 8,
  delete: 16,
  deleteKey: 32,
  get: 64,
  insert: 128,
  replace: 256,
  all: 511,
} as const;

/** Everything a chain's methods may set. */
export interface Clauses {
  filter?: Filter;
  range?: { from?: string; to?: string };
  orderBy?: OrderBy[];
  after?: string;
  skip?: number;
  limit?: number;
  select?: string[];
  exclude?: string[];
  groupBy?: string[];
  aggregates?: Record<string, Aggregate>;
  key?: string;
  documents?: Document[];
  document?: Document;
  set?: Document;
  unset?: string[];
  inc?: Record<string, number>;
}

/** One method: the clause it fills (repeats are errors), the kinds it fits, how its arguments parse. */
export interface MethodSpec {
  clause: string;
  kinds: number;
  parse: (ts: TokenStream, clauses: Clauses) => void;
}

/** Copies the defined entries of `source` named in `fields` onto `target`. */
function copyDefined<T extends object>(target: T, source: Clauses, fields: (keyof Clauses)[]): T {
  for (const field of fields) {
    if (source[field] !== undefined) (target as Record<string, unknown>)[field] = source[field];
  }
  return target;
}

/**
 * Builds the query document for a chain on `store`.
 * @param kinds the intersection of the chain's method kinds (never 0)
 * @param ts the stream, to report a missing `.aggregate(…)` at the current token
 */
export function buildQuery(store: string, clauses: Clauses, kinds: number, ts: TokenStream): QueryDocument {
  assert(kinds !== 0, "a chain fits at least one kind");
  if ((kinds & Kind.find) !== 0) {
    return copyDefined({ op: "find" as const, store }, clauses, [...READ_CLAUSES, ...FIND_CLAUSES]);
  }
  switch (kinds) {
    case Kind.count:
      return copyDefined({ op: "count", store }, clauses, ["filter", "range"]);
    case Kind.aggregate: {
      if (clauses.aggregates === undefined) throw ts.fail("'.aggregate(…)' after 'groupBy(…)'");
      const shape = copyDefined({ op: "aggregate" as const, store }, clauses, ["filter", "range", "groupBy"]);
      return { ...shape, aggregates: clauses.aggregates };
    }
    case Kind.update:
      return copyDefined({ op: "update", store }, clauses, ["filter", "range", "set", "unset", "inc"]);
    case Kind.delete:
      return copyDefined({ op: "delete", store }, clauses, ["filter", "range"]);
    case Kind.deleteKey:
      return { op: "delete", store, key: clauses.key! };
    case Kind.get:
      return { op: "get", store, key: clauses.key! };
    case Kind.insert:
      return { op: "insert", store, documents: clauses.documents! };
    case Kind.replace:
      return { op: "replace", store, key: clauses.key!, document: clauses.document! };
  }
  throw new AssertionError(`a chain resolves to one kind, not the mask ${kinds}`);
}
