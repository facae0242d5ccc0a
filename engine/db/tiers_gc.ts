/**
 * What a value-log GC writes into the tiers: the live entries of the victim segments copied to the
 * active segment and their tree entries repointed. The caller (`Tiers.gc`) commits the writer and only
 * then deletes the victims (docs/storage-format.md, "GC"); on failure it keeps listing them.
 *
 * Invariants: the active segment is never a victim; every tree entry that pointed into a victim is
 * repointed in the same commit; the work yields to the event loop every CHUNK_ENTRIES entries.
 */
import type { BTree } from "../btree/btree.ts";
import { namespacePrefix } from "./tree_keys.ts";
import {
  decodePointer,
  encodePointerScratch,
  isPointer,
  type ValueLog,
  type ValuePointer,
} from "../vlog/vlog.ts";
import { CHUNK_ENTRIES, pause, type TreeWriter } from "./tiers_flush.ts";
import { assert } from "../assert.ts";

/** What a GC run did. */
export interface GcResult {
  segments: number[];
  movedEntries: number;
  freedBytes: number;
}

/** Copies the live entries of `victims` and stages their new pointers into `writer`; returns how many. */
export async function stageSegmentRewrite(
  tree: BTree,
  vlog: ValueLog,
  writer: TreeWriter,
  victims: readonly number[],
  slowMs: number,
): Promise<number> {
  assert(!victims.includes(vlog.activeSequence), "gc: the active value-log segment is not a victim");
  const doomed = new Set(victims);
  const live: [Uint8Array, ValuePointer][] = [];
  for (const [treeKey, value] of tree.cursor({ from: namespacePrefix(1) })) {
    if (!isPointer(value)) continue; // a secondary index entry
    const pointer = decodePointer(value);
    if (doomed.has(pointer.segment)) live.push([treeKey.slice(), pointer]);
  }
  let moved = 0;
  for (let i = 0; i < live.length; i += CHUNK_ENTRIES) {
    const chunk = live.slice(i, i + CHUNK_ENTRIES);
    const pointers = vlog.append(chunk.map(([, pointer]) => vlog.read(pointer)));
    chunk.forEach(([treeKey], j) => writer.put(treeKey, encodePointerScratch(pointers[j])));
    moved += chunk.length;
    await pause(slowMs);
  }
  return moved;
}
