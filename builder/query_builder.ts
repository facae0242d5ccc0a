/**
 * The typed query builder: `from<Order>("orders").filter(...).orderBy("created", "desc").limit(20)`.
 * A StoreQuery is immutable (every call returns a new one) and compiles to exactly the query
 * document PQL produces for the same question (query_document.ts). Terminal calls run the
 * document through a Transport; `toQuery()` and `build.*()` return documents without running.
 *
 * Canonical documents: fields never hold undefined; repeated filter() calls join into one flat
 * `and` (like `a and b and c`); repeated orderBy/select/exclude/groupBy append; limit, skip and
 * after replace. Imports nothing server-side: only the shared contract protocol/query_document.ts.
 */
import {
  type AggregateFn,
  type AggregateQuery,
  type CountQuery,
  type DeleteQuery,
  type Document,
  type ExplainQuery,
  type Filter,
  FIND_CLAUSES,
  type FindQuery,
  type GetQuery,
  type InsertQuery,
  type OrderBy,
  READ_CLAUSES,
  type ReplaceQuery,
  type UpdateQuery,
} from "../protocol/query_document.ts";
import type { AggregateOf } from "./aggregates.ts";
import { type Checked, Condition } from "./condition.ts";
import type { FieldPath, Head, NumericPath, PathValue } from "./paths.ts";
import { type Shorthand, shorthandToFilter } from "./shorthand.ts";
import type {
  AggregateResultRow,
  CountResult,
  DeleteResult,
  ExplainResult,
  InsertResult,
  Transport,
  UpdateResult,
} from "./transport.ts";
import { canWatch, type WatchEvent, type WatchRequestOptions, type WatchSpec } from "./watch.ts";

/** Changes of an update: set fields (dotted paths allowed), unset fields, increment numbers. */
export interface Changes<T> {
  set?: { [P in FieldPath<T>]?: PathValue<T, P> };
  unset?: readonly FieldPath<T>[];
  inc?: { [P in NumericPath<T>]?: number };
}

/** Named aggregates: `{ n: count(), total: sum("amount") }`. */
export type Aggregates = Record<string, AggregateOf<AggregateFn, string | undefined>>;

type AggregateViolations<T, A> = {
  [K in keyof A]: A[K] extends { fn: infer F; field?: infer P } ? [P] extends [undefined] ? never
    : P extends (F extends "sum" | "avg" ? NumericPath<T> : FieldPath<T>) ? never
    : K
    : never;
}[keyof A];

/** `unknown` when every aggregate's field fits T; otherwise a type error naming the aliases. */
export type CheckedAggregates<T, A> = [AggregateViolations<T, A>] extends [never] ? unknown
  : { "aggregate field does not match the document type": AggregateViolations<T, A> };

/** The result type of one aggregate over T. */
export type AggregateValue<T, A> = A extends { fn: "count" } ? number
  : A extends { fn: "sum" } ? number | bigint
  : A extends { fn: "avg" } ? number | null
  : A extends { fn: "min" | "max"; field?: infer P extends string } ? PathValue<T, P> | null
  : never;

/** A result document: the row type plus its key. */
export type Row<R> = R & { key: string };

/** Query documents of a StoreQuery, built without running. */
export interface QueryDocuments<T> {
  find(): FindQuery;
  count(): CountQuery;
  get(key: string): GetQuery;
  aggregate<A extends Aggregates>(aggregates: A & NoInfer<CheckedAggregates<T, A>>): AggregateQuery;
  update(changes: Changes<T>): UpdateQuery;
  delete(key?: string): DeleteQuery;
  insert(documents: T | readonly T[]): InsertQuery;
  replace(key: string, document: T): ReplaceQuery;
  explain(query?: ExplainQuery["query"]): ExplainQuery;
}

interface State {
  store: string;
  filter?: Filter;
  /** The filter is an `and` built by repeated filter() calls, which the next call extends. */
  filterRun?: boolean;
  range?: { from?: string; to?: string };
  orderBy?: OrderBy[];
  after?: string;
  skip?: number;
  limit?: number;
  select?: string[];
  exclude?: string[];
  groupBy?: string[];
}

/** Copies the defined entries of `source` named in `fields` onto `target`. */
function copyDefined<D extends object>(target: D, source: State, fields: (keyof State)[]): D {
  for (const field of fields) {
    if (source[field] !== undefined) (target as Record<string, unknown>)[field] = source[field];
  }
  return target;
}

const READ_FIELDS: (keyof State)[] = [...READ_CLAUSES];
const FIND_FIELDS: (keyof State)[] = [...READ_CLAUSES, ...FIND_CLAUSES];

