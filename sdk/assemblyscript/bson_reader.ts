/**
 * Reading BSON in AssemblyScript services: `BsonDoc` is a read-only view of one document's bytes
 * (lookup by key, typed getters with fallbacks) and `BsonIter` a cursor over its elements. Nothing
 * is decoded until asked for: a nested document is one small object (buffer, address, length, no
 * Uint8Array), `fieldsOf`/`itemsOf` walk a nested container without even that, and
 * `getStringSpan` says where a string's UTF-8 bytes lie so they can be copied without a string.
 *
 * Keys: an ASCII key is compared against the stored UTF-8 bytes in place, so a lookup allocates
 * nothing (a non-ASCII key is encoded once per lookup).
 *
 * Invariants: the reader never reads outside its document: malformed bytes read as an empty
 * document, and a malformed element ends iteration as if the document ended there.
 */
import {
  BSON_ARRAY,
  BSON_BINARY,
  BSON_BOOL,
  BSON_DATE,
  BSON_DOCUMENT,
  BSON_DOUBLE,
  BSON_INT32,
  BSON_INT64,
  BSON_NULL,
  BSON_OBJECT_ID,
  BSON_STRING,
  BsonWriter,
  DOC_BYTES_MIN,
  utf8Bytes,
  utf8String,
} from "./bson";

/** Size of the value of type `type` at `at` (absolute), or -1 when unknown or out of `end`. */
function valueSize(type: u8, at: usize, end: usize): i32 {
  const room = <i32> (end - at);
  let size: i32 = -1;
  switch (type) {
    case 0x06: // undefined
    case BSON_NULL:
    case 0x7f: // max key
    case 0xff: // min key
      size = 0;
      break;
    case BSON_BOOL:
      size = 1;
      break;
    case BSON_INT32:
      size = 4;
      break;
    case BSON_DOUBLE:
    case BSON_DATE:
    case 0x11: // timestamp
    case BSON_INT64:
      size = 8;
      break;
    case BSON_OBJECT_ID:
      size = 12;
      break;
    case 0x13: // decimal128
      size = 16;
      break;
    case BSON_STRING:
    case 0x0d: // JavaScript code
    case 0x0e: // symbol
      if (room >= 4 && load<i32>(at) >= 1) size = 4 + load<i32>(at); // the length counts the NUL
      break;
    case BSON_DOCUMENT:
    case BSON_ARRAY:
    case 0x0f: // code with scope
      if (room >= 4) size = load<i32>(at);
      break;
    case BSON_BINARY:
      if (room >= 5 && load<i32>(at) >= 0) size = 5 + load<i32>(at);
      break;
    case 0x0c: // DB pointer
      if (room >= 4) size = 16 + load<i32>(at);
      break;
    case 0x0b: {
      // regex: two C strings
      let p = at;
      let nuls = 0;
      while (p < end && nuls < 2) {
        if (load<u8>(p) == 0) nuls++;
        p++;
      }
      if (nuls == 2) size = <i32> (p - at);
      break;
    }
  }
  return size < 0 || size > room ? -1 : size;
}

/** Whether the C string at `ptr` (`n` bytes, no terminator) equals `key`. */
function keyEquals(ptr: usize, n: i32, key: string): bool {
  const units = key.length;
  if (units > n) return false; // UTF-8 never has fewer bytes than UTF-16 units
  const chars = changetype<usize>(key);
  for (let i = 0; i < units; i++) {
    const c = load<u16>(chars + (<usize> i << 1));
    if (c >= 0x80) return utf8Equals(ptr, n, key);
    if (<u16> load<u8>(ptr + <usize> i) != c) return false;
  }
  return units == n;
}

function utf8Equals(ptr: usize, n: i32, key: string): bool {
  const bytes = utf8Bytes(key);
  if (bytes.length != n) return false;
  return memory.compare(ptr, bytes.dataStart, <usize> n) == 0;
}

