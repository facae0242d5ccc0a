/**
 * Document keys: unsigned 128-bit integers, compared big-endian. In memory and on the API a key is
 * its canonical form, 32 lowercase hex digits, so that string order equals key order and a key can
 * index a Map directly. On disk a key is 16 bytes, big-endian.
 *
 * Server-generated keys are time-ordered (inserts append): 48 bits of Unix milliseconds, 16 bits of
 * a per-millisecond counter, then 64 random bits. Generated keys never go backwards in one process,
 * even if the clock does.
 */
import { PlanckError } from "../protocol/errors.ts";

/** A u128 key as 32 lowercase hex digits. */
export type Key = string;

/** Bytes in a key on disk. */
export const KEY_BYTES = 16;
/** The smallest and largest keys. */
export const KEY_MIN: Key = "0".repeat(32);
export const KEY_MAX: Key = "f".repeat(32);

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));
const KEY_PATTERN = /^[0-9a-f]{32}$/;

/** Char codes of the two hex digits of every byte: [2b] high digit, [2b + 1] low digit. */
const HEX_CODES = new Uint16Array(512);
for (let b = 0; b < 256; b++) {
  HEX_CODES[2 * b] = HEX[b].charCodeAt(0);
  HEX_CODES[2 * b + 1] = HEX[b].charCodeAt(1);
}

/**
 * The key of 16 byte values read by `at(i)`. One String.fromCharCode call builds a flat string:
 * concatenating 16 pieces would build a rope that every later Map lookup and charCodeAt must walk or
 * flatten (measured: a key's build + two keyToBytes + Map set/get 0.92-1.11 µs as a rope, 0.58-0.68 flat).
 */
function hexKey(at: (i: number) => number): Key {
  const h = (i: number) => HEX_CODES[2 * at(i)];
  const l = (i: number) => HEX_CODES[2 * at(i) + 1];
  return String.fromCharCode(
    h(0),
    l(0),
    h(1),
    l(1),
    h(2),
    l(2),
    h(3),
    l(3),
    h(4),
    l(4),
    h(5),
    l(5),
    h(6),
    l(6),
    h(7),
    l(7),
    h(8),
    l(8),
    h(9),
    l(9),
    h(10),
    l(10),
    h(11),
    l(11),
    h(12),
    l(12),
    h(13),
    l(13),
    h(14),
    l(14),
    h(15),
    l(15),
  );
}

/** Encodes 16 bytes as a key. */
export function keyFromBytes(bytes: Uint8Array, offset = 0): Key {
  return hexKey((i) => bytes[offset + i]);
}

/** Encodes the 16 latin1 characters of `text` from `offset` (one byte each) as a key. */
export function keyFromLatin1(text: string, offset = 0): Key {
  return hexKey((i) => text.charCodeAt(offset + i));
}

/** Hex digit value by char code (lowercase canonical keys only). */
const NIBBLE = new Uint8Array(128);
for (let i = 0; i < 16; i++) NIBBLE["0123456789abcdef".charCodeAt(i)] = i;

/** Writes a canonical key's 16 bytes into `target` at `offset` (or a new array). */
export function keyToBytes(key: Key, target: Uint8Array = new Uint8Array(KEY_BYTES), offset = 0): Uint8Array {
  for (let i = 0; i < KEY_BYTES; i++) {
    target[offset + i] = (NIBBLE[key.charCodeAt(2 * i)] << 4) | NIBBLE[key.charCodeAt(2 * i + 1)];
  }
  return target;
}

/** True when `text` is already 32 lowercase hex digits. */
function isCanonicalKey(text: string): boolean {
  if (text.length !== 32) return false;
  for (let i = 0; i < 32; i++) {
    const c = text.charCodeAt(i);
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return false;
  }
  return true;
}

/** What a caller may pass as a key: 32 hex digits (optionally 0x-prefixed, any case), 16 bytes or a bigint. */
export type KeyInput = string | Uint8Array | bigint;

/**
 * Validates and canonicalizes a caller-supplied key.
 * @throws PlanckError `invalid_argument` naming the bad key
 */
export function parseKey(input: KeyInput, field = "key"): Key {
  if (typeof input === "string") {
    if (isCanonicalKey(input)) return input; // the common case: no lowercasing, no regex
    let s = input.toLowerCase();
    // "0x" needs at least one digit after it: a bare "0x" is not the zero key.
    if (s.startsWith("0x") && s.length > 2) s = s.slice(2).padStart(32, "0");
    if (KEY_PATTERN.test(s)) return s;
    throw new PlanckError(
      "invalid_argument",
      `Invalid key "${input.slice(0, 80)}": expected 32 hex digits (a u128)`,
      { field },
    );
  }
  if (input instanceof Uint8Array) {
    if (input.length === KEY_BYTES) return keyFromBytes(input);
    throw new PlanckError("invalid_argument", `Invalid key: expected 16 bytes but got ${input.length}`, {
      field,
    });
  }
  if (typeof input === "bigint") {
    if (input >= 0n && input < (1n << 128n)) return input.toString(16).padStart(32, "0");
    throw new PlanckError("invalid_argument", `Invalid key ${input}: outside the u128 range`, { field });
  }
  const given = typeof input === "number" ? `${input}` : `of type ${input === null ? "null" : typeof input}`;
  throw new PlanckError("invalid_argument", `Invalid key ${given}: expected a string, 16 bytes or a bigint`, {
    field,
  });
}

/** Generates time-ordered keys; monotonic within one generator. */
export class KeyGenerator {
  #lastMs = 0;
  #counter = 0;
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** The next key: strictly greater than every key this generator returned before. */
  next(): Key {
    let ms = this.#now();
    if (ms <= this.#lastMs) {
      ms = this.#lastMs;
      this.#counter++;
      if (this.#counter > 0xffff) {
        ms++;
        this.#counter = 0;
      }
    } else {
      this.#counter = 0;
    }
    this.#lastMs = ms;
    const random = crypto.getRandomValues(new Uint32Array(2));
    return ms.toString(16).padStart(12, "0") + this.#counter.toString(16).padStart(4, "0") +
      random[0].toString(16).padStart(8, "0") + random[1].toString(16).padStart(8, "0");
  }
}
