/**
 * The fast paths of the JSON-lines format (ejson.ts): stored BSON written straight to canonical
 * extended JSON text by walking its bytes, and a parsed JSON record's document written straight to
 * BSON bytes, converting only the `$`-wrappers. They cover the values documents are made of —
 * strings, numbers (int32, int64, double), booleans, null, documents, arrays, dates, ObjectIds,
 * binary and decimal128 — and give up (return undefined) on everything else: then the caller takes
 * the slow path (npm `bson`'s EJSON), which also produces every error message.
 *
 * Invariants: whatever a fast path returns is exactly what the slow path returns for the same input
 * (tests/host/ops/ejson_fast_test.ts compares them on random documents of every type); a fast path
 * never throws.
 */
import { Decimal128 } from "bson";

const utf8 = new TextDecoder("utf-8", { fatal: true });
const encoder = new TextEncoder();
const INT32_TEXT = /^-?(0|[1-9][0-9]*)$/;
/** `$numberLong` text both paths read alike (narrower than bson's /^(\+?0|(\+|-)?[1-9][0-9]*)$/). */
const INT64_TEXT = /^(0|-?[1-9][0-9]{0,18})$/;
const OID_TEXT = /^[0-9a-fA-F]{24}$/;
const SUBTYPE_TEXT = /^[0-9a-fA-F]{1,2}$/;
const BASE64_TEXT = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** A JS object puts these names first (array-index order), so a document holding one goes the slow way. */
const INDEX_NAME = /^(0|[1-9][0-9]*)$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
/** Largest |ms| a JS Date holds. */
const DATE_MS_MAX = 8.64e15;
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** Thrown inside a fast path to give up; never escapes. */
const GIVE_UP = Symbol("give up");

// ---- stored BSON → canonical extended JSON text ----

/** The canonical extended JSON of stored document `bytes`, or undefined to take the slow path. */
export function fastDocumentText(bytes: Uint8Array): string | undefined {
  try {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return documentText(bytes, view, 0, false);
  } catch (error) {
    if (error === GIVE_UP || error instanceof RangeError || error instanceof TypeError) return undefined;
    throw error;
  }
}

function cstring(bytes: Uint8Array, at: number): [string, number] {
  let end = at;
  let ascii = true;
  while (bytes[end] !== 0) {
    if (end >= bytes.length) throw GIVE_UP;
    if (bytes[end] >= 0x80) ascii = false;
    end++;
  }
  if (ascii) {
    let text = "";
    for (let i = at; i < end; i++) text += String.fromCharCode(bytes[i]);
    return [text, end + 1];
  }
  return [utf8.decode(bytes.subarray(at, end)), end + 1];
}

