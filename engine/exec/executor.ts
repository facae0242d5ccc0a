/**
 * The query executor: validates a query document, plans it and runs it against a database or a
 * transaction (result shapes: docs/query.md, "Results").
 *
 * Steps of `executeQuery` (no await before step 4, so a query sees one state and its writes land
 * in one atomic group that nothing else interleaves with):
 *   1. validate the untrusted document (validateQuery);
 *   2. plan the read part (planner.ts) and run it through the view (scan.ts);
 *   3. writes are staged into a fresh WriteSet — read-only queries never allocate one;
 *   4. commit the set as one WAL group and await its durability (outside a transaction), or merge
 *      it into the transaction's write set (inside one; the transaction commits at its end).
 *
 * Invariants: a query that throws stages nothing; DDL (create/drop store) never runs inside a
 * transaction; secondary-index ops answer `invalid_argument` until the engine has indexes.
 */
import type { Database } from "../db/database.ts";
import { PlanckError } from "../../protocol/errors.ts";
import { WriteSet } from "../db/write_set.ts";
import { explainQuery } from "./explain.ts";
import { type Plan, type PlanInput, planQuery } from "./planner.ts";
import type { FindQuery, QueryDocument } from "../../protocol/query_document.ts";
import { findRows, runFind } from "./run_find.ts";
import { runAggregate, runCount, runGet } from "./run_read.ts";
import { stageDelete, stageInsert, stageReplace, stageUpdate } from "./run_write.ts";
import type { Match, QueryView, ScanStats } from "./scan.ts";
import { validateQuery } from "../query/validate.ts";

/** Where a query runs: the database's catalog, the view it reads through and how it stages writes. */
export interface ExecutionContext {
  db: Database;
  view: QueryView;
  /**
   * The write set a query's writes are staged into: a fresh one, which the caller commits, or a
   * transaction's own (read-your-writes; the transaction commits it).
   */
  writeSet(): WriteSet;
}

/** A transaction as the executor sees it (engine/tx/transaction.ts): its database and its own query runner. */
export interface QueryTransaction {
  readonly db: Database;
  query(query: QueryDocument): unknown;
}

/** What the synchronous part of a query produced: its result and the writes to commit. */
export interface StagedQuery {
  result: unknown;
  /** The set its writes were staged into (ExecutionContext.writeSet); undefined for read-only queries. */
  writes?: WriteSet;
}

/** Plans a read on the query's store; indexes only when reading the database itself (no tx). */
function plan(ctx: ExecutionContext, query: PlanInput & { store: string }): Plan {
  const store = ctx.db.storeInfo(query.store);
  // Inside a transaction, indexes serve only stores it has not written (entries lag its writes).
  const view = ctx.view as QueryView & { hasWritesIn?(storeId: number): boolean };
  const usable = view === ctx.db ||
    (view.indexScan !== undefined && view.hasWritesIn !== undefined && !view.hasWritesIn(store.id));
  return planQuery(store, query, usable ? ctx.db.indexesOf(store.id) : []);
}

/** `show indexes on <store>`: one row per index. */
function showIndexes(db: Database, store: string): unknown[] {
  return db.listIndexes(store).map((def) => ({
    name: def.name,
    store,
    fields: def.fields,
    unique: def.unique,
    state: def.state,
    multikey: def.multikey,
  }));
}

/** Index DDL and listing: they commit by themselves, never inside a transaction. */
async function runIndexOp(db: Database, query: QueryDocument): Promise<unknown> {
  switch (query.op) {
    case "createIndex":
      await db.createIndex(query.name, query.store, query.fields, { unique: query.unique });
      return { created: query.name };
    case "dropIndex":
      await db.dropIndex(query.name);
      return { dropped: query.name };
    case "showIndexes":
      return showIndexes(db, query.store);
    default:
      throw new PlanckError("internal", `Query op "${query.op}" is not an index op`);
  }
}

function stats(): ScanStats {
  return { examined: 0 };
}

/** Runs the writing ops: stages them into the context's write set. */
function stageWrites(ctx: ExecutionContext, query: QueryDocument): StagedQuery {
  const { db, view } = ctx;
  const writes = ctx.writeSet();
  switch (query.op) {
    case "update":
      return {
        result: stageUpdate(db, view, plan(ctx, query), query, writes, stats()),
        writes,
      };
    case "delete":
      return {
        result: stageDelete(view, plan(ctx, query), query, writes, stats()),
        writes,
      };
    case "insert":
      return { result: stageInsert(db, db.storeInfo(query.store), query, writes), writes };
    case "replace":
      return { result: stageReplace(db, db.storeInfo(query.store), query, writes), writes };
    default:
      throw new PlanckError("internal", `Query op "${query.op}" does not write`);
  }
}

/**
 * The page of a validated find as stored rows (key and BSON bytes, unprojected): what a caller
 * that passes stored bytes on (the native service tier) splices into its reply.
 */
export function runFindRows(ctx: ExecutionContext, query: FindQuery): Match[] {
  return findRows(ctx.view, plan(ctx, query), query, stats());
}

/**
 * Runs a validated query's synchronous part: reads, and writes staged but not committed. DDL
 * (createStore, dropStore) is not handled here: it commits by itself (see executeQuery).
 */
export function runStaged(ctx: ExecutionContext, query: QueryDocument): StagedQuery {
  const { db, view } = ctx;
  switch (query.op) {
    case "get":
      return { result: runGet(view, db.storeInfo(query.store), query.key) };
    case "find":
      return { result: runFind(view, plan(ctx, query), query, stats()) };
    case "count":
      return { result: runCount(view, plan(ctx, query), query, stats()) };
    case "aggregate":
      return { result: runAggregate(view, plan(ctx, query), query, stats()) };
    case "update":
    case "delete":
    case "insert":
    case "replace":
      return stageWrites(ctx, query);
    case "explain":
      return { result: explainQuery(db, view, query.query) };
    case "showStores":
      return { result: db.listStores().map((store) => ({ name: store.name })) };
    case "showIndexes":
      return { result: showIndexes(db, query.store) };
    case "createIndex":
    case "dropIndex":
    case "createStore":
    case "dropStore":
      throw new PlanckError("invalid_argument", `Query op "${query.op}" cannot run inside a transaction`, {
        field: "op",
      });
  }
}

/**
 * Runs one query document and returns its result (shapes: docs/query.md, "Results"). The input is
 * validated first, so it may come straight off the wire. Writes are durable when the promise
 * resolves (in `sync` durability).
 * @param options.tx run inside this transaction: reads see its writes, writes join it
 * @throws PlanckError `invalid_argument` / `limit_exceeded` (bad query), `not_found` (unknown
 * store, missing `after` document), `conflict` (duplicate key on insert)
 */
export async function executeQuery(
  db: Database,
  query: QueryDocument,
  options: { tx?: QueryTransaction } = {},
): Promise<unknown> {
  if (options.tx !== undefined) {
    if (options.tx.db !== db) throw new TypeError("The transaction belongs to another database");
    return options.tx.query(query);
  }
  const valid = validateQuery(query);
  switch (valid.op) {
    case "createStore":
      await db.createStore(valid.store);
      return { created: valid.store };
    case "dropStore":
      await db.dropStore(valid.store);
      return { dropped: valid.store };
    case "createIndex":
    case "dropIndex":
    case "showIndexes":
      return await runIndexOp(db, valid);
  }
  const staged = runStaged({ db, view: db, writeSet: () => db.writeSet() }, valid);
  if (staged.writes !== undefined) await db.commit(staged.writes);
  return staged.result;
}
