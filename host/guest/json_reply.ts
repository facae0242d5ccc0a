/**
 * Host-call replies as JSON text written straight from stored bytes, for the QuickJS tier (which
 * takes host replies as text, framework/guest_json.ts): a point get's `{"ok":true,"result":{"key":
 * "<32 hex>",...the stored fields}}` (or `"result":null`) and a find's `{"ok":true,"result":[…]}`.
 * The text is written as UTF-8 bytes — stored strings and names are copied, escaped where JSON
 * needs it — so the reply reaches guest memory with one copy, without decoding each document into
 * objects (bson deserialize, the projection's copy, the tag scan, JSON.stringify) nor its strings
 * into JavaScript strings and back to UTF-8.
 *
 * The text parses to what `encodeForGuest({ok: true, result})` gives for the executor's rows, for
 * the BSON types it handles: double and int32 (numbers; NaN and ±Infinity as null, as
 * JSON.stringify), string, embedded document, array, boolean and null. Any other type (dates,
 * int64, binary, ObjectId, regexes, …: they take tags or classes) makes the reply undefined, and
 * the caller answers the usual way.
 *
 * Invariants: the stored bytes are a valid BSON document (the engine checks every write); the
 * output is valid UTF-8 JSON without a NUL byte (strings cross into QuickJS as C strings): a string
 * or name that is not valid UTF-8 gives undefined, as does a top-level field named "key" (the
 * executor's rows drop it) or any field named "__proto__" (an object literal treats it apart); the
 * returned bytes are a view of a scratch buffer, valid until the next call.
 */
import { f64le, i32le } from "../../engine/bson_fields.ts";

const BSON_DOUBLE = 0x01;
const BSON_STRING = 0x02;
const BSON_DOCUMENT = 0x03;
const BSON_ARRAY = 0x04;
const BSON_BOOLEAN = 0x08;
const BSON_NULL = 0x0a;
const BSON_INT32 = 0x10;
/** Nesting past which the walk gives up (the caller's path then answers; BSON allows more). */
const DEPTH_MAX = 100;
/** First size of the scratch buffer; it doubles as needed. */
const SCRATCH_BYTES_INITIAL = 16 * 1024;
/** Bytes one stored byte can become at most: a control character as `\u00XX`. */
const ESCAPE_GROWTH_MAX = 6;
/** Bytes reserved for one number's text (the longest double is 24 characters). */
const NUMBER_BYTES_MAX = 32;

const HEX = "0123456789abcdef";
const PROTO = [0x5f, 0x5f, 0x70, 0x72, 0x6f, 0x74, 0x6f, 0x5f, 0x5f]; // "__proto__"

/** Thrown inside the walk for a type, name or string it does not write; caught at the top. */
const UNSUPPORTED = Symbol("unsupported");

/** The JSON text under construction (one per process: replies are built one at a time). */
let out = new Uint8Array(SCRATCH_BYTES_INITIAL);
let len = 0;

function reserve(n: number): void {
  if (len + n <= out.length) return;
  const grown = new Uint8Array(Math.max(out.length * 2, len + n));
  grown.set(out.subarray(0, len));
  out = grown;
}

function ascii(text: string): void {
  reserve(text.length);
  for (let i = 0; i < text.length; i++) out[len++] = text.charCodeAt(i);
}

/** Length of the valid UTF-8 sequence starting with lead byte `c` at `at` (< end), or throws. */
function sequenceLength(b: Uint8Array, at: number, end: number, c: number): number {
  const n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
  if (n === 0 || c > 0xf4 || at + n > end) throw UNSUPPORTED;
  for (let i = 1; i < n; i++) if ((b[at + i] & 0xc0) !== 0x80) throw UNSUPPORTED;
  const second = b[at + 1];
  if (c === 0xe0 && second < 0xa0) throw UNSUPPORTED; // overlong
  if (c === 0xed && second > 0x9f) throw UNSUPPORTED; // a surrogate
  if (c === 0xf0 && second < 0x90) throw UNSUPPORTED; // overlong
  if (c === 0xf4 && second > 0x8f) throw UNSUPPORTED; // past U+10FFFF
  return n;
}

/** Writes the UTF-8 bytes in [start, end) as a JSON string literal. */
function string(b: Uint8Array, start: number, end: number): void {
  reserve((end - start) * ESCAPE_GROWTH_MAX + 2);
  out[len++] = 0x22;
  for (let i = start; i < end;) {
    const c = b[i];
    if (c >= 0x20 && c < 0x80) {
      if (c === 0x22 || c === 0x5c) out[len++] = 0x5c;
      out[len++] = c;
      i++;
    } else if (c < 0x20) {
      // \u00XX for every control character (NUL included: the text never holds a raw NUL).
      out[len++] = 0x5c;
      out[len++] = 0x75;
      out[len++] = 0x30;
      out[len++] = 0x30;
      out[len++] = HEX.charCodeAt(c >> 4);
      out[len++] = HEX.charCodeAt(c & 15);
      i++;
    } else {
      const n = sequenceLength(b, i, end, c);
      for (let k = 0; k < n; k++) out[len++] = b[i + k];
      i += n;
    }
  }
  out[len++] = 0x22;
}

