/**
 * Writing BSON in AssemblyScript services (bsonspec.org): `BsonWriter` builds one document, nested
 * documents and arrays included, into a growable buffer; the element type constants and UTF-8
 * helpers the reader (bson_reader.ts) shares.
 *
 * Keys: AssemblyScript strings are UTF-16 and BSON keys are UTF-8; the writer encodes a key
 * straight into its buffer (no temporary string or array). `addUtf8` copies a string that is
 * already UTF-8 (an Html fragment's bytes) without a round trip through UTF-16.
 *
 * Invariants: every document finish() returns is well formed (lengths patched, terminated);
 * a key never contains NUL (abort); inside an array the writer numbers the elements itself.
 */

/** BSON element types (the ones this SDK writes or reads; others are skipped by size). */
export const BSON_DOUBLE: u8 = 0x01;
export const BSON_STRING: u8 = 0x02;
export const BSON_DOCUMENT: u8 = 0x03;
export const BSON_ARRAY: u8 = 0x04;
export const BSON_BINARY: u8 = 0x05;
export const BSON_OBJECT_ID: u8 = 0x07;
export const BSON_BOOL: u8 = 0x08;
export const BSON_DATE: u8 = 0x09;
export const BSON_NULL: u8 = 0x0a;
export const BSON_INT32: u8 = 0x10;
export const BSON_INT64: u8 = 0x12;

/** The key to pass inside an array: the writer numbers array elements itself. */
export const ITEM = "";

const WRITER_BYTES_INITIAL = 256;
/** The smallest document: length and terminator. */
export const DOC_BYTES_MIN = 5;

/** Bytes of `s` as UTF-8. */
export function utf8Bytes(s: string): Uint8Array {
  const out = new Uint8Array(String.UTF8.byteLength(s));
  String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, out.dataStart);
  return out;
}

/**
 * `len` bytes at `ptr` decoded as UTF-8. ASCII (most keys, ids and field values) is widened into
 * a string of the exact size; other text goes through String.UTF8 (which allocates twice).
 */
export function utf8String(ptr: usize, len: i32): string {
  if (len <= 0) return "";
  const n = <usize> len;
  let i: usize = 0;
  while (i + 8 <= n && (load<u64>(ptr + i) & 0x8080808080808080) == 0) i += 8;
  while (i < n && load<u8>(ptr + i) < 0x80) i++;
  if (i < n) return String.UTF8.decodeUnsafe(ptr, n);
  const out = changetype<string>(__new(n << 1, idof<string>()));
  const chars = changetype<usize>(out);
  for (i = 0; i < n; i++) store<u16>(chars + (i << 1), <u16> load<u8>(ptr + i));
  return out;
}

/** Builds one BSON document. Methods append a field and return the writer, for chaining. */
export class BsonWriter {
  private buf: Uint8Array;
  private len: i32 = 0;
  /** Start offsets of the open documents and arrays, outermost first. */
  private starts: i32[] = [];
  /** Per open container: the next array index, or -1 for a document. */
  private indexes: i32[] = [];
  private done: bool = false;

  constructor(capacity: i32 = WRITER_BYTES_INITIAL) {
    this.buf = new Uint8Array(capacity < DOC_BYTES_MIN ? DOC_BYTES_MIN : capacity);
    this.open(-1);
  }

  /** Starts over with an empty document (views returned by finish() are overwritten). */
  reset(): BsonWriter {
    this.len = 0;
    this.starts.length = 0;
    this.indexes.length = 0;
    this.done = false;
    this.open(-1);
    return this;
  }

  addString(key: string, value: string): BsonWriter {
    this.head(BSON_STRING, key);
    const n = String.UTF8.byteLength(value);
    this.reserve(n + 5);
    store<i32>(this.at(), n + 1);
    String.UTF8.encodeUnsafe(changetype<usize>(value), value.length, this.at() + 4);
    store<u8>(this.at() + 4 + <usize> n, 0);
    this.len += n + 5;
    return this;
  }

  /** A string given as its UTF-8 bytes, copied as they are (e.g. an Html fragment's bytes()). */
  addUtf8(key: string, utf8: Uint8Array): BsonWriter {
    this.head(BSON_STRING, key);
    const n = utf8.length;
    this.reserve(n + 5);
    store<i32>(this.at(), n + 1);
    memory.copy(this.at() + 4, utf8.dataStart, <usize> n);
    store<u8>(this.at() + 4 + <usize> n, 0);
    this.len += n + 5;
    return this;
  }

  addI32(key: string, value: i32): BsonWriter {
    this.head(BSON_INT32, key);
    this.reserve(4);
    store<i32>(this.at(), value);
    this.len += 4;
    return this;
  }

  addI64(key: string, value: i64): BsonWriter {
    this.head(BSON_INT64, key);
    this.put64(value);
    return this;
  }

  addF64(key: string, value: f64): BsonWriter {
    this.head(BSON_DOUBLE, key);
    this.reserve(8);
    store<f64>(this.at(), value);
    this.len += 8;
    return this;
  }

