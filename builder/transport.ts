/**
 * The transport a StoreQuery runs through: TCP client for native code, host calls inside a wasm
 * service, or anything else that can carry a query document to an executor and its result back.
 * Also the result shapes each op resolves to (docs/query.md, "Results").
 * Imports nothing server-side (runs inside wasm guests).
 */
import type { QueryDocument } from "../protocol/query_document.ts";

/** Runs one query document and resolves with the executor's result for it. */
export interface Transport {
  run(query: QueryDocument): Promise<unknown>;
}

/** Result of `count`. */
export interface CountResult {
  count: number;
}

/** Result of `insert`: the keys of the new documents, in input order. */
export interface InsertResult {
  inserted: string[];
}

/** Result of `update` (and `replace`): documents matched and documents changed. */
export interface UpdateResult {
  matched: number;
  modified: number;
}

/** Result of `delete`. */
export interface DeleteResult {
  deleted: number;
}

/** Result of `explain`: the plan, as the executor describes it. */
export type ExplainResult = Record<string, unknown>;

/** One aggregate row: `{ group: { path: value… }, alias: result… }`. */
export type AggregateResultRow<A> = { group: Record<string, unknown> } & A;
