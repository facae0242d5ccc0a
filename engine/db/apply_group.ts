/**
 * Applying one committed WAL group to the in-memory state — the memtable, index entries and the
 * catalog — the same way at commit and at recovery, so a replayed group and a live one leave the
 * same state (docs/storage-format.md, "WAL recovery").
 *
 * Invariants: frames of a group have consecutive LSNs starting at `firstLsn`; an index delta is
 * applied before the document it derives from, at the document's LSN.
 */
import { assert } from "../assert.ts";
import { type Key, keyFromBytes } from "../key.ts";
import type { Memtable } from "../memtable/memtable.ts";
import { type FrameInput, FrameKind } from "../wal/format.ts";
import type { Group } from "../wal/reader.ts";
import { decodeIndexDef, type IndexDef, type Indexes } from "../indexes/indexes.ts";
import type { Catalog } from "./catalog.ts";

/** The value of an index entry: presence is all it records. */
export const EMPTY = new Uint8Array(0);

/** A group's frames: staged at commit (LSN implied) or read back from the WAL (LSN carried). */
export type GroupFrames = readonly (FrameInput & { lsn?: number })[] | Group["frames"];

/** The state a group changes. */
export interface ApplyTarget {
  readonly indexes: Indexes;
  readonly catalog: Catalog;
  /** Ids of dropped stores and indexes whose data the next flush removes from lower tiers. */
  readonly dropped: Set<number>;
  /** The live memtable (a new one after each freeze). */
  active(): Memtable;
  /** The live version of a key before this group, for index deltas. */
  read(storeId: number, key: Key): Uint8Array | undefined;
  startBackfill(def: IndexDef): void;
}

/** The key of a document frame in canonical hex. */
export function hexKeyOf(frame: { key?: Uint8Array; hexKey?: string }): Key {
  return frame.hexKey ?? keyFromBytes(frame.key!);
}

/** Applies the frames of one committed group, the first at `firstLsn`. */
export function applyGroup(target: ApplyTarget, frames: GroupFrames, firstLsn: number): void {
  let lsn = firstLsn;
  for (const frame of frames) {
    assert(frame.lsn === undefined || frame.lsn === lsn, "group frames have consecutive LSNs");
    switch (frame.kind) {
      case FrameKind.put:
      case FrameKind.insert:
      case FrameKind.delete: {
        assert(
          target.catalog.byId(frame.storeId) !== undefined,
          "apply: a document frame names a live store",
        );
        const key = hexKeyOf(frame);
        const value = frame.kind === FrameKind.delete ? null : frame.value!;
        assert(value === null || value.length > 0, "apply: a put carries a document");
        if (target.indexes.hasAny(frame.storeId)) {
          const before = frame.kind === FrameKind.insert
            ? undefined
            : (frame as FrameInput).before ?? target.read(frame.storeId, key);
          for (const delta of target.indexes.deltas(frame.storeId, key, before, value ?? undefined)) {
            target.active().apply(delta.indexId, delta.entry, lsn, delta.present ? EMPTY : null);
          }
        }
        target.active().apply(frame.storeId, key, lsn, value);
        break;
      }
      case FrameKind.createIndex: {
        const def = decodeIndexDef(frame.value!);
        target.indexes.add(def);
        target.catalog.reserve(def.id + 1);
        target.startBackfill(def);
        break;
      }
      case FrameKind.dropIndex:
        if (target.indexes.remove(frame.storeId) !== undefined) target.dropped.add(frame.storeId);
        break;
      case FrameKind.createStore:
        target.catalog.add({ id: frame.storeId, name: new TextDecoder().decode(frame.value) });
        break;
      case FrameKind.dropStore:
        target.catalog.remove(frame.storeId);
        target.dropped.add(frame.storeId);
        target.active().dropStore(frame.storeId);
        for (const def of target.indexes.forStore(frame.storeId)) {
          target.indexes.remove(def.id);
          target.dropped.add(def.id);
        }
        break;
    }
    lsn++;
  }
}