function documentText(bytes: Uint8Array, view: DataView, start: number, array: boolean): string {
  const length = view.getInt32(start, true);
  const end = start + length - 1;
  if (length < 5 || end >= bytes.length || bytes[end] !== 0) throw GIVE_UP;
  let at = start + 4;
  let out = array ? "[" : "{";
  let first = true;
  const names = array ? undefined : new Set<string>();
  while (at < end) {
    const type = bytes[at++];
    let name: string;
    [name, at] = cstring(bytes, at);
    if (names !== undefined) {
      if (name.startsWith("$") || INDEX_NAME.test(name) || names.has(name) || name === "__proto__") {
        throw GIVE_UP;
      }
      names.add(name);
    }
    let value: string;
    switch (type) {
      case 0x01: {
        const x = view.getFloat64(at, true);
        at += 8;
        const text = Object.is(Math.sign(x), -0) ? "-0.0" : Number.isInteger(x) ? x.toFixed(1) : x.toString();
        value = `{"$numberDouble":"${text}"}`;
        break;
      }
      case 0x02: {
        const size = view.getInt32(at, true);
        if (size < 1 || at + 4 + size > end || bytes[at + 3 + size] !== 0) throw GIVE_UP;
        value = JSON.stringify(utf8.decode(bytes.subarray(at + 4, at + 3 + size)));
        at += 4 + size;
        break;
      }
      case 0x03:
      case 0x04: {
        value = documentText(bytes, view, at, type === 0x04);
        at += view.getInt32(at, true);
        break;
      }
      case 0x05: {
        const size = view.getInt32(at, true);
        const subtype = bytes[at + 4];
        // subtype 2 has an inner length, 4 must be a 16-byte UUID, 9 is a vector: the slow path judges them
        if (
          size < 0 || at + 5 + size > end || subtype === 2 || subtype === 4 && size !== 16 || subtype === 9
        ) {
          throw GIVE_UP;
        }
        const data = bytes.subarray(at + 5, at + 5 + size);
        value = `{"$binary":{"base64":"${base64(data)}","subType":"${HEX[subtype]}"}}`;
        at += 5 + size;
        break;
      }
      case 0x07: {
        let hex = "";
        for (let i = at; i < at + 12; i++) hex += HEX[bytes[i]];
        if (at + 12 > end) throw GIVE_UP;
        value = `{"$oid":"${hex}"}`;
        at += 12;
        break;
      }
      case 0x08: {
        const b = bytes[at++];
        if (b > 1) throw GIVE_UP;
        value = b === 1 ? "true" : "false";
        break;
      }
      case 0x09: {
        const ms = view.getBigInt64(at, true);
        at += 8;
        if (ms > BigInt(DATE_MS_MAX) || ms < -BigInt(DATE_MS_MAX)) throw GIVE_UP;
        value = `{"$date":{"$numberLong":"${ms}"}}`;
        break;
      }
      case 0x0a:
        value = "null";
        break;
      case 0x10:
        value = `{"$numberInt":"${view.getInt32(at, true)}"}`;
        at += 4;
        break;
      case 0x12:
        value = `{"$numberLong":"${view.getBigInt64(at, true)}"}`;
        at += 8;
        break;
      case 0x13:
        if (at + 16 > end) throw GIVE_UP;
        value = `{"$numberDecimal":${JSON.stringify(new Decimal128(bytes.slice(at, at + 16)).toString())}}`;
        at += 16;
        break;
      default:
        throw GIVE_UP; // regex, timestamp, code, symbol, min/max key, undefined, DBPointer
    }
    if (at > end) throw GIVE_UP;
    out += first ? "" : ",";
    first = false;
    out += array ? value : `${JSON.stringify(name)}:${value}`;
  }
  if (at !== end) throw GIVE_UP;
  return out + (array ? "]" : "}");
}

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
/** Base64 digit values by char code ("=" reads as 0; the text is checked by BASE64_TEXT first). */
const B64_VALUE = new Uint8Array(128);
for (let i = 0; i < B64.length; i++) B64_VALUE[B64.charCodeAt(i)] = i;

function base64(data: Uint8Array): string {
  let out = "";
  let i = 0;
  for (; i + 2 < data.length; i += 3) {
    const n = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
    out += B64[n >> 18] + B64[(n >> 12) & 63] + B64[(n >> 6) & 63] + B64[n & 63];
  }
  if (i < data.length) {
    const n = (data[i] << 16) | ((data[i + 1] ?? 0) << 8);
    out += B64[n >> 18] + B64[(n >> 12) & 63] + (i + 1 < data.length ? B64[(n >> 6) & 63] : "=") + "=";
  }
  return out;
}

// ---- parsed JSON → BSON bytes ----

/** A growable byte buffer. */
class Writer {
  bytes = new Uint8Array(1024);
  view = new DataView(this.bytes.buffer);
  at = 0;

  reserve(n: number): void {
    if (this.at + n <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.at + n) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.bytes.subarray(0, this.at));
    this.bytes = grown;
    this.view = new DataView(grown.buffer);
  }

  byte(b: number): void {
    this.reserve(1);
    this.bytes[this.at++] = b;
  }

  /** A name: UTF-8 then NUL; a NUL inside gives up (the slow path refuses it). */
  cstring(text: string): void {
    this.reserve(text.length * 3 + 1);
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 0) throw GIVE_UP;
      if (c >= 0x80) {
        const { written } = encoder.encodeInto(text, this.bytes.subarray(this.at));
        if (text.indexOf("\0") >= 0) throw GIVE_UP;
        this.at += written;
        this.bytes[this.at++] = 0;
        return;
      }
      this.bytes[this.at + i] = c;
    }
    this.at += text.length;
    this.bytes[this.at++] = 0;
  }

  /** A BSON string: int32 length, UTF-8, NUL. */
  string(text: string): void {
    this.reserve(text.length * 3 + 5);
    const start = this.at;
    this.at += 4;
    let ascii = true;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c >= 0x80) {
        ascii = false;
        break;
      }
      this.bytes[this.at + i] = c;
    }
    if (ascii) this.at += text.length;
    else this.at += encoder.encodeInto(text, this.bytes.subarray(this.at)).written;
    this.bytes[this.at++] = 0;
    this.view.setInt32(start, this.at - start - 4, true);
  }
}

