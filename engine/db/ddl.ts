/**
 * Catalog changes: stores and secondary indexes created and dropped, each as one WAL group that
 * applyGroup (apply_group.ts) applies like any other, so recovery and replicas replay DDL in order
 * with the writes around it. A new index is backfilled in the background (engine/indexes/backfill.ts)
 * while writes maintain it from its first frame.
 *
 * Invariants: ids of stores and indexes come from one counter and are never reused; an index is
 * `building` until its backfill finished, and a unique index whose backfill finds a duplicate is
 * dropped again; DDL never runs inside a transaction.
 */
import { PlanckError } from "../../protocol/errors.ts";
import type { IndexField } from "../../protocol/query_document.ts";
import { type FrameInput, FrameKind } from "../wal/format.ts";
import { backfillIndex, type BackfillTarget, validateIndexSpec } from "../indexes/backfill.ts";
import { encodeIndexDef, type IndexDef } from "../indexes/indexes.ts";
import { validateStoreName } from "./catalog.ts";
import { checkOpen, type DatabaseState } from "./state.ts";
import { commitFrames } from "./writes.ts";

/** Creates a store. @throws PlanckError `conflict` when it exists (unless ifNotExists). */
export async function createStore(
  s: DatabaseState,
  name: string,
  options: { ifNotExists?: boolean; system?: boolean } = {},
): Promise<boolean> {
  checkOpen(s);
  validateStoreName(name, options);
  if (options.ifNotExists === true && s.catalog.byName(name) !== undefined) return false;
  s.catalog.checkCreate(name);
  const frame: FrameInput = {
    kind: FrameKind.createStore,
    storeId: s.catalog.nextId,
    value: new TextEncoder().encode(name),
  };
  await commitFrames(s, [frame]);
  return true;
}

/** Drops a store and all its documents. @throws PlanckError `not_found` (unless ifExists). */
export async function dropStore(
  s: DatabaseState,
  name: string,
  options: { ifExists?: boolean } = {},
): Promise<boolean> {
  checkOpen(s);
  const info = s.catalog.byName(name);
  if (info === undefined) {
    if (options.ifExists === true) return false;
    s.catalog.require(name);
  }
  await commitFrames(s, [{ kind: FrameKind.dropStore, storeId: info!.id }]);
  return true;
}

/**
 * Creates a secondary index and backfills it from the store without blocking writes (writes
 * maintain it from the start); resolves when it is ready.
 * @throws PlanckError `conflict` (name taken, or a unique index finds a duplicate: the index is dropped)
 */
export async function createIndex(
  s: DatabaseState,
  name: string,
  store: string,
  fields: IndexField[],
  options: { unique?: boolean; ifNotExists?: boolean } = {},
): Promise<IndexDef> {
  checkOpen(s);
  const existing = s.indexes.byName(name);
  if (existing !== undefined && options.ifNotExists === true) return existing;
  const info = s.catalog.require(store);
  validateIndexSpec(name, fields, existing !== undefined || s.catalog.byName(name) !== undefined);
  const def: IndexDef = {
    id: s.catalog.nextId,
    name,
    storeId: info.id,
    fields: fields.map((f) => ({ path: f.path, direction: f.direction })),
    unique: options.unique === true,
    state: "building",
    multikey: false,
  };
  s.catalog.reserve(def.id + 1);
  // The frame is applied (and the backfill started) before commitFrames first awaits.
  const committed = commitFrames(s, [{
    kind: FrameKind.createIndex,
    storeId: def.id,
    value: encodeIndexDef(def),
  }]);
  const backfill = s.backfills.get(def.id);
  await committed;
  try {
    await backfill;
  } catch (error) {
    if (s.indexes.byId(def.id) !== undefined) await dropIndex(s, name, { ifExists: true });
    throw error;
  }
  return s.indexes.byId(def.id) ?? def;
}

/** Drops a secondary index. @throws PlanckError `not_found` (unless ifExists) */
export async function dropIndex(
  s: DatabaseState,
  name: string,
  options: { ifExists?: boolean } = {},
): Promise<boolean> {
  checkOpen(s);
  const def = s.indexes.byName(name);
  if (def === undefined) {
    if (options.ifExists === true) return false;
    throw new PlanckError("not_found", `Unknown index "${name}"`, { field: "index" });
  }
  await commitFrames(s, [{ kind: FrameKind.dropIndex, storeId: def.id }]);
  return true;
}

/** Starts the backfill of `def` (the create frame was applied); it marks the index ready when done. */
export function startBackfill(s: DatabaseState, target: BackfillTarget, def: IndexDef): void {
  const run = backfillIndex(target, def).then(() => {
    def.state = "ready";
  });
  s.backfills.set(def.id, run);
  run.catch(() => {}).finally(() => s.backfills.delete(def.id));
}
