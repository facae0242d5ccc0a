/**
 * What a flush writes into the tiers: a frozen memtable's documents appended to the value log and
 * pointed at from the tree, its index entries, the catalog and index definitions as of its last LSN,
 * and the ranges of dropped stores and indexes deleted. The caller (`Tiers.flush`) commits the
 * writer with the checkpoint; nothing here is visible before that commit.
 *
 * Invariants: every tree entry a flush replaces or deletes that pointed into the value log is marked
 * dead there (GC's dead ratio counts it); each document chunk is appended before its pointers are
 * written; the work yields to the event loop every CHUNK_ENTRIES entries.
 */
import { setImmediate } from "node:timers";
import type { BTree } from "../btree/btree.ts";
import type { StoreInfo } from "./catalog.ts";
import { encodeIndexDef, type IndexDef } from "../indexes/indexes.ts";
import type { Key } from "../key.ts";
import type { Memtable } from "../memtable/memtable.ts";
import {
  catalogTreeKey,
  docTreeKeyScratch,
  indexDefTreeKey,
  indexTreeKeyScratch,
  namespacePrefix,
  systemRange,
} from "./tree_keys.ts";
import { decodePointer, encodePointerScratch, isPointer, type ValueLog } from "../vlog/vlog.ts";
import { assert } from "../assert.ts";

/** Documents per flush/GC chunk between yields to the event loop. */
export const CHUNK_ENTRIES = 256;

/** The writer of one tree commit. */
export type TreeWriter = ReturnType<BTree["beginWrite"]>;

/** What a flush is given: a frozen memtable and the catalog as of its last LSN. */
export interface FlushInput {
  memtable: Memtable;
  lsn: number;
  stores: StoreInfo[];
  indexes: IndexDef[];
  nextId: number;
  /** Store and index ids dropped since the last flush: their ranges are deleted. */
  dropped: number[];
}

const EMPTY = new Uint8Array(0);
const encoder = new TextEncoder();

/** Yields to the event loop (after `ms` when crash tests widen the window). */
export const pause = (ms: number): Promise<void> =>
  new Promise<void>((r) => ms > 0 ? setTimeout(r, ms) : setImmediate(r));

/** Stages one flush into `writer` (the tree `tree` is read for the entries it replaces). */
export async function stageFlush(
  tree: BTree,
  vlog: ValueLog,
  writer: TreeWriter,
  input: FlushInput,
  slowMs: number,
): Promise<void> {
  const live = new Set(input.stores.map((s) => s.id));
  for (const id of input.dropped) {
    assert(!live.has(id), `flush: dropped id ${id} is not a live store`);
    for (const [, pointer] of tree.cursor({ from: namespacePrefix(id), to: namespacePrefix(id + 1) })) {
      if (isPointer(pointer)) vlog.markDead(decodePointer(pointer));
    }
    writer.deleteRange(namespacePrefix(id), namespacePrefix(id + 1));
  }
  const [catalogFrom, catalogTo] = systemRange("catalog");
  writer.deleteRange(catalogFrom, catalogTo);
  for (const store of input.stores) writer.put(catalogTreeKey(store.id), encoder.encode(store.name));
  const [indexFrom, indexTo] = systemRange("index");
  writer.deleteRange(indexFrom, indexTo);
  for (const def of input.indexes) writer.put(indexDefTreeKey(def.id), encodeIndexDef(def));
  const indexIds = new Set(input.indexes.map((d) => d.id));
  for (const id of input.memtable.storeIds()) {
    if (!indexIds.has(id)) continue;
    let n = 0;
    for (const [entry, version] of input.memtable.entries(id)) {
      if (version.value === null) writer.delete(indexTreeKeyScratch(id, entry));
      else writer.put(indexTreeKeyScratch(id, entry), EMPTY);
      if (++n % CHUNK_ENTRIES === 0) await pause(slowMs);
    }
  }
  for (const storeId of input.memtable.storeIds()) {
    if (!live.has(storeId)) continue;
    let chunk: [Key, Uint8Array | null][] = [];
    for (const [key, entry] of input.memtable.entries(storeId)) {
      chunk.push([key, entry.value]);
      if (chunk.length === CHUNK_ENTRIES) {
        stageChunk(vlog, writer, storeId, chunk);
        chunk = [];
        await pause(slowMs);
      }
    }
    stageChunk(vlog, writer, storeId, chunk);
  }
}

/** Appends one chunk's documents to the value log and points their tree keys at them. */
function stageChunk(
  vlog: ValueLog,
  writer: TreeWriter,
  storeId: number,
  chunk: [Key, Uint8Array | null][],
): void {
  const values: Uint8Array[] = [];
  for (const [, value] of chunk) if (value !== null) values.push(value);
  const pointers = vlog.append(values);
  assert(pointers.length === values.length, "flush: one value-log pointer per document appended");
  let next = 0;
  for (const [key, value] of chunk) {
    const treeKey = docTreeKeyScratch(storeId, key); // the writer copies keys and values
    const old = writer.get(treeKey);
    if (old !== undefined && isPointer(old)) vlog.markDead(decodePointer(old));
    if (value === null) writer.delete(treeKey);
    else writer.put(treeKey, encodePointerScratch(pointers[next++]));
  }
}
