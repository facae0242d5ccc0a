/**
 * Index creation checks and the backfill: an index is "building" from the moment its createIndex
 * frame is applied — every later write maintains it — while the backfill walks the store in chunks,
 * adding each document's entries, and yields to the event loop between chunks so writes continue.
 * Adding an entry that is already there is harmless, and a document rewritten during the walk is
 * indexed by its write, so the result is exact. A crash mid-backfill leaves the index "building"
 * in the checkpoint; the next open backfills again. `backfillProgress` reports a running backfill
 * as documents indexed of the documents counted (one key walk up to the last key, before indexing).
 */
import { setImmediate } from "node:timers";
import { decodeDocument } from "../document.ts";
import { PlanckError } from "../../protocol/errors.ts";
import { INDEX_FIELDS_MAX, type IndexDef, type Indexes } from "./indexes.ts";
import type { Key } from "../key.ts";
import type { IndexField } from "../../protocol/query_document.ts";
import { checkUniqueEntries, type UniqueSource } from "./unique.ts";

/** What a backfill needs of the database (engine/db/database.ts implements it). */
export interface BackfillTarget extends UniqueSource {
  readonly closed: boolean;
  readonly indexes: Indexes;
  scan(
    storeId: number,
    options: { from?: Key; reverse?: boolean; limit?: number },
  ): Iterable<[Key, Uint8Array]>;
  /** Adds the entries of documents the backfill indexed (it never removes any). */
  _addIndexEntries(indexId: number, entries: string[]): void;
}

/** Documents indexed per backfill chunk between yields. */
const BACKFILL_CHUNK_DOCS = 1_000;
const INDEX_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** Validates an index name and fields. @throws PlanckError `invalid_argument` / `conflict` */
export function validateIndexSpec(name: string, fields: IndexField[], taken: boolean): void {
  if (typeof name !== "string" || !INDEX_NAME.test(name)) {
    throw new PlanckError("invalid_argument", `Invalid index name "${String(name).slice(0, 80)}"`, {
      field: "name",
    });
  }
  if (taken) throw new PlanckError("conflict", `Index or store "${name}" already exists`, { field: "name" });
  if (!Array.isArray(fields) || fields.length === 0 || fields.length > INDEX_FIELDS_MAX) {
    throw new PlanckError("invalid_argument", `Index "${name}" needs 1 to ${INDEX_FIELDS_MAX} fields`, {
      field: "fields",
    });
  }
  for (const [i, f] of fields.entries()) {
    if (
      typeof f?.path !== "string" || f.path === "" || f.path === "key" ||
      (f.direction !== "asc" && f.direction !== "desc")
    ) {
      throw new PlanckError("invalid_argument", `Invalid field ${i} of index "${name}"`, {
        field: `fields.${i}`,
      });
    }
  }
}

const pause = () => new Promise<void>((resolve) => setImmediate(resolve));

/** How far a running backfill is: documents indexed of the documents it walks (null while counting). */
export interface BackfillProgress {
  done: number;
  total: number | null;
}

const PROGRESS = new WeakMap<IndexDef, BackfillProgress>();

/** The progress of `def`'s backfill while it runs, else undefined. */
export function backfillProgress(def: IndexDef): BackfillProgress | undefined {
  const p = PROGRESS.get(def);
  return p === undefined ? undefined : { ...p };
}

/** Counts the documents of the store up to key `last`, in chunks between yields. */
async function countUpTo(db: BackfillTarget, def: IndexDef, last: Key): Promise<number> {
  let total = 0;
  let after: Key | undefined;
  while (!db.closed && db.indexes.byId(def.id) === def) {
    const keys = [...db.scan(def.storeId, { from: after, limit: BACKFILL_CHUNK_DOCS + 1 })]
      .map(([key]) => key).filter((key) => key <= last && key !== after);
    if (keys.length === 0) break;
    total += keys.length;
    after = keys[keys.length - 1];
    await pause();
  }
  return total;
}

/** Backfills `def` from its store; resolves when every document is indexed. */
export async function backfillIndex(db: BackfillTarget, def: IndexDef): Promise<void> {
  await pause(); // never inside the caller's turn (the constructor is still replaying)
  // Documents written after this point are indexed by their writes: walk only up to today's last key
  // (new keys are time-ordered, so otherwise a busy writer would keep the walk going for ever).
  const last = [...db.scan(def.storeId, { reverse: true, limit: 1 })][0]?.[0];
  if (last === undefined) return;
  const progress: BackfillProgress = { done: 0, total: null };
  PROGRESS.set(def, progress);
  try {
    progress.total = await countUpTo(db, def, last);
    await walk(db, def, last, progress);
  } finally {
    PROGRESS.delete(def);
  }
}

async function walk(db: BackfillTarget, def: IndexDef, last: Key, progress: BackfillProgress): Promise<void> {
  let after: Key | undefined;
  while (!db.closed && db.indexes.byId(def.id) === def) {
    const rows = [...db.scan(def.storeId, { from: after, limit: BACKFILL_CHUNK_DOCS + 1 })]
      .filter(([key]) => key <= last);
    if (after !== undefined && rows.length > 0 && rows[0][0] === after) rows.shift();
    if (rows.length === 0) return;
    for (const [key, bytes] of rows) {
      const entries = db.indexes.entries(def.id, decodeDocument(bytes), key);
      if (def.unique) checkUniqueEntries(db, def, key, entries, null);
      db._addIndexEntries(def.id, entries);
      progress.done++;
    }
    after = rows[rows.length - 1][0];
    await pause();
  }
}
