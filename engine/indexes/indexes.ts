/**
 * Secondary indexes: definitions and the entries a document contributes. An entry is
 * `encodeIndexKey(values, directions, docKey)` (engine/query/index_key.ts: order-preserving, one
 * total order across types), held in memtables as a latin1 string (string order = byte order) with
 * an empty value, and in the B+tree under the index's namespace id (docs/formats/value_log.md).
 *
 * Multikey: a field whose value is an array contributes one entry per element (an empty array
 * contributes the "missing" entry); a compound index takes the cross product, capped at
 * INDEX_ENTRIES_PER_DOC_MAX. Entries are never written to the WAL: they are derived from the
 * documents while the WAL is applied (live or replayed), and from the store by the backfill of an
 * index that is still "building".
 *
 * Invariants: one index per name (names are global across stores); entries are asked only of a
 * defined index.
 */
import { assert } from "../assert.ts";
import { Buffer } from "node:buffer";
// An entry point (mod.ts, client/mod.ts, engine/mod.ts) imported from another project has no import map
// of ours, so the npm package is named in full here (deno.json maps "bson" to the same version).
// deno-lint-ignore no-import-prefix
import { BSON } from "npm:bson@7.3.4";
import { decodeFields, type FieldNames, fieldNames } from "../bson_fields.ts";
import { decodeDocument } from "../document.ts";
import { PlanckError } from "../../protocol/errors.ts";
import { type Key, keyToBytes } from "../key.ts";
import { compilePathMatcher, type PathMatcher } from "../query/path.ts";
import { encodeIndexEntry } from "../query/index_key.ts";
import type { Document, IndexField } from "../../protocol/query_document.ts";

const DOC_KEY_SCRATCH = new Uint8Array(16);

/** Most entries one document may add to one index (cross product of array fields). */
export const INDEX_ENTRIES_PER_DOC_MAX = 1_000;
/** Largest encoded index definition, in bytes (it is a B+tree value). */
export const INDEX_DEF_BYTES_MAX = 240;
/** Most fields in a compound index. */
export const INDEX_FIELDS_MAX = 8;

/** A secondary index. */
export interface IndexDef {
  id: number;
  name: string;
  storeId: number;
  fields: IndexField[];
  unique: boolean;
  /** "building" until the backfill has covered every document; queries use only "ready" indexes. */
  state: "building" | "ready";
  /** True once some document contributed more than one entry (array values). */
  multikey: boolean;
}

/** One change to an index entry. */
export interface IndexDelta {
  indexId: number;
  entry: string;
  present: boolean;
}

/** Bytes → latin1 string (ISO-8859-1: one char per byte), so that string order equals byte order. */
export function bytesToLatin1(bytes: Uint8Array): string {
  if (bytes.length <= 128) return String.fromCharCode.apply(null, bytes as unknown as number[]);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
}

