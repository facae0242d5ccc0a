/**
 * Insert-like writes create their store: `createMissingStores` creates the stores of a write that do
 * not exist yet (the wire's key-value and query ops, offline PQL, import all do it the same way).
 *
 * Invariant: the creations are staged before the returned promise is (the engine appends and applies
 * a commit before its first await), so a write staged right after sees the stores, and requests keep
 * their order.
 */
import type { Database } from "./database.ts";

/** Creates `stores` that do not exist yet; resolves once every creation is durable. */
export function createMissingStores(db: Database, stores: Iterable<string>): Promise<unknown> {
  const creating: Promise<boolean>[] = [];
  for (const store of new Set(stores)) {
    if (!db.hasStore(store)) creating.push(db.createStore(store, { ifNotExists: true }));
  }
  return Promise.all(creating);
}