/** A query on one store, typed by its document type T and result row type R. */
export class StoreQuery<T = Document, R = T> {
  #state: State;
  readonly #transport: Transport | undefined;

  /**
   * @param store the store name
   * @param transport runs terminal calls; without one only toQuery()/build work
   */
  constructor(store: string, transport?: Transport) {
    this.#state = { store };
    this.#transport = transport;
  }

  #with<R2 = R>(changes: Partial<State>): StoreQuery<T, R2> {
    const next = new StoreQuery<T, R2>(this.#state.store, this.#transport);
    next.#state = { ...this.#state, ...changes };
    return next;
  }

  /** Adds a condition (where(...)) or a shorthand object; repeated calls are joined with and. */
  filter<C>(condition: Condition<C> & NoInfer<Checked<T, C>>): StoreQuery<T, R>;
  filter(shorthand: Shorthand<T>): StoreQuery<T, R>;
  filter(input: Condition<unknown> | Shorthand<T>): StoreQuery<T, R> {
    if (!(input instanceof Condition) && Object.keys(input).length === 0) return this;
    const added = input instanceof Condition ? input.toFilter() : shorthandToFilter(input);
    const current = this.#state.filter;
    if (current === undefined) return this.#with({ filter: added, filterRun: false });
    const left = this.#state.filterRun ? (current as { and: Filter[] }).and : [current];
    return this.#with({ filter: { and: [...left, added] }, filterRun: true });
  }

  /** Restricts to keys in [from, to) (either may be omitted). */
  range(from?: string, to?: string): StoreQuery<T, R> {
    const range: { from?: string; to?: string } = {};
    if (from !== undefined) range.from = from;
    if (to !== undefined) range.to = to;
    return this.#with({ range });
  }

  /** Sorts by a field (appends to earlier orderBy calls); ties are broken by key. */
  orderBy(field: FieldPath<T>, direction: "asc" | "desc" = "asc"): StoreQuery<T, R> {
    return this.#with({ orderBy: [...(this.#state.orderBy ?? []), { field, direction }] });
  }

  /** Resumes after the document with this key in the result order. */
  after(key: string): StoreQuery<T, R> {
    return this.#with({ after: key });
  }

  /** Skips the first n results. */
  skip(n: number): StoreQuery<T, R> {
    return this.#with({ skip: n });
  }

  /** Returns at most n results. */
  limit(n: number): StoreQuery<T, R> {
    return this.#with({ limit: n });
  }

  /** Keeps only these fields (the key is always returned). */
  select<K extends FieldPath<T>>(...fields: K[]): StoreQuery<T, Pick<T, Extract<Head<K>, keyof T>>> {
    return this.#with({ select: [...(this.#state.select ?? []), ...fields] });
  }

  /** Drops these fields. */
  exclude<K extends FieldPath<T>>(...fields: K[]): StoreQuery<T, Omit<R, K>> {
    return this.#with({ exclude: [...(this.#state.exclude ?? []), ...fields] });
  }

  /** Groups aggregate() rows by these fields. */
  groupBy(...fields: FieldPath<T>[]): StoreQuery<T, R> {
    return this.#with({ groupBy: [...(this.#state.groupBy ?? []), ...fields] });
  }

