/**
 * HTML for AssemblyScript services: `escapeHtml(s)`, `StringBuilder` (a growable UTF-8 buffer),
 * and `html()`, a fragment builder whose `text()` escapes and `raw()` does not:
 *
 *     const out = html().raw("<li>").textOf(order, "title").raw("</li>");
 *     return Response.htmlUtf8(out.bytes()); // or Response.html(out.toString())
 *
 * (AssemblyScript has no tagged templates that escape, so interpolation is explicit.)
 *
 * Output is written as UTF-8 straight into one buffer: strings are encoded (and escaped) as they
 * are added, numbers are formatted in place, and `textOf`/`textAt` copy a BSON string's bytes
 * without decoding it, so a fragment costs its buffer's growth and nothing per piece. Strings
 * are encoded as AssemblyScript's String.UTF8 does (a lone surrogate as WTF-8, so `toString()`
 * gives back exactly what was added).
 *
 * Invariants: text added with `text()`, `textOf()`, `textAt()`, `int()` or `fixed()` never reaches
 * the output unescaped; `len` never exceeds the buffer's size; the escapable characters
 * (& < > " ') are all ASCII, so escaping never splits a UTF-8 sequence or a surrogate pair.
 */
import { utf8String } from "./bson";
import { BsonDoc, BsonIter, spanLength, spanStart } from "./bson_reader";

const BUILDER_BYTES_INITIAL = 256;
const BUILDER_BYTES_MIN = 16;
/** UTF-8 bytes one UTF-16 unit can need (a surrogate pair's two units need 4). */
const UTF8_BYTES_PER_UNIT_MAX = 3;
/** Bytes reserved for one entity: the longest is "&quot;" (6), written as one 8-byte store. */
const ENTITY_BYTES_RESERVED = 8;
/** Digits of the largest u64, plus a sign. */
const INT_BYTES_MAX = 21;
/** Most decimals formatFixed writes (i64 arithmetic keeps 15 significant digits exact). */
const FIXED_DIGITS_MAX = 9;
/** Integers a double holds exactly (2^53): a larger scaled value falls back to f64.toString(). */
const SAFE_INTEGER_LIMIT: f64 = 9007199254740992;

/** Bit c set for each escapable character c: " & ' < > (all below 64). */
const ESCAPABLE_MASK: u64 = 0x5000_00c4_0000_0000;

/** Whether the character (or byte) `c` is escaped: one compare and one shift for any input. */
function escapable(c: u32): bool {
  return c < 64 && ((ESCAPABLE_MASK >> <u64> c) & 1) != 0;
}

/** The entity of an escapable ASCII character as little-endian bytes (length in entityLength), else 0. */
function entityBits(c: u32): u64 {
  if (c == 38) return 0x3b706d6126; // &amp;
  if (c == 60) return 0x3b746c26; // &lt;
  if (c == 62) return 0x3b746726; // &gt;
  if (c == 34) return 0x3b746f757126; // &quot;
  if (c == 39) return 0x3b39332326; // &#39;
  return 0;
}

/** Bytes of an entity from entityBits (its bytes are non-zero, so count them). */
function entityLength(bits: u64): i32 {
  return (71 - <i32> clz<u64>(bits)) >> 3;
}

/** `text` with &, <, >, " and ' escaped (returned as is when there is nothing to escape). */
export function escapeHtml(text: string): string {
  const units = text.length;
  const chars = changetype<usize>(text);
  let extra = 0;
  for (let i = 0; i < units; i++) {
    const c = <u32> load<u16>(chars + (<usize> i << 1));
    if (escapable(c)) extra += entityLength(entityBits(c)) - 1;
  }
  if (extra == 0) return text;
  const out = changetype<string>(__new(<usize> (units + extra) << 1, idof<string>()));
  let at = changetype<usize>(out);
  for (let i = 0; i < units; i++) {
    const c = load<u16>(chars + (<usize> i << 1));
    if (!escapable(<u32> c)) {
      store<u16>(at, c);
      at += 2;
      continue;
    }
    for (let bits = entityBits(<u32> c); bits != 0; bits >>= 8) {
      store<u16>(at, <u16> (bits & 0xff));
      at += 2;
    }
  }
  return out;
}

/**
 * Encodes `units` UTF-16 units at `chars` as UTF-8 at `dst` and returns the bytes written: ASCII
 * four units at a time, the rest (from the first non-ASCII unit on) by String.UTF8.
 */
