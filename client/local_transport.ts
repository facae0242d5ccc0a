/**
 * In-process transports for the typed builder: `from<Order>("orders", localTransport(db))` runs
 * its queries through this process's executor, with no wire in between; `local(db).store<Order>(
 * "orders")` is the same, bound once. With `{ tx }` the queries run inside that transaction.
 *
 * Invariants: every query goes through executeQuery (validated, same results as over the wire).
 */
import { from, type StoreQuery, type Transport, type WatchEvent, type WatchSpec } from "../builder/mod.ts";
import { watchFilter } from "../engine/changes/filter_watch.ts";
import { watchStore } from "../engine/changes/watch.ts";
import type { Database } from "../engine/db/database.ts";
import type { Transaction } from "../engine/tx/transaction.ts";
import { executeQuery } from "../engine/exec/executor.ts";
import type { Document, QueryDocument } from "../protocol/query_document.ts";

/**
 * A builder Transport that runs queries on `db` in this process (inside `options.tx` if given).
 * Outside a transaction it also watches (`store.watch()`, `store.filter(...).watch()`), with the
 * engine's change streams (engine/changes/).
 */
export function localTransport(db: Database, options: { tx?: Transaction } = {}): Transport {
  const run = (query: QueryDocument): Promise<unknown> => executeQuery(db, query, options);
  if (options.tx !== undefined) return { run };
  return { run, watch: (spec: WatchSpec) => localWatch(db, spec) } as Transport;
}

/** Runs a builder watch on the engine: a filter watch when the spec has a filter, else a store watch. */
export function localWatch(db: Database, spec: WatchSpec): AsyncIterableIterator<WatchEvent> {
  const { store, filter, ...options } = spec;
  const events = filter === undefined
    ? watchStore(db, store, options)
    : watchFilter(db, store, filter, options);
  return events as AsyncIterableIterator<WatchEvent>;
}

/** Typed builders bound to one database. */
export interface LocalStores {
  /** A typed query on `name`: `local(db).store<Order>("orders").filter(...).find()`. */
  store<T = Document>(name: string): StoreQuery<T>;
}

/**
 * Builders bound to `db` (or to a transaction on it).
 * @example
 * ```ts
 * import { local } from "./local_transport.ts";
 * import { openDatabase } from "../engine/db/database.ts";
 * import { where } from "../builder/mod.ts";
 * interface Order { status: string; amount: number }
 * const dir = await Deno.makeTempDir();
 * const db = await openDatabase(dir);
 * await db.createStore("orders");
 * const orders = local(db).store<Order>("orders");
 * await orders.insert([{ status: "open", amount: 12 }, { status: "paid", amount: 5 }]);
 * const open = await orders.filter(where("status").eq("open")).find();
 * console.assert(open.length === 1 && open[0].amount === 12);
 * await db.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function local(db: Database, options: { tx?: Transaction } = {}): LocalStores {
  const transport = localTransport(db, options);
  return { store: <T = Document>(name: string): StoreQuery<T> => from<T>(name, transport) };
}
