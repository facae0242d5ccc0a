/**
 * Query ops: `query` runs a query document, `pql` compiles a PQL statement to one, and the
 * shortcuts (count, aggregate, createStore, dropStore, createIndex, dropIndex, listStores,
 * listIndexes) build one from their fields. All of them end in `runQuery`: validate, authorize,
 * create a missing store for an insert, then the engine's executor.
 *
 * Invariants: the executor only ever sees validated documents the session is allowed to run; no
 * query logic lives here; non-admins never see system stores, nor stores of apps they are not granted, listed.
 */
import { PlanckError } from "../../protocol/errors.ts";
import { parsePql } from "../../engine/pql/mod.ts";
import { executeQuery } from "../../engine/exec/executor.ts";
import type { QueryDocument } from "../../protocol/query_document.ts";
import { validateQuery } from "../../engine/query/validate.ts";
import { authorize, mayReach, queryAccess } from "./authorize.ts";
import { createMissingStores } from "../../engine/db/missing_stores.ts";
import { expectFields, objectField, type OpCall, stringField } from "./request.ts";

/** Wire shortcut op → the query document op it builds. */
export const QUERY_SHORTCUTS: Record<string, QueryDocument["op"]> = {
  count: "count",
  aggregate: "aggregate",
  createStore: "createStore",
  dropStore: "dropStore",
  createIndex: "createIndex",
  dropIndex: "dropIndex",
  listStores: "showStores",
  listIndexes: "showIndexes",
};

/** Validates, authorizes and executes one query document. */
export async function runQuery(call: Omit<OpCall, "request">, input: unknown): Promise<unknown> {
  const { ctx, session } = call;
  const query = validateQuery(input);
  const { access, stores } = queryAccess(query);
  authorize(session.user!, { access, what: `query op "${query.op}"`, stores });
  const created = query.op === "insert" ? createMissingStores(ctx.db, [query.store]) : undefined;
  const [, result] = await Promise.all([created, executeQuery(ctx.db, query)]);
  if (query.op === "showStores" && session.user!.role !== "admin" && Array.isArray(result)) {
    const user = session.user!;
    return result.filter((row) => mayReach(user, String((row as { name?: unknown })?.name ?? ""), "read"));
  }
  return result;
}

/** `query {query}` → the executor's result. */
export async function opQuery({ ctx, session, request }: OpCall): Promise<unknown> {
  expectFields(request, ["query"]);
  return await runQuery({ ctx, session }, objectField(request, "query"));
}

/** `pql {text}` → the executor's result for the compiled statement. */
export async function opPql({ ctx, session, request }: OpCall): Promise<unknown> {
  expectFields(request, ["text"]);
  return await runQuery({ ctx, session }, parsePql(stringField(request, "text")));
}

/** A shortcut op: its fields (besides id and op) form the query document. */
export async function opShortcut({ ctx, session, request }: OpCall): Promise<unknown> {
  const op = QUERY_SHORTCUTS[request.op];
  if (op === undefined) throw new PlanckError("internal", `No query shortcut for op "${request.op}"`);
  const { id: _id, op: _op, ...fields } = request;
  return await runQuery({ ctx, session }, { ...fields, op });
}
