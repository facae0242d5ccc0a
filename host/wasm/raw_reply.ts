/**
 * A point get's host-call reply built from the stored bytes, for callers that take BSON (the
 * native tier): `{ok: true, result: {key: "<32 hex>", ...the stored fields}}`, or `{ok: true,
 * result: null}`, spliced byte by byte instead of decoding the document and encoding it again.
 *
 * Layout (little-endian int32 lengths, docs/wasm-abi.md):
 *   reply  = int32 len | 08 "ok" 00 01 | 03 "result" 00 <inner> | 00      (or 0A "result" 00 for null)
 *   inner  = int32 len | 02 "key" 00 int32(33) <32 hex digits> 00 | <stored elements> | 00
 * where <stored elements> are the stored document's bytes without its length prefix and final 0.
 *
 * Invariants: the stored bytes are a valid BSON document (the engine checks every write), so the
 * result is one too; the key comes first, as in the executor's shapes.
 */

const OK_AND_RESULT_HEAD = [0x08, 0x6f, 0x6b, 0x00, 0x01]; // bool "ok" = true
const RESULT_NAME = [0x72, 0x65, 0x73, 0x75, 0x6c, 0x74, 0x00]; // "result\0"
const KEY_ELEMENT_HEAD = [0x02, 0x6b, 0x65, 0x79, 0x00, 33, 0, 0, 0]; // string "key", 33 bytes
const BSON_DOCUMENT = 0x03;
const BSON_NULL = 0x0a;
const KEY_HEX_DIGITS = 32;

/** The BSON reply of a get of `key` whose stored bytes are `stored` (undefined: absent). */
export function getReplyBson(key: string, stored: Uint8Array | undefined): Uint8Array {
  const elements = stored === undefined ? 0 : stored.length - 5;
  const inner = stored === undefined ? 0 : 4 + KEY_ELEMENT_HEAD.length + KEY_HEX_DIGITS + 1 + elements + 1;
  const total = 4 + OK_AND_RESULT_HEAD.length + 1 + RESULT_NAME.length + inner + 1;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  let at = 0;
  view.setInt32(at, total, true);
  at += 4;
  out.set(OK_AND_RESULT_HEAD, at);
  at += OK_AND_RESULT_HEAD.length;
  out[at++] = stored === undefined ? BSON_NULL : BSON_DOCUMENT;
  out.set(RESULT_NAME, at);
  at += RESULT_NAME.length;
  if (stored !== undefined) {
    view.setInt32(at, inner, true);
    at += 4;
    out.set(KEY_ELEMENT_HEAD, at);
    at += KEY_ELEMENT_HEAD.length;
    for (let i = 0; i < KEY_HEX_DIGITS; i++) out[at++] = key.charCodeAt(i);
    out[at++] = 0;
    out.set(stored.subarray(4, stored.length - 1), at);
    at += elements;
    out[at++] = 0;
  }
  out[at++] = 0;
  return out;
}