/** A cursor over the elements of a BsonDoc: `while (it.next()) { it.key … }`. */
export class BsonIter {
  private doc: BsonDoc;
  private pos: usize;
  /** Address of the terminator of the document being walked. */
  private end: usize;
  /** Absolute address of the current element's type byte (0 before the first next()). */
  element: usize = 0;
  /** The current element's type. */
  type: u8 = 0;
  private keyLen: i32 = 0;
  private value: usize = 0;

  constructor(doc: BsonDoc) {
    this.doc = doc;
    this.pos = doc.start() + 4;
    this.end = doc.start() + <usize> doc.byteLength - 1;
  }

  /** Walks the nested document at [from, to) instead, addresses inside the document (internal). */
  within(from: usize, to: usize): BsonIter {
    const ok = wellFormed(from, <i32> (to - from));
    this.pos = from + 4;
    this.end = ok ? to - 1 : from + 4;
    return this;
  }

  /** Moves to the next element; false at the end (or at a malformed element). */
  next(): bool {
    const end = this.end;
    if (this.pos >= end) return false;
    const type = load<u8>(this.pos);
    let p = this.pos + 1;
    while (p < end && load<u8>(p) != 0) p++;
    if (p >= end) return false;
    const size = valueSize(type, p + 1, end);
    if (size < 0) {
      this.pos = end;
      return false;
    }
    this.element = this.pos;
    this.type = type;
    this.keyLen = <i32> (p - this.pos - 1);
    this.value = p + 1;
    this.pos = p + 1 + <usize> size;
    return true;
  }

  /** The current key, decoded (allocates). */
  get key(): string {
    return utf8String(this.element + 1, this.keyLen);
  }

  /** Bytes of the current key (its UTF-8 starts at element + 1). */
  get keyLength(): i32 {
    return this.keyLen;
  }

  /** Whether the current key is `key` (no allocation for ASCII keys). */
  keyIs(key: string): bool {
    return keyEquals(this.element + 1, this.keyLen, key);
  }

  /** Address of the current value. */
  get valueAt(): usize {
    return this.value;
  }

  getString(fallback: string = ""): string {
    return readString(this.type, this.value, fallback);
  }
  /** The current string's UTF-8 bytes as a span (BsonDoc.getStringSpan), 0 when not a string. */
  getStringSpan(): u64 {
    return readSpan(this.type, this.value);
  }
  getI32(fallback: i32 = 0): i32 {
    return readI32(this.type, this.value, fallback);
  }
  getI64(fallback: i64 = 0): i64 {
    return readI64(this.type, this.value, fallback);
  }
  getF64(fallback: f64 = 0): f64 {
    return readF64(this.type, this.value, fallback);
  }
  getBool(fallback: bool = false): bool {
    return this.type == BSON_BOOL ? load<u8>(this.value) != 0 : fallback;
  }
  getDoc(): BsonDoc | null {
    return this.type == BSON_DOCUMENT || this.type == BSON_ARRAY
      ? this.doc.slice(this.value, this.pos)
      : null;
  }
  /** Binary bytes (a view into the document's bytes), or null. */
  getBinary(): Uint8Array | null {
    return this.type == BSON_BINARY ? this.doc.view(this.value + 5, this.pos) : null;
  }
}

function readString(type: u8, at: usize, fallback: string): string {
  return type == BSON_STRING ? utf8String(at + 4, load<i32>(at) - 1) : fallback;
}

/** The span of a string value at `at` (see getStringSpan), 0 when `type` is not a string. */
function readSpan(type: u8, at: usize): u64 {
  return type == BSON_STRING ? ((<u64> (load<i32>(at) - 1) << 32) | <u64> (at + 4)) : 0;
}

/** Address of the first UTF-8 byte of a span from getStringSpan. */
export function spanStart(span: u64): usize {
  return <usize> (span & 0xffffffff);
}

/** Byte length of a span from getStringSpan (no terminator). */
export function spanLength(span: u64): i32 {
  return <i32> (span >>> 32);
}

function readI32(type: u8, at: usize, fallback: i32): i32 {
  if (type == BSON_INT32) return load<i32>(at);
  if (type == BSON_INT64) return <i32> load<i64>(at);
  if (type == BSON_DOUBLE) {
    const v = load<f64>(at);
    return isFinite(v) ? <i32> v : fallback;
  }
  return fallback;
}

