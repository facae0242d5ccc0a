/**
 * Partial BSON decoding: only the named top-level fields of a document, for index maintenance
 * (a store's indexes read a few fields; decoding the whole document for each write and each
 * replayed WAL frame was most of their cost).
 *
 * Invariants: for every field it returns, the value equals what `decodeDocument` gives (same
 * options: int64 as bigint, dates as Date); when a wanted field has a type it does not decode
 * itself (documents, arrays, binary, …) or the bytes look wrong, it returns null and the caller
 * decodes the whole document, so results (and errors) never differ from the full decode.
 */
import type { Document } from "../protocol/query_document.ts";

const UTF8 = new TextDecoder("utf-8", { fatal: true });

/** Bytes of fixed-size values by BSON type; -1: variable size (handled in elementValueSize). */
export function fixedSize(type: number): number {
  switch (type) {
    case 0x01: // double
    case 0x09: // date
    case 0x11: // timestamp
    case 0x12: // int64
      return 8;
    case 0x06: // undefined
    case 0x0a: // null
    case 0xff: // min key
    case 0x7f: // max key
      return 0;
    case 0x07: // ObjectId
      return 12;
    case 0x08: // bool
      return 1;
    case 0x10: // int32
      return 4;
    case 0x13: // decimal128
      return 16;
    default:
      return -1;
  }
}

/** Wanted field names with their UTF-8 bytes (built once per index set). */
export interface FieldNames {
  names: string[];
  utf8: Uint8Array[];
}

/** The FieldNames of `names`. */
export function fieldNames(names: Iterable<string>): FieldNames {
  const list = [...new Set(names)];
  return { names: list, utf8: list.map((n) => new TextEncoder().encode(n)) };
}

function wantedIndex(bytes: Uint8Array, from: number, to: number, wanted: FieldNames): number {
  outer: for (let w = 0; w < wanted.utf8.length; w++) {
    const name = wanted.utf8[w];
    if (name.length !== to - from) continue;
    for (let i = 0; i < name.length; i++) if (bytes[from + i] !== name[i]) continue outer;
    return w;
  }
  return -1;
}

/**
 * The top-level fields of `bytes` named in `wanted`, decoded; fields absent from the document are
 * absent from the result. Null when the full decoder must be used instead.
 */
export function decodeFields(bytes: Uint8Array, wanted: FieldNames): Document | null {
  // No DataView per document (each view object costs more than the few reads it serves).
  const end = bytes.length - 1;
  if (bytes.length < 5 || i32le(bytes, 0) !== bytes.length || bytes[end] !== 0) return null;
  const out: Document = {};
  let at = 4;
  while (at < end) {
    const type = bytes[at++];
    const nameStart = at;
    while (at < end && bytes[at] !== 0) at++;
    if (at >= end) return null;
    const w = wantedIndex(bytes, nameStart, at, wanted);
    at++; // the name's terminating 0
    const size = elementValueSize(type, bytes, at, end);
    if (size < 0 || at + size > end) return null;
    if (w >= 0) {
      const value = decodeScalar(type, bytes, at, size);
      if (value === NOT_SCALAR || wanted.names[w] === "__proto__") return null;
      out[wanted.names[w]] = value as Document[string];
    }
    at += size;
  }
  return at === end ? out : null;
}

/**
 * Size of the value of a BSON element of `type` at `at` (the document's terminating 0 is at `end`), or
 * -1 when it cannot be told (unknown type, or a length that runs past `end`). Shared by every walker of
 * stored BSON that skips elements without decoding them (host/guest/raw_reply.ts too).
 */
export function elementValueSize(type: number, bytes: Uint8Array, at: number, end: number): number {
  const fixed = fixedSize(type);
  if (fixed >= 0) return fixed;
  if (type === 0x0b) { // regex: two C strings
    let p = at;
    while (p < end && bytes[p] !== 0) p++;
    p++;
    while (p < end && bytes[p] !== 0) p++;
    return p < end ? p + 1 - at : -1;
  }
  if (at + 4 > end) return -1;
  const n = i32le(bytes, at);
  switch (type) {
    case 0x02: // string
    case 0x0d: // code
    case 0x0e: // symbol
      return n >= 1 ? 4 + n : -1;
    case 0x03: // document
    case 0x04: // array
    case 0x0f: // code with scope
      return n >= 5 ? n : -1;
    case 0x05: // binary: length, subtype, bytes
      return n >= 0 ? 5 + n : -1;
    case 0x0c: // DB pointer: string, 12-byte ObjectId
      return n >= 1 ? 4 + n + 12 : -1;
    default: // unknown: let the full decoder handle it
      return -1;
  }
}

const NOT_SCALAR = Symbol("not scalar");

function decodeScalar(type: number, bytes: Uint8Array, at: number, size: number): unknown {
  switch (type) {
    case 0x01:
      return f64le(bytes, at);
    case 0x02: {
      if (bytes[at + size - 1] !== 0) return NOT_SCALAR;
      const ascii = asciiString(bytes, at + 4, at + size - 1);
      if (ascii !== null) return ascii;
      try {
        return UTF8.decode(bytes.subarray(at + 4, at + size - 1));
      } catch {
        return NOT_SCALAR; // invalid UTF-8: the full decoder reports it
      }
    }
    case 0x08:
      return bytes[at] === 1 ? true : bytes[at] === 0 ? false : NOT_SCALAR;
    case 0x09: // int64 milliseconds: as a double directly (one rounding, as Number(bigint) rounds)
      return new Date(i32le(bytes, at + 4) * 4294967296 + (i32le(bytes, at) >>> 0));
    case 0x0a:
      return null;
    case 0x10:
      return i32le(bytes, at);
    case 0x12:
      return i64le(bytes, at);
    default:
      return NOT_SCALAR;
  }
}

/** Longest string decoded without TextDecoder (a call into the runtime costs more than a short loop). */
const ASCII_FAST_BYTES_MAX = 64;

/** The string of bytes [from, to) when they are all ASCII and few, else null (TextDecoder decides). */
function asciiString(bytes: Uint8Array, from: number, to: number): string | null {
  if (to - from > ASCII_FAST_BYTES_MAX) return null;
  let s = "";
  for (let i = from; i < to; i++) {
    const c = bytes[i];
    if (c >= 0x80) return null;
    s += String.fromCharCode(c);
  }
  return s;
}

/** The little-endian int32 at `at`. */
export function i32le(bytes: Uint8Array, at: number): number {
  return bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16) | (bytes[at + 3] << 24);
}

function i64le(bytes: Uint8Array, at: number): bigint {
  const low = BigInt(
    (bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16) | (bytes[at + 3] << 24)) >>> 0,
  );
  return (BigInt(i32le(bytes, at + 4)) << 32n) | low;
}

const F64 = new Float64Array(1);
const F64_BYTES = new Uint8Array(F64.buffer);

/** The little-endian double at `at`. */
export function f64le(bytes: Uint8Array, at: number): number {
  for (let i = 0; i < 8; i++) F64_BYTES[i] = bytes[at + i];
  return F64[0];
}