  addBool(key: string, value: bool): BsonWriter {
    this.head(BSON_BOOL, key);
    this.reserve(1);
    store<u8>(this.at(), value ? 1 : 0);
    this.len += 1;
    return this;
  }

  addNull(key: string): BsonWriter {
    this.head(BSON_NULL, key);
    return this;
  }

  /** A date: milliseconds since the epoch. */
  addDate(key: string, ms: i64): BsonWriter {
    this.head(BSON_DATE, key);
    this.put64(ms);
    return this;
  }

  /** Binary (subtype 0). */
  addBinary(key: string, value: Uint8Array): BsonWriter {
    this.head(BSON_BINARY, key);
    this.reserve(value.length + 5);
    store<i32>(this.at(), value.length);
    store<u8>(this.at() + 4, 0);
    memory.copy(this.at() + 5, value.dataStart, <usize> value.length);
    this.len += value.length + 5;
    return this;
  }

  /** Embeds finished document bytes (from another writer's finish() or a BsonDoc). */
  addDocument(key: string, bytes: Uint8Array): BsonWriter {
    return this.addRaw(BSON_DOCUMENT, key, bytes);
  }

  /** Embeds finished array bytes (a document keyed "0", "1", …). */
  addArray(key: string, bytes: Uint8Array): BsonWriter {
    return this.addRaw(BSON_ARRAY, key, bytes);
  }

  /** Opens a nested document; close it with end(). */
  startDocument(key: string): BsonWriter {
    this.head(BSON_DOCUMENT, key);
    this.open(-1);
    return this;
  }

  /** Opens a nested array; its elements take ITEM as key; close it with end(). */
  startArray(key: string): BsonWriter {
    this.head(BSON_ARRAY, key);
    this.open(0);
    return this;
  }

  /** Closes the innermost open document or array. */
  end(): BsonWriter {
    if (this.starts.length < 2) abort("BsonWriter.end: no nested document or array is open");
    this.close();
    return this;
  }

  /** Closes the document and returns its bytes: a view of the writer's buffer, valid until reset(). */
  finish(): Uint8Array {
    if (!this.done) {
      if (this.starts.length != 1) abort("BsonWriter.finish: a nested document or array is still open");
      this.close();
      this.done = true;
    }
    return this.buf.subarray(0, this.len);
  }

  private addRaw(type: u8, key: string, bytes: Uint8Array): BsonWriter {
    this.head(type, key);
    this.reserve(bytes.length);
    memory.copy(this.at(), bytes.dataStart, <usize> bytes.length);
    this.len += bytes.length;
    return this;
  }

  private put64(value: i64): void {
    this.reserve(8);
    store<i64>(this.at(), value);
    this.len += 8;
  }

  private at(): usize {
    return this.buf.dataStart + <usize> this.len;
  }

  private open(index: i32): void {
    this.reserve(4);
    this.starts.push(this.len);
    this.indexes.push(index);
    this.len += 4;
  }

  private close(): void {
    this.reserve(1);
    store<u8>(this.at(), 0);
    this.len += 1;
    const start = this.starts.pop();
    this.indexes.pop();
    store<i32>(this.buf.dataStart + <usize> start, this.len - start);
  }

  /** Writes the type byte and the key (or the next array index) with its terminator. */
  private head(type: u8, key: string): void {
    if (this.done) abort("BsonWriter: the document is finished (call reset() to reuse the writer)");
    const depth = this.indexes.length - 1;
    const index = unchecked(this.indexes[depth]);
    if (index < 0) {
      this.headBytes(type, key);
      return;
    }
    unchecked(this.indexes[depth] = index + 1);
    let digits = 1;
    for (let rest = index / 10; rest > 0; rest /= 10) digits++;
    this.reserve(digits + 2);
    const at = this.at();
    store<u8>(at, type);
    let n = index;
    for (let i = digits; i > 0; i--) {
      store<u8>(at + <usize> i, 48 + n % 10);
      n /= 10;
    }
    store<u8>(at + 1 + <usize> digits, 0);
    this.len += digits + 2;
  }

  private headBytes(type: u8, key: string): void {
    const n = String.UTF8.byteLength(key);
    this.reserve(n + 2);
    const at = this.at();
    store<u8>(at, type);
    String.UTF8.encodeUnsafe(changetype<usize>(key), key.length, at + 1);
    for (let i = 0; i < n; i++) {
      if (load<u8>(at + 1 + <usize> i) == 0) abort("BsonWriter: a key contains a NUL character");
    }
    store<u8>(at + 1 + <usize> n, 0);
    this.len += n + 2;
  }

  private reserve(n: i32): void {
    const needed = this.len + n;
    if (needed <= this.buf.length) return;
    let capacity = this.buf.length * 2;
    if (capacity < needed) capacity = needed;
    const grown = new Uint8Array(capacity);
    memory.copy(grown.dataStart, this.buf.dataStart, <usize> this.len);
    this.buf = grown;
  }
}