function readI64(type: u8, at: usize, fallback: i64): i64 {
  if (type == BSON_INT64 || type == BSON_DATE) return load<i64>(at);
  if (type == BSON_INT32) return <i64> load<i32>(at);
  if (type == BSON_DOUBLE) {
    const v = load<f64>(at);
    return isFinite(v) ? <i64> v : fallback;
  }
  return fallback;
}

function readF64(type: u8, at: usize, fallback: f64): f64 {
  if (type == BSON_DOUBLE) return load<f64>(at);
  if (type == BSON_INT32) return <f64> load<i32>(at);
  if (type == BSON_INT64) return <f64> load<i64>(at);
  return fallback;
}

/** Whether the `size` bytes at `at` can be a document: its length field, room, and terminator. */
function wellFormed(at: usize, size: i32): bool {
  return size >= DOC_BYTES_MIN && load<i32>(at) == size && load<u8>(at + <usize> size - 1) == 0;
}

// The element the last seek() found (lookups allocate nothing; not reentrant, nor need they be).
let foundType: u8 = 0;
let foundValue: usize = 0;
let foundEnd: usize = 0;

/** Finds the element named `key` in `doc`; on true, found* describe it. */
function seek(doc: BsonDoc, key: string): bool {
  let pos = doc.start() + 4;
  const end = doc.start() + <usize> doc.byteLength - 1;
  while (pos < end) {
    const type = load<u8>(pos);
    let p = pos + 1;
    while (p < end && load<u8>(p) != 0) p++;
    if (p >= end) return false;
    const size = valueSize(type, p + 1, end);
    if (size < 0) return false;
    if (keyEquals(pos + 1, <i32> (p - pos - 1), key)) {
      foundType = type;
      foundValue = p + 1;
      foundEnd = p + 1 + <usize> size;
      return true;
    }
    pos = p + 1 + <usize> size;
  }
  return false;
}

/**
 * A read-only view of one BSON document (or array: keys "0", "1", …). It holds the buffer, an
 * address and a length, not a Uint8Array, so a nested document or a find() result costs one
 * small object.
 */
export class BsonDoc {
  /** The buffer the document lies in (referenced, so the GC keeps it while the view lives). */
  private buffer: ArrayBuffer;
  private addr: usize;
  private size: i32;

  /** A view of `bytes`; malformed bytes read as an empty document. */
  constructor(bytes: Uint8Array) {
    const ok = wellFormed(bytes.dataStart, bytes.length);
    const valid = ok ? bytes : EMPTY_DOC;
    this.buffer = valid.buffer;
    this.addr = valid.dataStart;
    this.size = valid.length;
  }

  /** The document's bytes (a new view of them per call). */
  get bytes(): Uint8Array {
    return Uint8Array.wrap(this.buffer, <i32> (this.addr - changetype<usize>(this.buffer)), this.size);
  }

  /** Address of the first byte. */
  start(): usize {
    return this.addr;
  }

  /** Bytes of the document. */
  get byteLength(): i32 {
    return this.size;
  }

  /** A cursor over the elements. */
  fields(): BsonIter {
    return new BsonIter(this);
  }

  /**
   * A cursor over the elements of the nested document or array `key` (without a BsonDoc for it),
   * or null when `key` is absent or neither.
   */
  fieldsOf(key: string): BsonIter | null {
    if (!seek(this, key) || (foundType != BSON_DOCUMENT && foundType != BSON_ARRAY)) return null;
    return new BsonIter(this).within(foundValue, foundEnd);
  }

  /** A cursor over the elements of the array `key` (like getArray(key).fields()), or null. */
  itemsOf(key: string): BsonIter | null {
    if (!seek(this, key) || foundType != BSON_ARRAY) return null;
    return new BsonIter(this).within(foundValue, foundEnd);
  }

  /** The type of `key`, 0 when absent. */
  typeOf(key: string): u8 {
    return seek(this, key) ? foundType : 0;
  }

  has(key: string): bool {
    return seek(this, key);
  }

