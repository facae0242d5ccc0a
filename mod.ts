/**
 * Planck's public library for people who build on Planck: the typed query builder, the clients and
 * the types. It depends on nothing server-side, so the same code runs natively and inside a `.wasm`.
 *
 * The in-process engine (for embedding Planck in a Deno program) is `engine/mod.ts`.
 *
 * @example
 * ```ts
 * import { from, where } from "./mod.ts";
 *
 * type Order = { status: string; amount: number };
 * const query = from<Order>("orders").filter(where("status").eq("open").and(where("amount").gte(10)))
 *   .limit(20).toQuery();
 * console.assert(query.op === "find" && query.limit === 20);
 * ```
 *
 * @module
 */
export * from "./builder/mod.ts";
export { ClientError, connect, type ConnectOptions, PlanckClient } from "./client/mod.ts";
export type {
  ClientBatchResult,
  ClientUser,
  ClientWriteOp,
  ConnectionInfo,
  ErrorCode,
} from "./client/mod.ts";
export * from "./framework/mod.ts";
