/**
 * Host-call replies built from stored bytes, for callers that take BSON (the native tier): a point
 * get's `{ok: true, result: {key: "<32 hex>", ...the stored fields}}` (or `{ok: true, result:
 * null}`) and a find's `{ok: true, result: [{key, ...fields}, …]}`, spliced byte by byte instead of
 * decoding each document and encoding it again.
 *
 * Layout (little-endian int32 lengths, docs/wasm-abi.md):
 *   reply  = int32 len | 08 "ok" 00 01 | 03 "result" 00 <inner> | 00   (get; 0A "result" 00 for null)
 *   reply  = int32 len | 08 "ok" 00 01 | 04 "result" 00 <array> | 00   (find)
 *   array  = int32 len | (03 "<i>" 00 <inner>)… | 00                   (i = 0, 1, … in decimal)
 *   inner  = int32 len | 02 "key" 00 int32(33) <32 hex digits> 00 | <stored elements> | 00
 * where <stored elements> are the stored document's bytes without its length prefix and final 0.
 *
 * Invariants: the stored bytes are a valid BSON document (the engine checks every write), so the
 * result is one too; the key comes first, as in the executor's shapes; a document that has a
 * top-level field named "key" of its own (the executor's rows drop it) is never spliced: callers
 * check `splicable` first.
 */
import { elementValueSize } from "../../engine/bson_fields.ts";

const OK_HEAD = [0x08, 0x6f, 0x6b, 0x00, 0x01]; // bool "ok" = true
const RESULT_NAME = [0x72, 0x65, 0x73, 0x75, 0x6c, 0x74, 0x00]; // "result\0"
const KEY_ELEMENT_HEAD = [0x02, 0x6b, 0x65, 0x79, 0x00, 33, 0, 0, 0]; // string "key", 33 bytes
const BSON_DOCUMENT = 0x03;
const BSON_ARRAY = 0x04;
const BSON_NULL = 0x0a;
const KEY_HEX_DIGITS = 32;
/** Bytes of a reply before its result value: length, the "ok" element, the result's type and name. */
const REPLY_HEAD_BYTES = 4 + OK_HEAD.length + 1 + RESULT_NAME.length;
/** Bytes a row adds besides its stored elements: length, key element, final 0. */
const ROW_EXTRA_BYTES = 4 + KEY_ELEMENT_HEAD.length + KEY_HEX_DIGITS + 1 + 1;

/**
 * True when `stored` can be spliced as a result row: no top-level field of its own is named "key"
 * (found by walking the element names; a type the walker does not know answers false).
 */
export function splicable(stored: Uint8Array): boolean {
  const end = stored.length - 1;
  let at = 4;
  while (at < end) {
    const type = stored[at++];
    const name = at;
    while (stored[at] !== 0) at++;
    if (at - name === 3 && stored[name] === 0x6b && stored[name + 1] === 0x65 && stored[name + 2] === 0x79) {
      return false;
    }
    const size = elementValueSize(type, stored, ++at, end);
    if (size < 0) return false;
    at += size;
  }
  return true;
}

function writeInt32(out: Uint8Array, at: number, value: number): void {
  out[at] = value & 0xff;
  out[at + 1] = (value >>> 8) & 0xff;
  out[at + 2] = (value >>> 16) & 0xff;
  out[at + 3] = (value >>> 24) & 0xff;
}

/** Bytes of the key element: type, "key", 0, int32 33, 32 hex digits, 0. */
const KEY_ELEMENT_BYTES = KEY_ELEMENT_HEAD.length + KEY_HEX_DIGITS + 1;

/** Writes one row document (key first, then the stored elements) at `at`; returns the end. */
function writeRow(out: Uint8Array, at: number, key: string, stored: Uint8Array): number {
  // The whole stored document is copied so that its elements land right after the key element
  // and its final 0 ends the row; its length prefix lands on the key element's last 4 bytes,
  // which are written after it. (Stored bytes are often Node Buffers, whose subarray is slow.)
  const elementsAt = at + 4 + KEY_ELEMENT_BYTES;
  out.set(stored, elementsAt - 4);
  writeInt32(out, at, stored.length - 5 + ROW_EXTRA_BYTES);
  let o = at + 4;
  for (let i = 0; i < KEY_ELEMENT_HEAD.length; i++) out[o++] = KEY_ELEMENT_HEAD[i];
  for (let i = 0; i < KEY_HEX_DIGITS; i++) out[o++] = key.charCodeAt(i);
  out[o] = 0;
  return elementsAt + stored.length - 4;
}

function writeHead(out: Uint8Array, type: number): number {
  writeInt32(out, 0, out.length);
  out.set(OK_HEAD, 4);
  out[4 + OK_HEAD.length] = type;
  out.set(RESULT_NAME, 5 + OK_HEAD.length);
  return REPLY_HEAD_BYTES;
}

/** The BSON reply of a get of `key` whose stored bytes are `stored` (undefined: absent). */
export function getReplyBson(key: string, stored: Uint8Array | undefined): Uint8Array {
  const inner = stored === undefined ? 0 : stored.length - 5 + ROW_EXTRA_BYTES;
  const out = new Uint8Array(REPLY_HEAD_BYTES + inner + 1);
  const at = writeHead(out, stored === undefined ? BSON_NULL : BSON_DOCUMENT);
  if (stored !== undefined) writeRow(out, at, key, stored);
  out[out.length - 1] = 0;
  return out;
}

/** The BSON reply of a find whose result rows are `rows` (key and stored bytes each, in order). */
export function findReplyBson(rows: readonly { key: string; bytes: Uint8Array }[]): Uint8Array {
  let array = 4 + 1;
  for (let i = 0; i < rows.length; i++) {
    array += 1 + String(i).length + 1 + rows[i].bytes.length - 5 + ROW_EXTRA_BYTES;
  }
  const out = new Uint8Array(REPLY_HEAD_BYTES + array + 1);
  let at = writeHead(out, BSON_ARRAY);
  writeInt32(out, at, array);
  at += 4;
  for (let i = 0; i < rows.length; i++) {
    out[at++] = BSON_DOCUMENT;
    const name = String(i);
    for (let c = 0; c < name.length; c++) out[at++] = name.charCodeAt(c);
    out[at++] = 0;
    at = writeRow(out, at, rows[i].key, rows[i].bytes);
  }
  out[at++] = 0; // end of the array
  out[at] = 0; // end of the reply
  return out;
}