/** One writer for every document (the bytes are copied out): no allocation per document. */
let WRITER = new Writer();
/** A writer grown past this is dropped after its document. */
const WRITER_KEPT_BYTES = 1024 * 1024;

/**
 * The BSON of a parsed JSON-lines `doc` (a plain object from JSON.parse), as EJSON.deserialize
 * (canonical) then BSON.serialize would write it, or undefined to take the slow path.
 */
export function fastDocumentBytes(doc: Record<string, unknown>): Uint8Array | undefined {
  const writer = WRITER;
  writer.at = 0;
  try {
    writeDocument(writer, doc, false);
  } catch (error) {
    if (error === GIVE_UP) return undefined;
    throw error;
  }
  const bytes = writer.bytes.slice(0, writer.at);
  if (writer.bytes.length > WRITER_KEPT_BYTES) WRITER = new Writer(); // one huge document does not pin its buffer
  return bytes;
}

function writeDocument(w: Writer, value: Record<string, unknown> | unknown[], array: boolean): void {
  w.reserve(4);
  const start = w.at;
  w.at += 4;
  if (array) {
    const items = value as unknown[];
    for (let i = 0; i < items.length; i++) writeElement(w, String(i), items[i]);
  } else {
    for (const name in value) {
      if (name === "__proto__") throw GIVE_UP;
      writeElement(w, name, (value as Record<string, unknown>)[name]);
    }
  }
  w.byte(0);
  w.view.setInt32(start, w.at - start, true);
}

/** Writes the type byte at `typeAt` (reserved before the name) once the value's type is known. */
function writeElement(w: Writer, name: string, value: unknown): void {
  w.reserve(1);
  const typeAt = w.at++;
  w.cstring(name);
  w.bytes[typeAt] = writeValue(w, value);
}

function writeValue(w: Writer, value: unknown): number {
  switch (typeof value) {
    case "string":
      w.string(value);
      return 0x02;
    case "boolean":
      w.byte(value ? 1 : 0);
      return 0x08;
    case "number":
      return writeNumber(w, value);
    case "object":
      if (value === null) return 0x0a;
      if (Array.isArray(value)) {
        writeDocument(w, value, true);
        return 0x04;
      }
      return writeObject(w, value as Record<string, unknown>);
    default:
      throw GIVE_UP;
  }
}

function writeNumber(w: Writer, x: number): number {
  w.reserve(8);
  if (Number.isInteger(x) && !Object.is(x, -0)) {
    if (x >= -2147483648 && x <= 2147483647) {
      w.view.setInt32(w.at, x, true);
      w.at += 4;
      return 0x10;
    }
    if (!Number.isSafeInteger(x)) throw GIVE_UP; // Long.fromNumber's rounding: the slow path
    w.view.setBigInt64(w.at, BigInt(x), true);
    w.at += 8;
    return 0x12;
  }
  w.view.setFloat64(w.at, x, true);
  w.at += 8;
  return 0x01;
}