function encodeUtf8(chars: usize, units: i32, dst: usize): i32 {
  let i = 0;
  for (; i + 4 <= units; i += 4) {
    const w = load<u64>(chars + (<usize> i << 1));
    if ((w & 0xff80ff80ff80ff80) != 0) break;
    const packed = (w & 0xff) | ((w >> 8) & 0xff00) | ((w >> 16) & 0xff0000) | ((w >> 24) & 0xff000000);
    store<u32>(dst + <usize> i, <u32> packed);
  }
  for (; i < units; i++) {
    const c = load<u16>(chars + (<usize> i << 1));
    if (c >= 0x80) {
      return i + <i32> String.UTF8.encodeUnsafe(chars + (<usize> i << 1), units - i, dst + <usize> i);
    }
    store<u8>(dst + <usize> i, <u8> c);
  }
  return i;
}

/** Decimal digits of `n` (1 for 0). */
function decimalCount(n: u64): i32 {
  let digits = 1;
  for (let rest = n / 10; rest != 0; rest /= 10) digits++;
  return digits;
}

/** Writes `n` as exactly `digits` decimal digits (leading zeros) at `at`. */
function writeDigits(at: usize, n: u64, digits: i32): void {
  for (let i = digits - 1; i >= 0; i--) {
    store<u8>(at + <usize> i, <u8> (48 + n % 10));
    n /= 10;
  }
}

/**
 * Builds text as UTF-8 bytes in one growable buffer: `add()` encodes, `addEscaped()` encodes and
 * escapes for HTML, numbers are formatted in place. `bytes()` is the result as a view (for
 * `Response.htmlUtf8`), `toString()` decodes it once.
 */
export class StringBuilder {
  private buf: ArrayBuffer;
  private len: i32 = 0;

  constructor(capacity: i32 = BUILDER_BYTES_INITIAL) {
    this.buf = new ArrayBuffer(capacity < BUILDER_BYTES_MIN ? BUILDER_BYTES_MIN : capacity);
  }

  /** Bytes written so far. */
  get length(): i32 {
    return this.len;
  }

  /** Appends `s`. */
  add(s: string): StringBuilder {
    const units = s.length;
    this.reserve(units * UTF8_BYTES_PER_UNIT_MAX);
    this.len += encodeUtf8(changetype<usize>(s), units, this.at());
    return this;
  }

  /** Appends `s` with &, <, >, " and ' escaped. */
  addEscaped(s: string): StringBuilder {
    const units = s.length;
    const chars = changetype<usize>(s);
    this.reserve(units * UTF8_BYTES_PER_UNIT_MAX);
    let run = 0;
    for (let i = 0; i < units; i++) {
      const c = <u32> load<u16>(chars + (<usize> i << 1));
      if (!escapable(c)) continue;
      this.len += encodeUtf8(chars + (<usize> run << 1), i - run, this.at());
      this.entity(entityBits(c), (units - i) * UTF8_BYTES_PER_UNIT_MAX);
      run = i + 1;
    }
    this.len += encodeUtf8(chars + (<usize> run << 1), units - run, this.at());
    return this;
  }

  /** Appends `n` UTF-8 bytes at `ptr` as they are. */
  addUtf8(ptr: usize, n: i32): StringBuilder {
    this.reserve(n);
    memory.copy(this.at(), ptr, <usize> n);
    this.len += n;
    return this;
  }

  /** Appends `n` UTF-8 bytes at `ptr` with &, <, >, " and ' escaped (e.g. a BSON string's bytes). */
  addEscapedUtf8(ptr: usize, n: i32): StringBuilder {
    this.reserve(n);
    let run = 0;
    for (let i = 0; i < n; i++) {
      const c = <u32> load<u8>(ptr + <usize> i);
      if (!escapable(c)) continue;
      memory.copy(this.at(), ptr + <usize> run, <usize> (i - run));
      this.len += i - run;
      this.entity(entityBits(c), n - i);
      run = i + 1;
    }
    memory.copy(this.at(), ptr + <usize> run, <usize> (n - run));
    this.len += n - run;
    return this;
  }

  /** Appends what `other` holds. */
  addBuilder(other: StringBuilder): StringBuilder {
    return this.addUtf8(changetype<usize>(other.buf), other.len);
  }

  /** Appends an integer in decimal. */
  addInt(value: i64): StringBuilder {
    this.reserve(INT_BYTES_MAX);
    let at = this.at();
    let magnitude = <u64> value;
    if (value < 0) {
      store<u8>(at++, 45);
      this.len++;
      magnitude = 0 - magnitude; // i64.MIN_VALUE's magnitude is 2^63 as u64
    }
    const digits = decimalCount(magnitude);
    writeDigits(at, magnitude, digits);
    this.len += digits;
    return this;
  }

