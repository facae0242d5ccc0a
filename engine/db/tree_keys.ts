/**
 * How the engine lays its data into the one B+tree file (docs/storage-format.md, "Tree keys").
 * Every tree key starts with a big-endian u32 namespace id:
 *
 * | namespace | key after the id            | value                                  |
 * |-----------|-----------------------------|----------------------------------------|
 * | 0         | "c" ‖ u32 store id (BE)     | store name (UTF-8)                     |
 * | 0         | "i" ‖ u32 index id (BE)     | index definition (BSON)                |
 * | 0         | "v" ‖ u32 segment (BE)      | u32 committed bytes ‖ u32 dead bytes   |
 * | store id  | 16-byte document key        | value pointer (3 varints, vlog.ts)     |
 * | index id  | index entry (index_key.ts)  | empty                                  |
 *
 * Big-endian ids keep one store's documents contiguous and in key order.
 */
import { type Key, keyFromBytes, keyToBytes } from "../key.ts";

const CATALOG_TAG = 0x63; // "c"
const INDEX_TAG = 0x69; // "i"
const VLOG_TAG = 0x76; // "v"

/** The tree key of document `key` in store `storeId`. */
export function docTreeKey(storeId: number, key: Key): Uint8Array {
  const bytes = new Uint8Array(20);
  new DataView(bytes.buffer).setUint32(0, storeId);
  keyToBytes(key, bytes, 4);
  return bytes;
}

const SCRATCH = new Uint8Array(20);
const SCRATCH_VIEW = new DataView(SCRATCH.buffer);

/** Like docTreeKey, into a shared buffer: for lookups that do not keep the key. */
export function docTreeKeyScratch(storeId: number, key: Key): Uint8Array {
  SCRATCH_VIEW.setUint32(0, storeId);
  keyToBytes(key, SCRATCH, 4);
  return SCRATCH;
}

/** The document key inside a document tree key. */
export function docKeyOf(treeKey: Uint8Array): Key {
  return keyFromBytes(treeKey, 4);
}

/** The first tree key of namespace `id` (a store's range is [prefix(id), prefix(id + 1))). */
export function namespacePrefix(id: number): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, id);
  return bytes;
}

function systemKey(tag: number, id: number): Uint8Array {
  const bytes = new Uint8Array(9);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, 0);
  view.setUint8(4, tag);
  view.setUint32(5, id);
  return bytes;
}

export function catalogTreeKey(storeId: number): Uint8Array {
  return systemKey(CATALOG_TAG, storeId);
}

export function indexDefTreeKey(indexId: number): Uint8Array {
  return systemKey(INDEX_TAG, indexId);
}

/** The tree key of an index entry (latin1 string of its bytes) in index `indexId`. */
export function indexTreeKey(indexId: number, entry: string): Uint8Array {
  const bytes = new Uint8Array(4 + entry.length);
  new DataView(bytes.buffer).setUint32(0, indexId);
  for (let i = 0; i < entry.length; i++) bytes[4 + i] = entry.charCodeAt(i);
  return bytes;
}

const INDEX_SCRATCH = new Uint8Array(4 + 512);
const INDEX_SCRATCH_VIEW = new DataView(INDEX_SCRATCH.buffer);
/** Views of INDEX_SCRATCH by length, made once each (a new view per key costs more than filling it). */
const INDEX_SCRATCH_VIEWS: Uint8Array[] = [];

/**
 * Like indexTreeKey, into a shared buffer: for B+tree writes and lookups that do not keep the key
 * (the writer copies keys). Valid until the next call.
 */
export function indexTreeKeyScratch(indexId: number, entry: string): Uint8Array {
  const length = 4 + entry.length;
  if (length > INDEX_SCRATCH.length) return indexTreeKey(indexId, entry); // the writer rejects it
  INDEX_SCRATCH_VIEW.setUint32(0, indexId);
  for (let i = 0; i < entry.length; i++) INDEX_SCRATCH[4 + i] = entry.charCodeAt(i);
  return INDEX_SCRATCH_VIEWS[length] ??= INDEX_SCRATCH.subarray(0, length);
}

export function vlogTreeKey(segment: number): Uint8Array {
  return systemKey(VLOG_TAG, segment);
}

/** The [from, to) range of all catalog records or all vlog records. */
export function systemRange(kind: "catalog" | "index" | "vlog"): [Uint8Array, Uint8Array] {
  const tag = kind === "catalog" ? CATALOG_TAG : kind === "index" ? INDEX_TAG : VLOG_TAG;
  return [systemKey(tag, 0), systemKey(tag + 1, 0)];
}

/** The id in a system key. */
export function systemIdOf(treeKey: Uint8Array): number {
  return new DataView(treeKey.buffer, treeKey.byteOffset, treeKey.byteLength).getUint32(5);
}