/** latin1 string → bytes. */
export function latin1ToBytes(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/** Encodes a definition for the catalog records. */
export function encodeIndexDef(def: IndexDef): Uint8Array {
  const bytes = BSON.serialize({ ...def });
  if (bytes.length > INDEX_DEF_BYTES_MAX) {
    throw new PlanckError(
      "limit_exceeded",
      `Index "${def.name}" definition too large: ${bytes.length} bytes (the limit INDEX_DEF_BYTES_MAX is ${INDEX_DEF_BYTES_MAX}); use shorter field paths`,
      { field: "fields", limit: "INDEX_DEF_BYTES_MAX" },
    );
  }
  return bytes;
}

export function decodeIndexDef(bytes: Uint8Array): IndexDef {
  return BSON.deserialize(bytes) as unknown as IndexDef;
}

interface Compiled {
  def: IndexDef;
  matchers: PathMatcher[];
  directions: ("asc" | "desc")[];
}

/** The indexes of a database, by id, name and store. */
export class Indexes {
  readonly #byId = new Map<number, Compiled>();
  readonly #byName = new Map<string, IndexDef>();
  readonly #byStore = new Map<number, Compiled[]>();
  /** Per store: the top-level fields its indexes read (what `deltas` decodes). */
  readonly #fieldsByStore = new Map<number, FieldNames>();

  #refreshFields(storeId: number): void {
    const compiled = this.#byStore.get(storeId);
    if (compiled === undefined) this.#fieldsByStore.delete(storeId);
    else {
      this.#fieldsByStore.set(
        storeId,
        fieldNames(compiled.flatMap((c) => c.def.fields.map((f) => f.path.split(".")[0]))),
      );
    }
  }

  list(): IndexDef[] {
    return [...this.#byName.values()].sort((a, b) => a.name < b.name ? -1 : 1);
  }
  byName(name: string): IndexDef | undefined {
    return this.#byName.get(name);
  }
  byId(id: number): IndexDef | undefined {
    return this.#byId.get(id)?.def;
  }
  forStore(storeId: number): IndexDef[] {
    return (this.#byStore.get(storeId) ?? []).map((c) => c.def);
  }
  hasAny(storeId: number): boolean {
    return this.#byStore.has(storeId);
  }

  add(def: IndexDef): void {
    this.remove(def.id);
    assert(!this.#byName.has(def.name), `indexes: one index per name ("${def.name}")`);
    const compiled: Compiled = {
      def,
      matchers: def.fields.map((f) => compilePathMatcher(f.path)),
      directions: def.fields.map((f) => f.direction),
    };
    this.#byId.set(def.id, compiled);
    this.#byName.set(def.name, def);
    this.#byStore.set(def.storeId, [...(this.#byStore.get(def.storeId) ?? []), compiled]);
    this.#refreshFields(def.storeId);
  }

  remove(id: number): IndexDef | undefined {
    const compiled = this.#byId.get(id);
    if (compiled === undefined) return undefined;
    this.#byId.delete(id);
    this.#byName.delete(compiled.def.name);
    const rest = (this.#byStore.get(compiled.def.storeId) ?? []).filter((c) => c.def.id !== id);
    if (rest.length === 0) this.#byStore.delete(compiled.def.storeId);
    else this.#byStore.set(compiled.def.storeId, rest);
    this.#refreshFields(compiled.def.storeId);
    return compiled.def;
  }

  /** Entries (latin1) that `doc` under `key` contributes to index `indexId`. */
  entries(indexId: number, doc: Document | undefined, key: Key): string[] {
    const compiled = this.#byId.get(indexId);
    assert(compiled !== undefined, `indexes: entries of a defined index (id ${indexId})`);
    if (doc === undefined) return [];
    const docKey = keyToBytes(key, DOC_KEY_SCRATCH); // copied into each entry
    if (compiled.matchers.length === 1) {
      // One field (the common case): no cross product.
      const values = leafValues(compiled.matchers[0], doc, key);
      if (values.length > INDEX_ENTRIES_PER_DOC_MAX) throw tooManyEntries(compiled.def, key, values.length);
      if (values.length > 1) compiled.def.multikey = true;
      const out = values.map((v) => encodeIndexEntry([v], compiled.directions, docKey));
      return values.length > 1 ? [...new Set(out)] : out;
    }
    let rows: unknown[][] = [[]];
    for (const matcher of compiled.matchers) {
      const values = leafValues(matcher, doc, key);
      const next: unknown[][] = [];
      for (const row of rows) for (const value of values) next.push([...row, value]);
      if (next.length > INDEX_ENTRIES_PER_DOC_MAX) throw tooManyEntries(compiled.def, key, next.length);
      rows = next;
    }
    if (rows.length > 1) compiled.def.multikey = true;
    const out = new Set<string>();
    for (const row of rows) out.add(encodeIndexEntry(row, compiled.directions, docKey));
    return [...out];
  }

  /** Index changes of a write of `key` from `before` to `after` (either may be undefined). */
  deltas(
    storeId: number,
    key: Key,
    before: Uint8Array | undefined,
    after: Uint8Array | undefined,
  ): IndexDelta[] {
    const compiled = this.#byStore.get(storeId);
    if (compiled === undefined) return [];
    // Only the fields the indexes read (bson_fields.ts), else the whole document.
    const fields = this.#fieldsByStore.get(storeId)!;
    const decode = (bytes: Uint8Array) => decodeFields(bytes, fields) ?? decodeDocument(bytes);
    const oldDoc = before === undefined ? undefined : decode(before);
    const newDoc = after === undefined ? undefined : decode(after);
    const out: IndexDelta[] = [];
    for (const { def } of compiled) {
      if (oldDoc === undefined) { // an insert: every entry is new
        for (const entry of this.entries(def.id, newDoc, key)) {
          out.push({ indexId: def.id, entry, present: true });
        }
        continue;
      }
      const removed = new Set(this.entries(def.id, oldDoc, key));
      for (const entry of this.entries(def.id, newDoc, key)) {
        if (!removed.delete(entry)) out.push({ indexId: def.id, entry, present: true });
      }
      for (const entry of removed) out.push({ indexId: def.id, entry, present: false });
    }
    return out;
  }

  /** The encoded values of a unique index entry (the entry without its trailing 16-byte key). */
  static valuePart(entry: string): string {
    return entry.slice(0, entry.length - 16);
  }
}

function tooManyEntries(def: IndexDef, key: Key, count: number): PlanckError {
  return new PlanckError(
    "limit_exceeded",
    `Document "${key}" adds ${count} entries to index "${def.name}" (the limit INDEX_ENTRIES_PER_DOC_MAX is ${INDEX_ENTRIES_PER_DOC_MAX})`,
    { field: def.fields.map((f) => f.path).join(","), limit: "INDEX_ENTRIES_PER_DOC_MAX" },
  );
}

function leafValues(matcher: PathMatcher, doc: Document, key: Key): unknown[] {
  const values: unknown[] = [];
  matcher(doc, key, (leaf) => {
    if (Array.isArray(leaf)) {
      for (const element of leaf) if (!Array.isArray(element)) values.push(element);
    } else {
      values.push(leaf);
    }
    return false;
  });
  if (values.length === 0) values.push(undefined);
  return values;
}

/** Human-readable value of a unique-violation entry for error messages. */
export function describeValues(doc: Document, fields: IndexField[]): string {
  return fields.map((f) => {
    const matcher = compilePathMatcher(f.path);
    const values = leafValues(matcher, doc, "");
    return `${f.path}=${JSON.stringify(values.length === 1 ? values[0] : values) ?? "missing"}`;
  }).join(", ");
}
