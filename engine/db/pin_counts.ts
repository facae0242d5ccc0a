/**
 * Counting the documents of every store as of a file pin's LSN (engine/db/file_pin.ts) without
 * blocking writers: the pinned tree holds the checkpoint's documents (its subtree counts give a
 * store's total in O(log n)) and the memtables frozen at the pin hold every later version up to
 * the LSN. For each key of a store in those memtables, its newest version there decides: a live
 * version of a key the tree lacks adds one, a tombstone of a key the tree has takes one away.
 *
 * The work runs in slices of at most COUNT_SLICE_MS between yields to the event loop.
 *
 * Invariants: nothing read here changes while the pin is held (frozen memtables are immutable,
 * the tree is not committed while pinned); the count stops with `conflict` if the pin goes.
 */
import { setImmediate } from "node:timers";
import { PlanckError } from "../../protocol/errors.ts";
import type { Memtable } from "../memtable/memtable.ts";
import type { StoreInfo } from "./catalog.ts";
import type { Tiers } from "./tiers.ts";

/** Longest stretch of counting between yields to the event loop, in ms. */
export const COUNT_SLICE_MS = 4;
/** Keys examined between two looks at the clock. */
const CLOCK_EVERY = 1024;

/** A store and its live documents at one LSN. */
export interface StoreCount {
  name: string;
  documents: number;
}

/** Counts every store of `stores` as of the pin; `memtables` newest first; `held` false stops it. */
export async function countAtPin(
  tiers: Pick<Tiers, "countDocuments" | "hasDocument">,
  memtables: readonly Memtable[],
  stores: readonly StoreInfo[],
  held: () => boolean,
): Promise<StoreCount[]> {
  const out: StoreCount[] = [];
  let sliceStart = performance.now();
  let seen = 0;
  for (const store of stores) {
    let documents = tiers.countDocuments(store.id);
    for (let i = 0; i < memtables.length; i++) {
      for (const [key, entry] of memtables[i].entries(store.id)) {
        if (++seen % CLOCK_EVERY === 0 && performance.now() - sliceStart > COUNT_SLICE_MS) {
          await new Promise((resolve) => setImmediate(resolve));
          if (!held()) throw new PlanckError("conflict", "The file pin was released while counting");
          sliceStart = performance.now();
        }
        if (newerHas(memtables, i, store.id, key)) continue;
        documents += (entry.value !== null ? 1 : 0) - (tiers.hasDocument(store.id, key) ? 1 : 0);
      }
    }
    out.push({ name: store.name, documents });
  }
  return out;
}

function newerHas(memtables: readonly Memtable[], before: number, storeId: number, key: string): boolean {
  for (let i = 0; i < before; i++) if (memtables[i].get(storeId, key) !== undefined) return true;
  return false;
}
