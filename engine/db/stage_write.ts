/**
 * The one staging step every write passes through — the Store API, batches, query-document writes
 * (insert, update, replace, delete by filter: PQL, the wire `query` op, the builder, service
 * handlers) and transactions — before its write set is committed:
 *   1. the document is encoded (or its caller-supplied BSON frame checked) within DOC_BYTES_MAX;
 *   2. its shape is checked (document_shape.ts: DOC_DEPTH_MAX nesting, field names);
 *   3. the write set is under GROUP_OPS_MAX writes;
 *   4. it is buffered in the write set;
 *   5. every unique index of the store is checked against the new version (indexes/unique.ts);
 *      inside a transaction the index ranges consulted join its read set, so a duplicate committed
 *      meanwhile by another writer fails this one at commit with the same `conflict`.
 * Index entries are not written here: they are derived from the documents when the committed group
 * is applied (Database), the one place index maintenance happens.
 *
 * Invariants: a write that fails a check throws before the caller commits (its group writes
 * nothing); a put reaches the write set only through `stagePut`.
 */
import type { Database } from "./database.ts";
import { decodeDocument, type Document, encodeDocument } from "../document.ts";
import { checkDocumentShape } from "../document_shape.ts";
import { PlanckError } from "../../protocol/errors.ts";
import { type Key, type KeyInput, parseKey } from "../key.ts";
import { GROUP_OPS_MAX } from "../limits.ts";
import { checkUnique } from "../indexes/unique.ts";
import type { WriteSet } from "./write_set.ts";

/** A write of the Store API, a batch or a wire key-value op. */
export type WriteOp =
  | { op: "insert"; store: string; doc: Document | Uint8Array; key?: KeyInput }
  | { op: "put"; store: string; key: KeyInput; doc: Document | Uint8Array }
  | { op: "replace"; store: string; key: KeyInput; doc: Document | Uint8Array }
  | { op: "update"; store: string; key: KeyInput; set: Document }
  | { op: "delete"; store: string; key: KeyInput };

/** The store a write goes to. */
export interface StoreRef {
  id: number;
  name: string;
}

function checkGroupSize(writes: WriteSet): void {
  if (writes.size >= GROUP_OPS_MAX) {
    throw new PlanckError(
      "limit_exceeded",
      `Too many documents in one atomic write: more than GROUP_OPS_MAX (${GROUP_OPS_MAX})`,
      { limit: "GROUP_OPS_MAX" },
    );
  }
}

/**
 * Encodes and checks `doc` as a stored document (steps 1 and 2), without staging it.
 * @throws PlanckError `limit_exceeded` (DOC_BYTES_MAX, DOC_DEPTH_MAX), `invalid_argument`
 */
export function encodeStored(doc: Document | Uint8Array, field = "document"): Uint8Array {
  const bytes = encodeDocument(doc, field);
  checkDocumentShape(bytes, field, doc instanceof Uint8Array);
  return bytes;
}

/**
 * Stages `doc` under `key` (steps 1–5); `fresh` when the key is known to have no committed version
 * (a generated key: the WAL frame is then an `insert`). Returns the stored bytes.
 * @throws PlanckError `conflict` (unique index), `limit_exceeded`, `invalid_argument`
 */
export function stagePut(
  db: Database,
  writes: WriteSet,
  store: StoreRef,
  key: Key,
  doc: Document | Uint8Array,
  field = "document",
  fresh = false,
): Uint8Array {
  const bytes = encodeStored(doc, field);
  checkGroupSize(writes);
  writes.put(store.id, key, bytes, fresh);
  if (db.indexes.hasAny(store.id)) checkUnique(db, writes, store.id, key, bytes);
  return bytes;
}

/** Stages a delete of `key` (a delete frees unique values; nothing to check but the group size). */
export function stageDelete(writes: WriteSet, store: StoreRef, key: Key): void {
  checkGroupSize(writes);
  writes.delete(store.id, key);
}

/**
 * Resolves one write op into `writes`. Returns the affected key, or null for a delete that found
 * nothing.
 * @throws PlanckError `conflict` (insert of an existing key, unique index), `not_found`
 * (replace/update of a missing key), `limit_exceeded`, `invalid_argument`
 */
export function stageWrite(db: Database, writes: WriteSet, op: WriteOp): Key | null {
  const store = db.storeInfo(op.store);
  switch (op.op) {
    case "insert": {
      const key = op.key === undefined ? db.newKey() : parseKey(op.key);
      if (op.key !== undefined && writes.read(store.id, key) !== undefined) {
        throw new PlanckError("conflict", `Key "${key}" already exists in store "${store.name}"`, {
          field: "key",
        });
      }
      stagePut(db, writes, store, key, op.doc, "document", op.key === undefined);
      return key;
    }
    case "put": {
      const key = parseKey(op.key);
      stagePut(db, writes, store, key, op.doc);
      return key;
    }
    case "replace": {
      const key = parseKey(op.key);
      requireExisting(writes, store, key);
      stagePut(db, writes, store, key, op.doc);
      return key;
    }
    case "update": {
      const key = parseKey(op.key);
      const current = decodeDocument(requireExisting(writes, store, key));
      if (op.set === null || typeof op.set !== "object" || Array.isArray(op.set)) {
        throw new PlanckError("invalid_argument", "Invalid update: expected an object of fields to set", {
          field: "set",
        });
      }
      stagePut(db, writes, store, key, { ...current, ...op.set });
      return key;
    }
    case "delete": {
      const key = parseKey(op.key);
      if (writes.read(store.id, key) === undefined) return null;
      stageDelete(writes, store, key);
      return key;
    }
    default:
      throw new PlanckError("invalid_argument", `Unknown write op "${(op as { op: string }).op}"`, {
        field: "op",
      });
  }
}

function requireExisting(writes: WriteSet, store: StoreRef, key: Key): Uint8Array {
  const current = writes.read(store.id, key);
  if (current === undefined) {
    throw new PlanckError("not_found", `No document with key "${key}" in store "${store.name}"`, {
      field: "key",
    });
  }
  return current;
}