function isProto(b: Uint8Array, start: number, end: number): boolean {
  if (end - start !== PROTO.length) return false;
  for (let i = 0; i < PROTO.length; i++) if (b[start + i] !== PROTO[i]) return false;
  return true;
}

/** Writes the number's JSON (JSON.stringify's: NaN and ±Infinity as null). */
function number(value: number): void {
  reserve(NUMBER_BYTES_MAX);
  ascii(Number.isFinite(value) ? String(value) : "null");
}

/**
 * Writes the elements of the (sub)document whose length prefix is at `at`, without its braces;
 * at the `top`, a field named "key" is refused. Returns how many elements it wrote.
 */
function elements(b: Uint8Array, at: number, array: boolean, depth: number, top: boolean): number {
  if (depth > DEPTH_MAX) throw UNSUPPORTED;
  const end = at + i32le(b, at) - 1;
  let count = 0;
  at += 4;
  while (at < end) {
    const type = b[at++];
    const nameStart = at;
    while (b[at] !== 0) at++;
    const nameEnd = at++;
    if (count++ > 0) {
      reserve(1);
      out[len++] = 0x2c; // ,
    }
    if (!array) {
      if (isProto(b, nameStart, nameEnd)) throw UNSUPPORTED;
      if (
        top && nameEnd - nameStart === 3 && b[nameStart] === 0x6b && b[nameStart + 1] === 0x65 &&
        b[nameStart + 2] === 0x79
      ) throw UNSUPPORTED;
      string(b, nameStart, nameEnd);
      reserve(1);
      out[len++] = 0x3a; // :
    }
    switch (type) {
      case BSON_DOUBLE:
        number(f64le(b, at));
        at += 8;
        break;
      case BSON_INT32:
        number(i32le(b, at));
        at += 4;
        break;
      case BSON_STRING: {
        const size = i32le(b, at);
        string(b, at + 4, at + 4 + size - 1);
        at += 4 + size;
        break;
      }
      case BSON_DOCUMENT:
      case BSON_ARRAY: {
        const isArray = type === BSON_ARRAY;
        reserve(1);
        out[len++] = isArray ? 0x5b : 0x7b;
        elements(b, at, isArray, depth + 1, false);
        reserve(1);
        out[len++] = isArray ? 0x5d : 0x7d;
        at += i32le(b, at);
        break;
      }
      case BSON_BOOLEAN:
        ascii(b[at++] === 0 ? "false" : "true");
        break;
      case BSON_NULL:
        ascii("null");
        break;
      default:
        throw UNSUPPORTED;
    }
  }
  return count;
}

/** Writes one result row: `{"key":"<key>",…the stored fields}`. */
function row(key: string, stored: Uint8Array): void {
  ascii('{"key":');
  ascii(JSON.stringify(key));
  reserve(1);
  out[len++] = 0x2c;
  const at = len;
  if (elements(stored, 0, false, 0, true) === 0) len = at - 1; // no field: drop the comma
  ascii("}");
}

/** Runs `write` from an empty scratch buffer: its bytes, or undefined when it met UNSUPPORTED. */
function written(write: () => void): Uint8Array | undefined {
  len = 0;
  try {
    write();
  } catch (error) {
    if (error === UNSUPPORTED) return undefined;
    throw error;
  }
  return out.subarray(0, len);
}

/**
 * The JSON reply (UTF-8) of a get of `key` whose stored bytes are `stored` (undefined: absent), or
 * undefined when a value needs the usual path.
 */
export function getReplyJson(key: string, stored: Uint8Array | undefined): Uint8Array | undefined {
  return written(() => {
    ascii('{"ok":true,"result":');
    if (stored === undefined) ascii("null");
    else row(key, stored);
    ascii("}");
  });
}

/**
 * The JSON reply (UTF-8) of a find whose result rows are `rows` (key and stored bytes each, in
 * order), or undefined when a value needs the usual path.
 */
export function findReplyJson(rows: readonly { key: string; bytes: Uint8Array }[]): Uint8Array | undefined {
  return written(() => {
    ascii('{"ok":true,"result":[');
    for (let i = 0; i < rows.length; i++) {
      if (i > 0) ascii(",");
      row(rows[i].key, rows[i].bytes);
    }
    ascii("]}");
  });
}
