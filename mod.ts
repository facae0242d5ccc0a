/**
 * Planck's public library for people who build on Planck: the typed query builder, the clients and
 * the types. It depends on nothing server-side, so the same code runs natively and inside a `.wasm`.
 *
 * The in-process engine (for embedding Planck in a Deno program) is `engine/mod.ts`.
 *
 * @module
 */
export type { Document, QueryDocument, Value } from "./engine/query/query_document.ts";
export { ClientError, connect, type ConnectOptions, PlanckClient } from "./client/mod.ts";
export type {
  ClientBatchResult,
  ClientUser,
  ClientWriteOp,
  ConnectionInfo,
  ErrorCode,
} from "./client/mod.ts";
