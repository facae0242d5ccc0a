/**
 * Order-preserving byte encoding of values for secondary index keys: for any two values a and b,
 * `compareBytes(encodeIndexValue(a), encodeIndexValue(b))` has the sign of `compareValues(a, b)`
 * (compare.ts). A compound key is the per-field encodings, each complemented for a descending
 * field, followed by the 16-byte document key. Byte layout: docs/query.md, "Index key encoding".
 *
 * Invariants:
 * - Every value encoding is prefix-free (no encoding is a proper prefix of another), so
 *   concatenations compare field by field and complementing one field reverses its order only.
 * - Equal values (5, 5n, 5.0; -0 and 0; all NaNs) encode to identical bytes.
 * - No value encoding starts with 0x00 or 0xFF, so its complement never does either.
 */
import { Buffer } from "node:buffer";
import { PlanckError } from "../../protocol/errors.ts";
import { assert } from "../assert.ts";
import { KEY_BYTES } from "../key.ts";
import { binaryBytes, otherString, toNumeric, TypeRank, typeRank, type TypeRankValue } from "./compare.ts";

/** Tag bytes: the first byte of every value encoding, in type order. Never change (persisted). */
export const IndexTag = {
  end: 0x01,
  field: 0x02,
  missing: 0x10,
  null: 0x14,
  number: 0x20,
  string: 0x30,
  object: 0x40,
  array: 0x50,
  binary: 0x60,
  objectId: 0x68,
  false: 0x70,
  true: 0x71,
  date: 0x80,
  other: 0x90,
} as const;

/** Direction of one index field. */
export type IndexDirection = "asc" | "desc";

/** Bytes of the byte-length header for a bigint delta (see writeDelta): at most 127 bytes. */
const DELTA_BYTES_MAX = 127;

/** Doubles are read through a little-endian view (every Deno target is little-endian). */
const DOUBLE = new Float64Array(1);
const DOUBLE_BYTES = new Uint8Array(DOUBLE.buffer);
assert(new Uint8Array(new Uint16Array([1]).buffer)[0] === 1, "the host is little-endian");

/** Capacity above which a reset writer drops its buffer (after one huge value). */
const WRITER_BYTES_KEPT_MAX = 64 * 1024;

/** Longest entry turned into a string with one String.fromCharCode call (arguments on the stack). */
const LATIN1_APPLY_BYTES_MAX = 512;
const LATIN1_CODES: number[] = [];

/** A growable byte buffer with the primitive writes of the encoding. */
export class ByteWriter {
  #bytes: Uint8Array;
  #length = 0;

  constructor(capacity = 64) {
    this.#bytes = new Uint8Array(capacity);
  }

  /** Bytes written so far. */
  get length(): number {
    return this.#length;
  }