  /** The find document of this query, without running it. */
  toQuery(): FindQuery {
    return copyDefined({ op: "find", store: this.#state.store }, this.#state, FIND_FIELDS);
  }

  /** Builders for every query document of this chain, without running. */
  get build(): QueryDocuments<T> {
    const state = this.#state;
    const store = state.store;
    const toQuery = () => this.toQuery();
    return {
      find: toQuery,
      count: () => copyDefined({ op: "count", store }, state, READ_FIELDS),
      get: (key) => ({ op: "get", store, key }),
      aggregate: (aggregates: Aggregates) => ({
        ...copyDefined({ op: "aggregate" as const, store }, state, [...READ_FIELDS, "groupBy"]),
        aggregates: { ...aggregates },
      }),
      update: (changes) => {
        const query: UpdateQuery = copyDefined({ op: "update", store }, state, READ_FIELDS);
        if (changes.set !== undefined) query.set = { ...changes.set } as Document;
        if (changes.unset !== undefined) query.unset = [...changes.unset];
        if (changes.inc !== undefined) query.inc = { ...changes.inc } as Record<string, number>;
        return query;
      },
      delete: (key) => {
        const query: DeleteQuery = copyDefined({ op: "delete", store }, state, READ_FIELDS);
        if (key !== undefined) query.key = key;
        return query;
      },
      insert: (documents) => ({
        op: "insert",
        store,
        documents: (Array.isArray(documents) ? [...documents] : [documents]) as Document[],
      }),
      replace: (key, document) => ({ op: "replace", store, key, document: document as Document }),
      explain: (query) => ({ op: "explain", query: query ?? toQuery() }),
    };
  }

  async #run(query: Parameters<Transport["run"]>[0]): Promise<unknown> {
    if (this.#transport === undefined) {
      throw new TypeError(
        `Cannot run a query on "${this.#state.store}": no transport (use toQuery() to build only)`,
      );
    }
    return await this.#transport.run(query);
  }

  /** Runs the query and returns the matching documents. */
  async find(): Promise<Row<R>[]> {
    return (await this.#run(this.toQuery())) as Row<R>[];
  }

  /** Runs the query with limit 1 and returns the first match, or null. */
  async first(): Promise<Row<R> | null> {
    const rows = (await this.#run({ ...this.toQuery(), limit: 1 })) as Row<R>[];
    return rows[0] ?? null;
  }

  /** Counts the matching documents. */
  async count(): Promise<number> {
    return ((await this.#run(this.build.count())) as CountResult).count;
  }

  /** Reads one document by key, or null. */
  async get(key: string): Promise<Row<T> | null> {
    return ((await this.#run(this.build.get(key))) ?? null) as Row<T> | null;
  }

  /** Aggregates the matching documents, one row per group (see groupBy). */
  async aggregate<A extends Aggregates>(
    aggregates: A & NoInfer<CheckedAggregates<T, A>>,
  ): Promise<AggregateResultRow<{ [K in keyof A]: AggregateValue<T, A[K]> }>[]> {
    const rows = await this.#run(this.build.aggregate<A>(aggregates));
    return rows as AggregateResultRow<{ [K in keyof A]: AggregateValue<T, A[K]> }>[];
  }

  /** Updates every match. */
  async update(changes: Changes<T>): Promise<UpdateResult> {
    return (await this.#run(this.build.update(changes))) as UpdateResult;
  }

  /** Deletes every match, or the one document with `key`. */
  async delete(key?: string): Promise<DeleteResult> {
    return (await this.#run(this.build.delete(key))) as DeleteResult;
  }

  /** Inserts one document or many (atomically). */
  async insert(documents: T | readonly T[]): Promise<InsertResult> {
    return (await this.#run(this.build.insert(documents))) as InsertResult;
  }

  /** Replaces the document with `key`. */
  async replace(key: string, document: T): Promise<UpdateResult> {
    return (await this.#run(this.build.replace(key, document))) as UpdateResult;
  }

  /**
   * Watches the store (or, after filter(), the query) as an async iterator of change events:
   * without a filter insert/update/delete, with one enter/update/leave (docs/changes.md). The
   * query's range() applies unless `options` gives key or from/to; orderBy, limit and the other
   * find options do not apply to a watch and are refused.
   */
  watch(options: WatchRequestOptions = {}): AsyncIterableIterator<WatchEvent<R>> {
    const state = this.#state;
    const transport = this.#transport;
    if (!canWatch(transport)) {
      throw new TypeError(`Cannot watch "${state.store}": this transport does not offer watch`);
    }
    for (const field of [...FIND_CLAUSES, "groupBy"] as const) {
      if (state[field] !== undefined) throw new TypeError(`Cannot watch a query with ${field}`);
    }
    const spec: WatchSpec = { store: state.store };
    const ownKeys = options.key !== undefined || options.from !== undefined || options.to !== undefined;
    if (!ownKeys && state.range?.from !== undefined) spec.from = state.range.from;
    if (!ownKeys && state.range?.to !== undefined) spec.to = state.range.to;
    for (const field of ["key", "from", "to", "since", "snapshot"] as const) {
      if (options[field] !== undefined) (spec as unknown as Record<string, unknown>)[field] = options[field];
    }
    if (state.filter !== undefined) spec.filter = state.filter;
    return transport.watch(spec) as AsyncIterableIterator<WatchEvent<R>>;
  }

  /** Explains the plan of `query` (default: this find) without running it. */
  async explain(query?: ExplainQuery["query"]): Promise<ExplainResult> {
    return (await this.#run(this.build.explain(query))) as ExplainResult;
  }
}

/**
 * Starts a query on a store.
 * @example
 * ```ts
 * import { from, where } from "./mod.ts";
 * interface Order { status: string; amount: number; created: Date }
 * const query = from<Order>("orders")
 *   .filter(where("status").eq("open").and(where("amount").gte(10)))
 *   .orderBy("created", "desc")
 *   .limit(20)
 *   .toQuery();
 * ```
 */
export function from<T = Document>(store: string, transport?: Transport): StoreQuery<T> {
  return new StoreQuery<T>(store, transport);
}
