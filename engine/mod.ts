/**
 * Planck's storage engine: stores of BSON documents under u128 keys, a WAL with group commit,
 * memtables and recovery. No HTTP, no WASM, no sockets.
 *
 * @example
 * ```ts
 * import { openDatabase, Store } from "./mod.ts";
 * const dir = await Deno.makeTempDir();
 * const db = await openDatabase(dir);
 * await db.createStore("orders");
 * const orders = new Store(db, "orders");
 * const key = await orders.insert({ status: "open", amount: 12 });
 * console.assert(orders.get(key)?.status === "open");
 * await db.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export {
  type Database,
  type DatabaseOptions,
  type DatabaseStats,
  openDatabase,
  type ScanOptions,
} from "./db/database.ts";
export { batch, type BatchResult, stageWrite, Store, type WriteOp } from "./db/store.ts";
export { CorruptionError } from "./disk_errors.ts";
export { type ErrorCode, type ErrorLocation, PlanckError } from "../protocol/errors.ts";
export { type Key, KEY_MAX, KEY_MIN, type KeyInput, parseKey } from "./key.ts";
export { decodeDocument, type Document, encodeDocument } from "./document.ts";
export type { RecoveryReport } from "./db/recovery.ts";
export type { Durability } from "./wal/wal.ts";
export * as limits from "./limits.ts";
export { Transaction, transaction, TransactionStore } from "./tx/transaction.ts";
export { executeQuery } from "./exec/executor.ts";
export { type IndexDef, Indexes } from "./indexes/indexes.ts";
export type { ChangeEvent, SnapshotEvent } from "./changes/record.ts";
export { type WatchIterator, type WatchOptions, watchStore } from "./changes/watch.ts";
export type { Retention } from "./changes/retention.ts";
export { type FilterEvent, type FilterWatchOptions, watchFilter } from "./changes/filter_watch.ts";
export { watchAll, type WatchAllOptions } from "./changes/watch_all.ts";
