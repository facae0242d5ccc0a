/**
 * Random BSON values and documents for fuzzing: every BSON type npm bson writes, awkward field names
 * (empty, "$x", "a.b", NUL, lone surrogates, "__proto__"), deep nesting around DOC_DEPTH_MAX, long
 * strings, and raw frames — valid BSON with bytes flipped, cut or lengths lied about.
 */
import { BSON } from "bson";
import { bytes, int, pick } from "./harness.ts";
import { DOC_DEPTH_MAX } from "../../engine/limits.ts";

const NAMES = [
  "a",
  "status",
  "amount",
  "",
  "$set",
  "$ref",
  "a.b",
  "a\u0000b",
  "\ud800",
  "__proto__",
  "constructor",
  "é😀",
  " ",
  "x".repeat(300),
  "_id",
  "key",
];

/** One random value, nested at most `depth` more levels. */
export function bsonValue(random: () => number, depth: number): unknown {
  const kind = int(random, depth > 0 ? 24 : 20);
  switch (kind) {
    case 0:
      return null;
    case 1:
      return random() < 0.5;
    case 2:
      return int(random, 2 ** 31) - 2 ** 30;
    case 3:
      return pick(random, [0, -0, NaN, Infinity, -Infinity, 1e308, 5e-324, random() * 1e6]);
    case 4:
      return "s".repeat(int(random, 40)) + String.fromCharCode(int(random, 0x10000));
    case 5:
      return new Date(pick(random, [0, -1, 8.64e15, -8.64e15, Date.UTC(2026, 11, 7), int(random, 2 ** 40)]));
    case 6:
      return new BSON.Binary(bytes(random, int(random, 64)), pick(random, [0, 4, 5, 0x80]));
    case 7:
      return new BSON.ObjectId();
    case 8:
      return BSON.Long.fromBigInt(BigInt(int(random, 2 ** 31)) * BigInt(int(random, 2 ** 31)) - (1n << 61n));
    case 9:
      return BSON.Decimal128.fromString(pick(random, ["0", "-0", "1.5E+6144", "NaN", "-Infinity", "3.14"]));
    case 10:
      return new BSON.Int32(int(random, 2 ** 31));
    case 11:
      return new BSON.Double(random() * 100);
    case 12:
      return new BSON.Timestamp({ t: int(random, 2 ** 31), i: int(random, 2 ** 31) });
    case 13:
      return new BSON.BSONRegExp(pick(random, ["^a", "(", "x*"]), pick(random, ["", "i", "imsux"]));
    case 14:
      return pick(random, [new BSON.MinKey(), new BSON.MaxKey()]);
    case 15:
      return new BSON.Code("function () {}");
    case 16:
      return undefined;
    case 17:
      return BigInt(int(random, 2 ** 31)) << BigInt(int(random, 40));
    case 18:
      return new Uint8Array(bytes(random, int(random, 16)));
    case 19:
      return "x".repeat(int(random, 3) === 0 ? 70_000 : 10);
    case 20:
    case 21:
      return Array.from({ length: int(random, 5) }, () => bsonValue(random, depth - 1));
    default:
      return bsonDocument(random, depth - 1);
  }
}

/** A random document of up to 8 fields. */
export function bsonDocument(random: () => number, depth = 4): Record<string, unknown> {
  const doc: Record<string, unknown> = {};
  for (let i = int(random, 8); i > 0; i--) {
    const name = random() < 0.7 ? pick(random, NAMES.slice(0, 3)) + i : pick(random, NAMES);
    Object.defineProperty(doc, name, { value: bsonValue(random, depth), enumerable: true, writable: true });
  }
  return doc;
}

/** A document nested `levels` deep: {a: {a: … {}}}. */
export function nested(levels: number): Record<string, unknown> {
  let doc: Record<string, unknown> = {};
  for (let i = 0; i < levels; i++) doc = { a: doc };
  return doc;
}

/** A document nested around the depth limit, or an ordinary random document. */
export function awkwardDocument(random: () => number): Record<string, unknown> {
  if (random() < 0.1) return nested(DOC_DEPTH_MAX - 2 + int(random, 5));
  if (random() < 0.1) return { arr: Array.from({ length: int(random, 3) }, () => nested(int(random, 120))) };
  return bsonDocument(random);
}

/** Raw bytes offered as a BSON document: valid, or valid then damaged. */
export function bsonFrame(random: () => number): Uint8Array {
  let frame: Uint8Array;
  try {
    frame = BSON.serialize(bsonDocument(random, 2));
  } catch {
    frame = BSON.serialize({ a: 1 });
  }
  const out = new Uint8Array(frame);
  switch (int(random, 6)) {
    case 0:
      return out; // valid
    case 1: // flip bytes
      for (let i = 1 + int(random, 3); i > 0; i--) out[int(random, out.length)] ^= 1 << int(random, 8);
      return out;
    case 2: // cut
      return out.subarray(0, int(random, out.length));
    case 3: // lie about the total length
      new DataView(out.buffer).setInt32(0, pick(random, [0, 4, 5, -1, out.length + 1, 2 ** 31 - 1]), true);
      return out;
    case 4: // trailing garbage
      return new Uint8Array([...out, ...bytes(random, 1 + int(random, 8))]);
    default:
      return bytes(random, int(random, 64));
  }
}
