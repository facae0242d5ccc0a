/**
 * BSON to JSON text for AssemblyScript services (the dialect has no built-in JSON): `toJson(doc)`,
 * `toJsonArray(docs)` and `jsonString(s)`. Output is written as UTF-8 bytes straight from the BSON
 * bytes (keys and strings are copied with escapes, numbers and dates formatted in place) and
 * decoded once at the end, so a document costs a handful of allocations, not one per field.
 *
 * Mapping, as JSON.stringify: an integral double is written without ".0"; NaN and ±Infinity as
 * null; dates as ISO strings (UTC, milliseconds); int64 as digits; ObjectIds as hex strings;
 * binary as {"$bytes": base64}; other BSON types as null.
 *
 * Invariants: the output is valid JSON for any document the reader accepts; `"`, `\` and control
 * characters in keys and strings are always escaped.
 */
import { BSON_ARRAY, BSON_BINARY, BSON_BOOL, BSON_DATE, BSON_DOCUMENT, BSON_DOUBLE } from "./bson";
import { BSON_INT32, BSON_INT64, BSON_OBJECT_ID, BSON_STRING, utf8String } from "./bson";
import { BsonDoc, BsonIter } from "./bson_reader";

const HEX = "0123456789abcdef";
const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const JSON_BYTES_INITIAL = 256;
/** Integers a double holds exactly (2^53). */
const SAFE_INTEGER_LIMIT: f64 = 9007199254740992;
const MS_PER_DAY: i64 = 86_400_000;

/** `s` as a JSON string literal (quoted, escaped). */
export function jsonString(s: string): string {
  const out = new JsonBytes();
  const n = String.UTF8.byteLength(s);
  const bytes = new Uint8Array(n);
  String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, bytes.dataStart);
  out.quoted(bytes.dataStart, n);
  return out.toString();
}

/** A document as a JSON object. */
export function toJson(doc: BsonDoc): string {
  const out = new JsonBytes();
  out.container(doc, false);
  return out.toString();
}

/** Documents as a JSON array of objects (find() results). */
export function toJsonArray(docs: BsonDoc[]): string {
  const out = new JsonBytes();
  out.byte(91);
  for (let i = 0; i < docs.length; i++) {
    if (i > 0) out.byte(44);
    out.container(unchecked(docs[i]), false);
  }
  out.byte(93);
  return out.toString();
}

/** A growable UTF-8 buffer that writes JSON. */
class JsonBytes {
  private buf: Uint8Array = new Uint8Array(JSON_BYTES_INITIAL);
  private len: i32 = 0;

  toString(): string {
    return utf8String(this.buf.dataStart, this.len);
  }

  byte(b: i32): void {
    this.reserve(1);
    store<u8>(this.at(), <u8> b);
    this.len++;
  }

  ascii(s: string): void {
    this.reserve(s.length);
    const at = this.at();
    for (let i = 0; i < s.length; i++) store<u8>(at + <usize> i, <u8> s.charCodeAt(i));
    this.len += s.length;
  }

  /** `n` UTF-8 bytes at `ptr` as a quoted, escaped JSON string. */
  quoted(ptr: usize, n: i32): void {
    this.reserve(n + 2);
    this.byte(34);
    for (let i = 0; i < n; i++) {
      const b = <i32> load<u8>(ptr + <usize> i);
      if (b >= 0x20 && b != 34 && b != 92) {
        this.reserve(1);
        store<u8>(this.at(), <u8> b);
        this.len++;
      } else if (b == 34 || b == 92) {
        this.byte(92);
        this.byte(b);
      } else if (b == 10) {
        this.ascii("\\n");
      } else if (b == 13) {
        this.ascii("\\r");
      } else if (b == 9) {
        this.ascii("\\t");
      } else {
        this.ascii("\\u00");
        this.byte(HEX.charCodeAt(b >> 4));
        this.byte(HEX.charCodeAt(b & 15));
      }
    }
    this.byte(34);
  }

  integer(value: i64): void {
    if (value < 0) this.byte(45);
    // Digits of |value| from the end; i64.MIN_VALUE stays negative, so take digits as negatives.
    let n = value < 0 ? value : -value;
    let digits = 1;
    for (let rest = n / 10; rest != 0; rest /= 10) digits++;
    this.reserve(digits);
    const at = this.at();
    for (let i = digits - 1; i >= 0; i--) {
      store<u8>(at + <usize> i, <u8> (48 - n % 10));
      n /= 10;
    }
    this.len += digits;
  }