  /** Forgets the bytes written (keeps a moderate buffer). */
  reset(): void {
    this.#length = 0;
    if (this.#bytes.length > WRITER_BYTES_KEPT_MAX) this.#bytes = new Uint8Array(256);
  }

  /** Ensures room for `extra` more bytes. */
  reserve(extra: number): void {
    if (this.#length + extra <= this.#bytes.length) return;
    let size = this.#bytes.length * 2;
    while (size < this.#length + extra) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.#bytes.subarray(0, this.#length));
    this.#bytes = grown;
  }

  /** Appends one byte. */
  byte(value: number): void {
    if (this.#length === this.#bytes.length) this.reserve(1);
    this.#bytes[this.#length++] = value;
  }

  /** Appends bytes. */
  bytes(values: Uint8Array): void {
    this.reserve(values.length);
    this.#bytes.set(values, this.#length);
    this.#length += values.length;
  }

  /** Appends a double as 8 bytes whose unsigned order is numeric order; NaN is 8 zero bytes (first). */
  orderedDouble(value: number): void {
    this.reserve(8);
    const out = this.#bytes;
    let p = this.#length;
    this.#length += 8;
    if (value !== value) {
      out.fill(0, p, p + 8);
      return;
    }
    DOUBLE[0] = value === 0 ? 0 : value; // -0 encodes as 0
    if (DOUBLE_BYTES[7] & 0x80) {
      for (let i = 7; i >= 0; i--) out[p++] = ~DOUBLE_BYTES[i] & 0xff; // negative: flip all bits
    } else {
      out[p++] = DOUBLE_BYTES[7] ^ 0x80; // positive: flip the sign bit
      for (let i = 6; i >= 0; i--) out[p++] = DOUBLE_BYTES[i];
    }
  }

  /** Appends generalized UTF-8 (lone surrogates as 3-byte sequences), 0x00 escaped, no terminator. */
  stringBody(value: string): void {
    this.reserve(value.length * 3);
    const out = this.#bytes;
    let p = this.#length;
    for (let i = 0; i < value.length; i++) {
      let c = value.charCodeAt(i);
      if (c < 0x80) {
        out[p++] = c;
        if (c === 0) out[p++] = 0xff; // 0x00 0xFF sorts after the terminator 0x00 0x01
        continue;
      }
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < value.length) {
        const low = value.charCodeAt(i + 1);
        if (low >= 0xdc00 && low <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
          i++;
        }
      }
      if (c < 0x800) {
        out[p++] = 0xc0 | (c >> 6);
      } else if (c < 0x10000) {
        out[p++] = 0xe0 | (c >> 12);
        out[p++] = 0x80 | ((c >> 6) & 0x3f);
      } else {
        out[p++] = 0xf0 | (c >> 18);
        out[p++] = 0x80 | ((c >> 12) & 0x3f);
        out[p++] = 0x80 | ((c >> 6) & 0x3f);
      }
      out[p++] = 0x80 | (c & 0x3f);
    }
    this.#length = p;
  }

  /** Complements the bytes from `start` to the end (for a descending field). */
  complementFrom(start: number): void {
    for (let i = start; i < this.#length; i++) this.#bytes[i] = ~this.#bytes[i] & 0xff;
  }

  /** A copy of the bytes written. */
  finish(): Uint8Array {
    return this.#bytes.slice(0, this.#length);
  }

  /** The bytes written as a latin1 string (one char per byte): no intermediate array. */
  finishLatin1(): string {
    const n = this.#length;
    if (n > LATIN1_APPLY_BYTES_MAX) return Buffer.from(this.#bytes.buffer, 0, n).toString("latin1");
    // One fromCharCode over a reused plain array: a flat string (concatenation would build a rope) and
    // no typed-array view (each costs a backing-store lookup here).
    const codes = LATIN1_CODES;
    codes.length = n;
    const b = this.#bytes;
    for (let i = 0; i < n; i++) codes[i] = b[i];
    return String.fromCharCode.apply(null, codes);
  }
}

function byteLength(magnitude: bigint): number {
  let n = 0;
  for (let m = magnitude; m > 0n; m >>= 8n) n++;
  return n;
}

/**
 * Writes an exact integer correction after the rounded double: 0x80 for zero, 0x80+n then n bytes
 * for a positive delta, 0x80-n then n bytes of (delta + 2^(8n) - 1) for a negative one.
 */
function writeDelta(writer: ByteWriter, delta: bigint): void {
  if (delta === 0n) {
    writer.byte(0x80);
    return;
  }
  const negative = delta < 0n;
  const n = byteLength(negative ? -delta : delta);
  if (n > DELTA_BYTES_MAX) {
    throw new PlanckError("invalid_argument", `Cannot index integer ${delta}: outside the indexable range`);
  }
  writer.byte(negative ? 0x80 - n : 0x80 + n);
  let bits = negative ? delta + (1n << BigInt(8 * n)) - 1n : delta;
  const out = new Uint8Array(n);
  for (let i = n - 1; i >= 0; i--) {
    out[i] = Number(bits & 0xffn);
    bits >>= 8n;
  }
  writer.bytes(out);
}

/**
 * Numbers: tag, the value rounded to a double (order-preserving), then the exact integer delta
 * `value - BigInt(rounded)` (always 0 for doubles). Rounding is monotonic, so the double decides
 * unless two values round to the same double; then the delta decides. Bigints beyond the double
 * range are clamped to ±MAX_VALUE and carried by the delta.
 */
function writeNumber(writer: ByteWriter, value: number | bigint): void {
  writer.byte(IndexTag.number);
  if (typeof value === "number") {
    writer.orderedDouble(value);
    writer.byte(0x80);
    return;
  }
  let rounded = Number(value);
  if (!Number.isFinite(rounded)) rounded = rounded > 0 ? Number.MAX_VALUE : -Number.MAX_VALUE;
  writer.orderedDouble(rounded);
  writeDelta(writer, value - BigInt(rounded));
}

/** Writes generalized UTF-8, escaped, without terminator (see ByteWriter.stringBody). */
export function writeStringBody(writer: ByteWriter, value: string): void {
  writer.stringBody(value);
}

function writeTerminator(writer: ByteWriter): void {
  writer.byte(0x00);
  writer.byte(0x01);
}

function writeString(writer: ByteWriter, tag: number, value: string): void {
  writer.byte(tag);
  writeStringBody(writer, value);
  writeTerminator(writer);
}

function writeObject(writer: ByteWriter, value: Record<string, unknown>): void {
  writer.byte(IndexTag.object);
  for (const name of Object.keys(value)) {
    writer.byte(IndexTag.field);
    writeStringBody(writer, name);
    writeTerminator(writer);
    writeValue(writer, value[name]);
  }
  writer.byte(IndexTag.end);
}

function writeArray(writer: ByteWriter, value: readonly unknown[]): void {
  writer.byte(IndexTag.array);
  for (let i = 0; i < value.length; i++) writeValue(writer, value[i]);
  writer.byte(IndexTag.end);
}

function writeBinary(writer: ByteWriter, bytes: Uint8Array): void {
  writer.byte(IndexTag.binary);
  for (let i = 0; i < bytes.length; i++) {
    writer.byte(bytes[i]);
    if (bytes[i] === 0) writer.byte(0xff);
  }
  writeTerminator(writer);
}

function writeObjectId(writer: ByteWriter, value: unknown): void {
  const hex = (value as { toHexString(): string }).toHexString();
  writer.byte(IndexTag.objectId);
  for (let i = 0; i < hex.length; i += 2) writer.byte(parseInt(hex.slice(i, i + 2), 16));
}

/** Appends the encoding of one value (ascending). */
export function writeValue(writer: ByteWriter, value: unknown): void {
  const rank: TypeRankValue = typeRank(value);
  switch (rank) {
    case TypeRank.missing:
      return writer.byte(IndexTag.missing);
    case TypeRank.null:
      return writer.byte(IndexTag.null);
    case TypeRank.number:
      return writeNumber(writer, toNumeric(value));
    case TypeRank.string:
      return writeString(writer, IndexTag.string, value as string);
    case TypeRank.object:
      return writeObject(writer, value as Record<string, unknown>);
    case TypeRank.array:
      return writeArray(writer, value as unknown[]);
    case TypeRank.binary:
      return writeBinary(writer, binaryBytes(value));
    case TypeRank.objectId:
      return writeObjectId(writer, value);
    case TypeRank.boolean:
      return writer.byte(value ? IndexTag.true : IndexTag.false);
    case TypeRank.date:
      writer.byte(IndexTag.date);
      return writer.orderedDouble((value as Date).getTime());
    default:
      return writeString(writer, IndexTag.other, otherString(value));
  }
}

/** The writer encodeIndexValue and encodeIndexKey reuse: encoding is synchronous and not reentrant. */
const shared = new ByteWriter(256);

/**
 * Encodes one value so that byte order equals the total order of compare.ts.
 * @throws PlanckError `invalid_argument` for a bigint beyond about ±2^1024 (not indexable)
 */
export function encodeIndexValue(value: unknown): Uint8Array {
  shared.reset();
  writeValue(shared, value);
  return shared.finish();
}

/**
 * Encodes a compound index entry: each value (complemented when its field is descending), then
 * the 16-byte document key. Entries of one index compare with a plain unsigned byte compare.
 * @param values one value per index field (`undefined` for a missing field)
 * @param directions one direction per index field
 * @param docKey the document key, 16 bytes
 */
export function encodeIndexKey(
  values: readonly unknown[],
  directions: readonly IndexDirection[],
  docKey: Uint8Array,
): Uint8Array {
  writeIndexKey(values, directions, docKey);
  return shared.finish();
}

/** `encodeIndexKey` as a latin1 string (the form index entries take in memtables): no array is made. */
export function encodeIndexEntry(
  values: readonly unknown[],
  directions: readonly IndexDirection[],
  docKey: Uint8Array,
): string {
  writeIndexKey(values, directions, docKey);
  return shared.finishLatin1();
}

function writeIndexKey(
  values: readonly unknown[],
  directions: readonly IndexDirection[],
  docKey: Uint8Array,
): void {
  assert(values.length === directions.length, "one value per index field");
  assert(docKey.length === KEY_BYTES, "document keys are 16 bytes");
  const writer = shared;
  writer.reset();
  for (let i = 0; i < values.length; i++) {
    const start = writer.length;
    writeValue(writer, values[i]);
    if (directions[i] === "desc") writer.complementFrom(start);
  }
  writer.bytes(docKey);
}

/** The 16-byte document key at the end of an index entry (a view, not a copy). */
export function decodeIndexKeyDocKey(bytes: Uint8Array): Uint8Array {
  assert(bytes.length > KEY_BYTES, "an index entry holds at least one field and the key");
  return bytes.subarray(bytes.length - KEY_BYTES);
}
