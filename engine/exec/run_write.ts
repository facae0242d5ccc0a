/**
 * Runs the write ops (update, delete, insert, replace) by staging them into a WriteSet; the caller
 * commits it (one atomic WAL group) or, inside a transaction, merges it into the transaction's.
 *
 * Invariants:
 * - Nothing is staged before every check that can fail for that document has passed, and a
 *   failure anywhere throws before the caller commits: a multi-document write is all or nothing.
 * - The scan reads the view, not the write set being filled, so a document is visited once and an
 *   update never sees its own output.
 * - A document whose encoded bytes do not change is matched but not modified and not written.
 * - Every write is staged through db/stage_write.ts (validation, GROUP_OPS_MAX, unique indexes).
 */
import type { StoreInfo } from "../db/catalog.ts";
import type { Database } from "../db/database.ts";
import { encodeDocument } from "../document.ts";
import { stageDelete as stageDeleteOf, stagePut } from "../db/stage_write.ts";
import { PlanckError } from "../../protocol/errors.ts";
import type { Key } from "../key.ts";
import type { WriteSet } from "../db/write_set.ts";
import type { Plan } from "./planner.ts";
import type {
  DeleteQuery,
  Document,
  InsertQuery,
  ReplaceQuery,
  UpdateQuery,
} from "../../protocol/query_document.ts";
import { compileQueryFilter, matches, type QueryView, type ScanStats } from "./scan.ts";
import { applyChanges } from "../query/update_doc.ts";

/** Result of update and replace. */
export interface UpdateResult {
  matched: number;
  modified: number;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) return false;
  }
  return true;
}

/** Stages an update of every match of the plan (`writes` undefined: only count, for explain). */
export function stageUpdate(
  db: Database,
  view: QueryView,
  plan: Plan,
  query: UpdateQuery,
  writes: WriteSet | undefined,
  stats: ScanStats,
): UpdateResult {
  const result = { matched: 0, modified: 0 };
  for (const match of matches(view, plan, compileQueryFilter(query.filter), stats, writes !== undefined)) {
    result.matched++;
    if (writes === undefined) continue;
    const bytes = encodeDocument(applyChanges(match.doc, query, match.key));
    if (sameBytes(bytes, match.bytes)) continue;
    stagePut(db, writes, plan.store, match.key, bytes);
    result.modified++;
  }
  return result;
}

/** Stages a delete of every match of the plan (`writes` undefined: only count, for explain). */
export function stageDelete(
  view: QueryView,
  plan: Plan,
  query: DeleteQuery,
  writes: WriteSet | undefined,
  stats: ScanStats,
): { deleted: number } {
  let deleted = 0;
  for (const match of matches(view, plan, compileQueryFilter(query.filter), stats, false)) {
    if (writes !== undefined) stageDeleteOf(writes, plan.store, match.key);
    deleted++;
  }
  return { deleted };
}

/** A document without its `key` field (the key travels beside it). */
function withoutKey(doc: Document): Document {
  if (!Object.hasOwn(doc, "key")) return doc;
  const { key: _key, ...rest } = doc;
  return rest;
}

/**
 * Stages the inserts of one query: a document's own `key` field is its key (not stored as a
 * field); other documents get a server-generated key.
 * @throws PlanckError `conflict` when a supplied key exists (or repeats within the query)
 */
export function stageInsert(
  db: Database,
  store: StoreInfo,
  query: InsertQuery,
  writes: WriteSet,
): { inserted: Key[] } {
  const inserted: Key[] = [];
  query.documents.forEach((doc, i) => {
    // BSON bytes (a native guest's, passed through) carry no key: validate.ts decoded any that did.
    const supplied = !(doc instanceof Uint8Array) && typeof doc.key === "string" ? doc.key : undefined;
    if (supplied !== undefined && writes.read(store.id, supplied) !== undefined) {
      throw new PlanckError("conflict", `Key "${supplied}" already exists in store "${store.name}"`, {
        field: `documents.${i}.key`,
      });
    }
    const key = supplied ?? db.newKey();
    const stored = doc instanceof Uint8Array ? doc : withoutKey(doc);
    // A generated key has no committed version: its frame is an insert (no lookup at commit).
    stagePut(db, writes, store, key, stored, `documents.${i}`, supplied === undefined);
    inserted.push(key);
  });
  return { inserted };
}

/** Stages a replace of the document under `query.key`; a missing document matches nothing. */
export function stageReplace(
  db: Database,
  store: StoreInfo,
  query: ReplaceQuery,
  writes: WriteSet,
): UpdateResult {
  const current = writes.read(store.id, query.key);
  if (current === undefined) return { matched: 0, modified: 0 };
  const bytes = encodeDocument(withoutKey(query.document), "document");
  if (sameBytes(bytes, current)) return { matched: 1, modified: 0 };
  stagePut(db, writes, store, query.key, bytes, "document");
  return { matched: 1, modified: 1 };
}
