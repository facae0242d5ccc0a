/**
 * JSON text to BSON for AssemblyScript services (the dialect has no built-in JSON): `parseJson`.
 * The other direction is json_writer.ts.
 *
 * Mapping, as JSON.parse plus the BSON encoder of the JS tier: numbers that are integers in int32
 * range become int32, other numbers doubles; strings, booleans, null, objects and arrays as such.
 *
 * Invariants: parseJson never aborts: malformed JSON, nesting deeper than JSON_DEPTH_MAX or a
 * top level that is not an object or array give null.
 */
import { BsonWriter, ITEM } from "./bson";
import { BsonDoc } from "./bson_reader";
import { StringBuilder } from "./html";

/** Deepest nesting parseJson accepts (the engine's VALUE_DEPTH_MAX). */
const JSON_DEPTH_MAX = 64;

/** JSON text (an object or an array at the top) as a BSON document, or null when malformed. */
export function parseJson(text: string): BsonDoc | null {
  const p = new JsonParser(text);
  const w = new BsonWriter();
  p.space();
  const c = p.peek();
  if (c == 123) p.members(w);
  else if (c == 91) p.elements(w, true);
  else return null;
  p.space();
  if (p.failed || p.pos != text.length) return null;
  return new BsonDoc(w.finish());
}

class JsonParser {
  pos: i32 = 0;
  failed: bool = false;
  private depth: i32 = 0;

  constructor(private text: string) {}

  peek(): i32 {
    return this.pos < this.text.length ? this.text.charCodeAt(this.pos) : -1;
  }

  space(): void {
    while (this.pos < this.text.length) {
      const c = this.text.charCodeAt(this.pos);
      if (c != 32 && c != 10 && c != 13 && c != 9) return;
      this.pos++;
    }
  }

  private fail(): void {
    this.failed = true;
    this.pos = this.text.length;
  }

  private expect(c: i32): bool {
    this.space();
    if (this.peek() != c) {
      this.fail();
      return false;
    }
    this.pos++;
    return true;
  }

  /** `{…}` into the open document of `w`. */
  members(w: BsonWriter): void {
    if (!this.enter()) return;
    this.pos++;
    this.space();
    if (this.peek() == 125) {
      this.pos++;
      this.depth--;
      return;
    }
    while (!this.failed) {
      this.space();
      if (this.peek() != 34) return this.fail();
      const key = this.string();
      if (key.indexOf("\0") >= 0) return this.fail(); // BSON keys end at NUL
      if (!this.expect(58)) return;
      this.value(w, key);
      this.space();
      const c = this.peek();
      this.pos++;
      if (c == 125) break;
      if (c != 44) return this.fail();
    }
    this.depth--;
  }

  /** `[…]` into the open array of `w` (or, at the top, into the root document keyed "0", "1", …). */
  elements(w: BsonWriter, top: bool): void {
    if (!this.enter()) return;
    this.pos++;
    this.space();
    if (this.peek() == 93) {
      this.pos++;
      this.depth--;
      return;
    }
    for (let i = 0; !this.failed; i++) {
      this.value(w, top ? i.toString() : ITEM);
      this.space();
      const c = this.peek();
      this.pos++;
      if (c == 93) break;
      if (c != 44) return this.fail();
    }
    this.depth--;
  }

  private enter(): bool {
    if (++this.depth > JSON_DEPTH_MAX) this.fail();
    return !this.failed;
  }

  private value(w: BsonWriter, key: string): void {
    this.space();
    const c = this.peek();
    if (c == 123) {
      w.startDocument(key);
      this.members(w);
      w.end();
    } else if (c == 91) {
      w.startArray(key);
      this.elements(w, false);
      w.end();
    } else if (c == 34) {
      w.addString(key, this.string());
    } else if (c == 45 || (c >= 48 && c <= 57)) {
      this.number(w, key);
    } else if (this.literal("true")) {
      w.addBool(key, true);
    } else if (this.literal("false")) {
      w.addBool(key, false);
    } else if (this.literal("null")) {
      w.addNull(key);
    } else {
      this.fail();
    }
  }

  private literal(word: string): bool {
    if (this.text.substring(this.pos, this.pos + word.length) != word) return false;
    this.pos += word.length;
    return true;
  }

  private digits(): i32 {
    const start = this.pos;
    while (this.peek() >= 48 && this.peek() <= 57) this.pos++;
    return this.pos - start;
  }

  private number(w: BsonWriter, key: string): void {
    const start = this.pos;
    if (this.peek() == 45) this.pos++;
    const lead = this.peek();
    const whole = this.digits();
    if (whole == 0 || (lead == 48 && whole > 1)) return this.fail();
    if (this.peek() == 46) {
      this.pos++;
      if (this.digits() == 0) return this.fail();
    }
    if (this.peek() == 101 || this.peek() == 69) {
      this.pos++;
      if (this.peek() == 43 || this.peek() == 45) this.pos++;
      if (this.digits() == 0) return this.fail();
    }
    const v = parseFloat(this.text.substring(start, this.pos));
    if (v == Math.floor(v) && v >= -2147483648 && v <= 2147483647) w.addI32(key, <i32> v);
    else w.addF64(key, v);
  }

  /** A string literal at pos (which is on the opening quote). */
  string(): string {
    this.pos++;
    const out = new StringBuilder();
    let run = this.pos;
    while (this.pos < this.text.length) {
      const c = this.text.charCodeAt(this.pos);
      if (c == 34) {
        out.add(this.text.substring(run, this.pos));
        this.pos++;
        return out.toString();
      }
      if (c < 0x20) break;
      if (c != 92) {
        this.pos++;
        continue;
      }
      out.add(this.text.substring(run, this.pos));
      const unit = this.escape();
      if (unit < 0) break;
      out.add(String.fromCharCode(unit));
      run = this.pos;
    }
    this.fail();
    return "";
  }

  /** The UTF-16 unit of the escape at pos (on the backslash), or -1. */
  private escape(): i32 {
    const c = this.pos + 1 < this.text.length ? this.text.charCodeAt(this.pos + 1) : -1;
    this.pos += 2;
    if (c == 34 || c == 92 || c == 47) return c;
    if (c == 98) return 8;
    if (c == 102) return 12;
    if (c == 110) return 10;
    if (c == 114) return 13;
    if (c == 116) return 9;
    if (c != 117 || this.pos + 4 > this.text.length) return -1;
    let unit = 0;
    for (let i = 0; i < 4; i++) {
      const d = hexDigit(this.text.charCodeAt(this.pos + i));
      if (d < 0) return -1;
      unit = (unit << 4) | d;
    }
    this.pos += 4;
    return unit;
  }
}

function hexDigit(c: i32): i32 {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}