/** A plain object, or one `$`-wrapper the fast path knows; anything else with a `$` name gives up. */
function writeObject(w: Writer, value: Record<string, unknown>): number {
  let first: string | undefined;
  let count = 0;
  let dollar = false;
  for (const name in value) {
    if (count++ === 0) first = name;
    if (name.charCodeAt(0) === 0x24) dollar = true;
  }
  if (!dollar) {
    writeDocument(w, value, false);
    return 0x03;
  }
  if (count !== 1) throw GIVE_UP;
  const inner = value[first!];
  switch (first) {
    case "$numberInt": {
      if (typeof inner !== "string" || !INT32_TEXT.test(inner)) throw GIVE_UP;
      const n = Number(inner);
      if (n !== (n | 0)) throw GIVE_UP;
      w.reserve(4);
      w.view.setInt32(w.at, n, true);
      w.at += 4;
      return 0x10;
    }
    case "$numberLong": {
      w.reserve(8);
      w.view.setBigInt64(w.at, int64(inner), true);
      w.at += 8;
      return 0x12;
    }
    case "$numberDouble": {
      if (typeof inner !== "string") throw GIVE_UP;
      w.reserve(8);
      w.view.setFloat64(w.at, parseFloat(inner), true);
      w.at += 8;
      return 0x01;
    }
    case "$date": {
      let ms: number;
      if (typeof inner === "string") ms = Date.parse(inner);
      else if (inner !== null && typeof inner === "object" && onlyKey(inner, "$numberLong")) {
        ms = Number(int64((inner as { $numberLong: unknown }).$numberLong));
      } else throw GIVE_UP;
      if (!(Math.abs(ms) <= DATE_MS_MAX)) throw GIVE_UP; // NaN too
      w.reserve(8);
      w.view.setBigInt64(w.at, BigInt(ms), true);
      w.at += 8;
      return 0x09;
    }
    case "$oid": {
      if (typeof inner !== "string" || !OID_TEXT.test(inner)) throw GIVE_UP;
      w.reserve(12);
      for (let i = 0; i < 12; i++) w.bytes[w.at + i] = parseInt(inner.slice(2 * i, 2 * i + 2), 16);
      w.at += 12;
      return 0x07;
    }
    case "$binary":
      return writeBinary(w, inner);
    case "$numberDecimal": {
      if (typeof inner !== "string") throw GIVE_UP;
      let bytes: Uint8Array;
      try {
        bytes = Decimal128.fromString(inner).bytes;
      } catch {
        throw GIVE_UP;
      }
      w.reserve(16);
      w.bytes.set(bytes, w.at);
      w.at += 16;
      return 0x13;
    }
    default:
      throw GIVE_UP;
  }
}

function onlyKey(value: object, key: string): boolean {
  let count = 0;
  for (const name in value) if (count++ > 0 || name !== key) return false;
  return count === 1;
}

function int64(text: unknown): bigint {
  if (typeof text !== "string" || !INT64_TEXT.test(text)) throw GIVE_UP;
  const n = BigInt(text);
  if (n < INT64_MIN || n > INT64_MAX) throw GIVE_UP;
  return n;
}

function writeBinary(w: Writer, inner: unknown): number {
  if (inner === null || typeof inner !== "object") throw GIVE_UP;
  const { base64: text, subType } = inner as { base64?: unknown; subType?: unknown };
  let count = 0;
  for (const name in inner) if (++count > 2 || name !== "base64" && name !== "subType") throw GIVE_UP;
  if (typeof text !== "string" || typeof subType !== "string" || !SUBTYPE_TEXT.test(subType)) throw GIVE_UP;
  if (!BASE64_TEXT.test(text)) throw GIVE_UP;
  const type = parseInt(subType, 16);
  const padding = text.endsWith("==") ? 2 : text.endsWith("=") ? 1 : 0;
  const length = text.length / 4 * 3 - padding;
  if (type === 2 || type === 9 || type === 4 && length !== 16) throw GIVE_UP;
  w.reserve(5 + length + 2);
  w.view.setInt32(w.at, length, true);
  w.bytes[w.at + 4] = type;
  let out = w.at + 5;
  for (let i = 0; i < text.length; i += 4) {
    const n = (B64_VALUE[text.charCodeAt(i)] << 18) | (B64_VALUE[text.charCodeAt(i + 1)] << 12) |
      (B64_VALUE[text.charCodeAt(i + 2)] << 6) | B64_VALUE[text.charCodeAt(i + 3)];
    w.bytes[out++] = n >> 16;
    w.bytes[out++] = (n >> 8) & 0xff;
    w.bytes[out++] = n & 0xff;
  }
  w.at += 5 + length; // the padding's bytes past it are overwritten next
  return 0x05;
}