  number(v: f64): void {
    if (!isFinite(v)) this.ascii("null");
    else if (v == Math.floor(v) && Math.abs(v) < SAFE_INTEGER_LIMIT) this.integer(<i64> v);
    else this.ascii(v.toString());
  }

  /** A date as JSON.stringify writes it: "YYYY-MM-DDTHH:mm:ss.sssZ". */
  date(ms: i64): void {
    let days = ms / MS_PER_DAY;
    let rest = ms % MS_PER_DAY;
    if (rest < 0) {
      rest += MS_PER_DAY;
      days--;
    }
    // Howard Hinnant's civil_from_days (proleptic Gregorian).
    const z = days + 719_468;
    const era = (z >= 0 ? z : z - 146_096) / 146_097;
    const doe = z - era * 146_097;
    const yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    const doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const mp = (5 * doy + 2) / 153;
    const month = mp < 10 ? mp + 3 : mp - 9;
    const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
    if (year < 0 || year > 9999) {
      this.byte(34);
      this.ascii(new Date(ms).toISOString());
      this.byte(34);
      return;
    }
    this.byte(34);
    this.padded(year, 4, 45);
    this.padded(month, 2, 45);
    this.padded(doy - (153 * mp + 2) / 5 + 1, 2, 84);
    this.padded(rest / 3_600_000, 2, 58);
    this.padded((rest / 60_000) % 60, 2, 58);
    this.padded((rest / 1_000) % 60, 2, 46);
    this.padded(rest % 1_000, 3, 90);
    this.byte(34);
  }

  /** `value` in `width` digits, then the byte `after`. */
  private padded(value: i64, width: i32, after: i32): void {
    this.reserve(width + 1);
    const at = this.at();
    let n = value;
    for (let i = width - 1; i >= 0; i--) {
      store<u8>(at + <usize> i, <u8> (48 + n % 10));
      n /= 10;
    }
    store<u8>(at + <usize> width, <u8> after);
    this.len += width + 1;
  }

  container(doc: BsonDoc, array: bool): void {
    this.byte(array ? 91 : 123);
    const it = doc.fields();
    let first = true;
    while (it.next()) {
      if (!first) this.byte(44);
      first = false;
      if (!array) {
        this.quoted(it.element + 1, it.keyLength);
        this.byte(58);
      }
      this.value(it);
    }
    this.byte(array ? 93 : 125);
  }

  private value(it: BsonIter): void {
    const type = it.type;
    const at = it.valueAt;
    if (type == BSON_STRING) this.quoted(at + 4, load<i32>(at) - 1);
    else if (type == BSON_INT32) this.integer(<i64> load<i32>(at));
    else if (type == BSON_INT64) this.integer(load<i64>(at));
    else if (type == BSON_DOUBLE) this.number(load<f64>(at));
    else if (type == BSON_BOOL) this.ascii(load<u8>(at) != 0 ? "true" : "false");
    else if (type == BSON_DATE) this.date(load<i64>(at));
    else if (type == BSON_DOCUMENT || type == BSON_ARRAY) this.container(it.getDoc()!, type == BSON_ARRAY);
    else if (type == BSON_OBJECT_ID) this.hex(at, 12);
    else if (type == BSON_BINARY) this.base64(it.getBinary()!);
    else this.ascii("null");
  }

  private hex(at: usize, n: i32): void {
    this.byte(34);
    for (let i = 0; i < n; i++) {
      const b = <i32> load<u8>(at + <usize> i);
      this.byte(HEX.charCodeAt(b >> 4));
      this.byte(HEX.charCodeAt(b & 15));
    }
    this.byte(34);
  }

  private base64(bytes: Uint8Array): void {
    this.ascii('{"$bytes":"');
    for (let i = 0; i < bytes.length; i += 3) {
      const n = bytes.length - i;
      const v = (<i32> bytes[i] << 16) | (n > 1 ? <i32> bytes[i + 1] << 8 : 0) |
        (n > 2 ? <i32> bytes[i + 2] : 0);
      this.byte(BASE64.charCodeAt(v >> 18));
      this.byte(BASE64.charCodeAt((v >> 12) & 63));
      this.byte(n > 1 ? BASE64.charCodeAt((v >> 6) & 63) : 61);
      this.byte(n > 2 ? BASE64.charCodeAt(v & 63) : 61);
    }
    this.ascii('"}');
  }

  private at(): usize {
    return this.buf.dataStart + <usize> this.len;
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