  /** True when `key` holds null (not when it is absent). */
  isNull(key: string): bool {
    return seek(this, key) && foundType == BSON_NULL;
  }

  getString(key: string, fallback: string = ""): string {
    return seek(this, key) ? readString(foundType, foundValue, fallback) : fallback;
  }

  /**
   * Where the UTF-8 bytes of string `key` lie, without decoding them: a span (address in the low
   * 32 bits, byte length in the high 32; read with spanStart and spanLength), valid while this
   * document is; 0 when the field is absent or not a string. Allocates nothing.
   */
  getStringSpan(key: string): u64 {
    return seek(this, key) ? readSpan(foundType, foundValue) : 0;
  }

  /** An int32, int64 or double as i32 (truncated), else `fallback`. */
  getI32(key: string, fallback: i32 = 0): i32 {
    return seek(this, key) ? readI32(foundType, foundValue, fallback) : fallback;
  }

  /** An int64, int32, double or date as i64, else `fallback`. */
  getI64(key: string, fallback: i64 = 0): i64 {
    return seek(this, key) ? readI64(foundType, foundValue, fallback) : fallback;
  }

  /** A double, int32 or int64 as f64, else `fallback`. */
  getF64(key: string, fallback: f64 = 0): f64 {
    return seek(this, key) ? readF64(foundType, foundValue, fallback) : fallback;
  }

  getBool(key: string, fallback: bool = false): bool {
    return seek(this, key) && foundType == BSON_BOOL ? load<u8>(foundValue) != 0 : fallback;
  }

  /** A date in ms since the epoch, else `fallback`. */
  getDate(key: string, fallback: i64 = 0): i64 {
    return seek(this, key) && foundType == BSON_DATE ? load<i64>(foundValue) : fallback;
  }

  /** A nested document (or array) as a view, or null. */
  getDoc(key: string): BsonDoc | null {
    if (!seek(this, key) || (foundType != BSON_DOCUMENT && foundType != BSON_ARRAY)) return null;
    return this.slice(foundValue, foundEnd);
  }

  /** A nested array as a view, or null. */
  getArray(key: string): BsonDoc | null {
    return seek(this, key) && foundType == BSON_ARRAY ? this.slice(foundValue, foundEnd) : null;
  }

  /** Binary bytes (a view into this document's bytes), or null. */
  getBinary(key: string): Uint8Array | null {
    return seek(this, key) && foundType == BSON_BINARY ? this.view(foundValue + 5, foundEnd) : null;
  }

  /** Number of elements. */
  get count(): i32 {
    let n = 0;
    const it = new BsonIter(this);
    while (it.next()) n++;
    return n;
  }

  /** The elements that are documents, in order (for an array of documents): views, no copies. */
  docs(): BsonDoc[] {
    let n = 0;
    const it = new BsonIter(this);
    while (it.next()) if (it.type == BSON_DOCUMENT || it.type == BSON_ARRAY) n++;
    const out = new Array<BsonDoc>(n);
    const again = new BsonIter(this);
    for (let i = 0; i < n && again.next();) {
      const doc = again.getDoc();
      if (doc !== null) unchecked(out[i++] = doc);
    }
    return out;
  }

  /** The elements that are strings, in order (for an array of strings). */
  strings(): string[] {
    const out: string[] = [];
    const it = new BsonIter(this);
    while (it.next()) if (it.type == BSON_STRING) out.push(it.getString());
    return out;
  }

  /** A document view of [from, to) (absolute addresses inside this document). */
  slice(from: usize, to: usize): BsonDoc {
    const doc = new BsonDoc(EMPTY_DOC);
    if (wellFormed(from, <i32> (to - from))) {
      doc.buffer = this.buffer;
      doc.addr = from;
      doc.size = <i32> (to - from);
    }
    return doc;
  }

  /** A byte view of [from, to) (absolute addresses inside this document). */
  view(from: usize, to: usize): Uint8Array {
    return Uint8Array.wrap(this.buffer, <i32> (from - changetype<usize>(this.buffer)), <i32> (to - from));
  }
}

const EMPTY_DOC = new BsonWriter(DOC_BYTES_MIN).finish();
