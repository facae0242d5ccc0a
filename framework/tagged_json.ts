/**
 * Tagged JSON: the one encoding of values that cross the guest/host boundary of a wasm service.
 * Plain JSON plus three tags for what JSON cannot carry: `{"$date": ms}`, `{"$bigint": "123"}` and
 * `{"$bytes": "<base64>"}`. Runs on both sides (the host and QuickJS), so it imports nothing and
 * carries its own base64.
 *
 * Invariants: decode(encode(v)) equals v for JSON values, Dates, bigints and Uint8Arrays; an
 * object that looks like a tag but has other keys is left as an object.
 */

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const LOOKUP: Record<string, number> = {};
for (let i = 0; i < ALPHABET.length; i++) LOOKUP[ALPHABET[i]] = i;

/** Base64 (standard alphabet, padded) of `bytes`. */
export function encodeBase64(bytes: Uint8Array): string {
  let out = "";
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += ALPHABET[n >> 18] + ALPHABET[(n >> 12) & 63] + ALPHABET[(n >> 6) & 63] + ALPHABET[n & 63];
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i] << 16;
    out += ALPHABET[n >> 18] + ALPHABET[(n >> 12) & 63] + "==";
  } else if (rest === 2) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8);
    out += ALPHABET[n >> 18] + ALPHABET[(n >> 12) & 63] + ALPHABET[(n >> 6) & 63] + "=";
  }
  return out;
}

/** Bytes of a base64 string. @throws TypeError on a character outside the alphabet */
export function decodeBase64(text: string): Uint8Array {
  const clean = text.replace(/=+$/, "");
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let bits = 0;
  let buffer = 0;
  let o = 0;
  for (const char of clean) {
    const value = LOOKUP[char];
    if (value === undefined) throw new TypeError(`Invalid base64 character "${char}"`);
    buffer = (buffer << 6) | value;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (buffer >> bits) & 255;
    }
  }
  return out.subarray(0, o);
}

/** UTF-8 bytes of a string (QuickJS has no TextEncoder). */
export function encodeUtf8(text: string): Uint8Array {
  const out: number[] = [];
  for (const char of text) {
    let c = char.codePointAt(0)!;
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else {
      out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
      c = 0;
    }
  }
  return Uint8Array.from(out);
}

/** The string of UTF-8 `bytes` (invalid sequences become U+FFFD). */
export function decodeUtf8(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length;) {
    const b = bytes[i];
    const need = b < 0x80 ? 0 : b >= 0xf0 ? 3 : b >= 0xe0 ? 2 : b >= 0xc0 ? 1 : -1;
    if (need < 0 || i + need >= bytes.length) {
      out += "\ufffd";
      i++;
      continue;
    }
    let c = need === 0 ? b : b & (0x3f >> need);
    for (let k = 1; k <= need; k++) c = (c << 6) | (bytes[i + k] & 63);
    out += String.fromCodePoint(c);
    i += need + 1;
  }
  return out;
}

/** The tag object of a Date, bigint or bytes value; undefined for anything else. */
export function tagOf(raw: unknown): unknown {
  if (raw instanceof Date) return { $date: raw.getTime() };
  if (typeof raw === "bigint") return { $bigint: raw.toString() };
  if (raw instanceof Uint8Array) return { $bytes: encodeBase64(raw) };
  const binary = raw as { _bsontype?: string; buffer?: Uint8Array; position?: number } | null;
  if (binary !== null && typeof binary === "object" && binary._bsontype === "Binary" && binary.buffer) {
    return { $bytes: encodeBase64(binary.buffer.subarray(0, binary.position ?? binary.buffer.length)) };
  }
  return undefined;
}

/** JSON text of `value` with Dates, bigints and bytes tagged. */
export function encodeTagged(value: unknown): string {
  return JSON.stringify(value, function (this: Record<string, unknown>, key: string, plain: unknown) {
    const tagged = tagOf(this[key]);
    return tagged === undefined ? plain : tagged;
  });
}

/** The value of tagged JSON text (tags become Date, bigint and Uint8Array). @throws SyntaxError */
export function decodeTagged(text: string): unknown {
  return JSON.parse(text, (_key, value: unknown) => {
    if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
    const keys = Object.keys(value);
    if (keys.length !== 1) return value;
    const tag = value as Record<string, unknown>;
    if (typeof tag.$date === "number") return new Date(tag.$date);
    if (typeof tag.$bigint === "string") return BigInt(tag.$bigint);
    if (typeof tag.$bytes === "string") return decodeBase64(tag.$bytes);
    return value;
  });
}