  /** Appends `value` with `digits` decimals, as formatFixed writes it. */
  addFixed(value: f64, digits: i32 = 2): StringBuilder {
    if (!isFinite(value)) return this.add(isNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity");
    const places = digits < 0 ? 0 : digits > FIXED_DIGITS_MAX ? FIXED_DIGITS_MAX : digits;
    const scale = Math.pow(10, places);
    const scaled = Math.round(Math.abs(value) * scale);
    if (scaled >= SAFE_INTEGER_LIMIT) return this.add(value.toString());
    const n = <u64> scaled;
    const unit = <u64> scale;
    const whole = n / unit;
    const wholeDigits = decimalCount(whole);
    this.reserve(wholeDigits + places + 2);
    let at = this.at();
    if (value < 0 && n != 0) store<u8>(at++, 45);
    writeDigits(at, whole, wholeDigits);
    at += <usize> wholeDigits;
    if (places > 0) {
      store<u8>(at++, 46);
      writeDigits(at, n % unit, places);
      at += <usize> places;
    }
    this.len = <i32> (at - changetype<usize>(this.buf));
    return this;
  }

  /** Forgets the content (the buffer is kept; earlier bytes() views are overwritten). */
  reset(): StringBuilder {
    this.len = 0;
    return this;
  }

  /** The content as UTF-8 bytes: a view of the buffer, valid until the next add or reset. */
  bytes(): Uint8Array {
    return Uint8Array.wrap(this.buf, 0, this.len);
  }

  /** The content as a string (decoded once). */
  toString(): string {
    return utf8String(changetype<usize>(this.buf), this.len);
  }

  /** Writes an entity; `after` bytes must still fit behind it (the rest of the text). */
  private entity(bits: u64, after: i32): void {
    this.reserve(ENTITY_BYTES_RESERVED + after);
    store<u64>(this.at(), bits);
    this.len += entityLength(bits);
  }

  private at(): usize {
    return changetype<usize>(this.buf) + <usize> this.len;
  }

  private reserve(n: i32): void {
    if (this.len + n > this.buf.byteLength) this.grow(this.len + n);
  }

  private grow(needed: i32): void {
    const capacity = this.buf.byteLength;
    const grown = new ArrayBuffer(capacity * 2 > needed ? capacity * 2 : needed);
    memory.copy(changetype<usize>(grown), changetype<usize>(this.buf), <usize> this.len);
    this.buf = grown;
  }
}

/** An HTML fragment under construction (UTF-8 bytes; see StringBuilder). */
export class Html {
  private out: StringBuilder;

  constructor(capacity: i32 = BUILDER_BYTES_INITIAL) {
    this.out = new StringBuilder(capacity);
  }

  /** Appends trusted markup as is (never user input). */
  raw(markup: string): Html {
    this.out.add(markup);
    return this;
  }

  /** Appends text, escaped. */
  text(value: string): Html {
    this.out.addEscaped(value);
    return this;
  }

  /**
   * Appends the string field `key` of `doc`, escaped, straight from its UTF-8 bytes (no string is
   * decoded); `fallback` (escaped) when the field is absent or not a string.
   */
  textOf(doc: BsonDoc, key: string, fallback: string = ""): Html {
    const span = doc.getStringSpan(key);
    if (span == 0) this.out.addEscaped(fallback);
    else this.out.addEscapedUtf8(spanStart(span), spanLength(span));
    return this;
  }

  /** Appends the current element of `it` when it is a string, escaped, else `fallback` (escaped). */
  textAt(it: BsonIter, fallback: string = ""): Html {
    const span = it.getStringSpan();
    if (span == 0) this.out.addEscaped(fallback);
    else this.out.addEscapedUtf8(spanStart(span), spanLength(span));
    return this;
  }

  /** Appends an integer. */
  int(value: i64): Html {
    this.out.addInt(value);
    return this;
  }

  /** Appends a number with `digits` decimals (like JavaScript's toFixed). */
  fixed(value: f64, digits: i32 = 2): Html {
    this.out.addFixed(value, digits);
    return this;
  }

  /** Appends another fragment. */
  add(fragment: Html): Html {
    this.out.addBuilder(fragment.out);
    return this;
  }

  /** Bytes of the fragment so far. */
  get length(): i32 {
    return this.out.length;
  }

  /** The fragment as UTF-8 bytes (a view, valid until the next append): `Response.htmlUtf8(out.bytes())`. */
  bytes(): Uint8Array {
    return this.out.bytes();
  }

  toString(): string {
    return this.out.toString();
  }
}

/** A new HTML fragment; `capacity` is its first buffer's size in bytes (it grows as needed). */
export function html(capacity: i32 = BUILDER_BYTES_INITIAL): Html {
  return new Html(capacity);
}

/** The builder formatFixed writes into (reused: formatFixed never runs inside itself). */
const FIXED_SCRATCH = new StringBuilder(BUILDER_BYTES_MIN * 2);

/** `value` with `digits` decimals, rounded half away from zero ("NaN", "Infinity" as in JS). */
export function formatFixed(value: f64, digits: i32 = 2): string {
  return FIXED_SCRATCH.reset().addFixed(value, digits).toString();
}
