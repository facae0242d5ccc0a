/**
 * The fast paths of the JSON-lines format (host/ops/ejson_fast.ts) against the slow ones (npm
 * `bson`'s EJSON): on random documents of every BSON type, and on hand-picked edge inputs, a fast
 * path either gives up or gives exactly the slow path's text (export) or bytes (import) — and it
 * does not give up on the everyday types.
 */
import {
  Binary,
  BSON,
  BSONRegExp,
  Code,
  Decimal128,
  Double,
  Int32,
  Long,
  MaxKey,
  MinKey,
  ObjectId,
  Timestamp,
  UUID,
} from "bson";
import { fastDocumentBytes, fastDocumentText } from "../../../host/ops/ejson_fast.ts";
import { slowDocumentBytes, slowDocumentText } from "../../../host/ops/ejson.ts";
import { assert, assertEquals } from "../../_util/assert.ts";
import { forEachSeed, seededRandom } from "../../_util/random.ts";

const EVERYDAY = new Set([
  "string",
  "int32",
  "int64",
  "double",
  "bool",
  "null",
  "date",
  "oid",
  "binary",
  "decimal",
  "doc",
  "array",
]);

function randomValue(random: () => number, depth: number): [unknown, string] {
  const pick = Math.floor(random() * 22);
  const int = () => Math.floor(random() * 2 ** 31) * (random() < 0.5 ? -1 : 1);
  switch (pick) {
    case 0:
      return [["plain", "é ü", "日本", "😀", 'q"\\\n\t', ""][Math.floor(random() * 6)] + int(), "string"];
    case 1:
      return [new Int32(int()), "int32"];
    case 2:
      return [Long.fromNumber(int() * 2 ** 20 + int()), "int64"];
    case 3:
      return [
        new Double(
          [
            0,
            -0,
            1,
            1.5,
            -2.25e-300,
            1e21,
            123456789.125,
            NaN,
            Infinity,
            -Infinity,
          ][Math.floor(random() * 10)],
        ),
        "double",
      ];
    case 4:
      return [random() < 0.5, "bool"];
    case 5:
      return [null, "null"];
    case 6:
      return [new Date(Math.floor((random() - 0.3) * 4e12)), "date"];
    case 7:
      return [new ObjectId(), "oid"];
    case 8:
      return [
        new Binary(
          Uint8Array.from({ length: Math.floor(random() * 9) }, () => Math.floor(random() * 256)),
          [0, 1, 5, 0x80][Math.floor(random() * 4)],
        ),
        "binary",
      ];
    case 9:
      return [new UUID(), "binary"];
    case 10:
      return [
        Decimal128.fromString(["1234.5600", "-0", "1E+10", "NaN", "0.000001"][Math.floor(random() * 5)]),
        "decimal",
      ];
    case 11:
      return [new BSONRegExp("^a.*", "im"), "other"];
    case 12:
      return [new Timestamp({ t: 1700000000, i: 7 }), "other"];
    case 13:
      return [new MinKey(), "other"];
    case 14:
      return [new MaxKey(), "other"];
    case 15:
      return [new Code("x => 1"), "other"];
    case 16:
      return [new Binary(new Uint8Array([1, 2, 3]), 2), "other"];
    default: {
      if (depth > 2) return [int(), "int32"];
      if (random() < 0.5) {
        const items = Array.from(
          { length: Math.floor(random() * 4) },
          () => randomValue(random, depth + 1)[0],
        );
        return [items, "array"];
      }
      return [randomDocument(random, depth + 1), "doc"];
    }
  }
}

const kinds = new Map<string, number>();

function randomDocument(random: () => number, depth: number): Record<string, unknown> {
  const doc: Record<string, unknown> = {};
  const fields = 1 + Math.floor(random() * 5);
  for (let i = 0; i < fields; i++) {
    const [value, kind] = randomValue(random, depth);
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    doc[["a", "b_c", "名前", "x.y", "", "z"][Math.floor(random() * 6)] + i] = value;
  }
  return doc;
}

function everyday(value: unknown): boolean {
  if (value instanceof Timestamp) return false; // a Long underneath
  if (value instanceof Int32 || value instanceof Long || value instanceof Double || value instanceof Date) {
    return true;
  }
  if (value instanceof ObjectId || value instanceof Decimal128) return true;
  if (value instanceof Binary) return value.sub_type !== 2;
  if (
    value === null || typeof value === "string" || typeof value === "boolean" || typeof value === "number"
  ) return true;
  if (Array.isArray(value)) return value.every(everyday);
  if (typeof value === "object" && value.constructor === Object) {
    // Array-index names come first in a JS object, so the slow path reorders them: the fast one gives up.
    return Object.keys(value).every((name) => !/^[0-9]+$/.test(name)) && Object.values(value).every(everyday);
  }
  return false;
}

Deno.test("ops: the fast JSON-lines paths equal the EJSON ones on random documents of every type", async () => {
  let fastText = 0;
  let fastBytes = 0;
  await forEachSeed("ejson fast", (seed) => {
    const random = seededRandom(seed);
    for (let n = 0; n < 1500; n++) {
      const doc = randomDocument(random, 0);
      const bytes = BSON.serialize(doc);
      const slowText = slowDocumentText(bytes);
      const text = fastDocumentText(bytes);
      if (text !== undefined) {
        fastText++;
        assertEquals(text, slowText, `seed ${seed} document ${n}`);
      } else assert(!everyday(doc), `seed ${seed} document ${n}: the fast path gave up on ${slowText}`);
      const parsed = JSON.parse(slowText);
      const back = fastDocumentBytes(parsed);
      if (back !== undefined) {
        fastBytes++;
        assertEquals([...back], [...slowDocumentBytes(parsed)], `seed ${seed} document ${n}: ${slowText}`);
      } else assert(!everyday(doc), `seed ${seed} document ${n}: the fast path gave up on ${slowText}`);
    }
  });
  for (const kind of EVERYDAY) assert((kinds.get(kind) ?? 0) > 0, `no ${kind} values generated`);
  assert(fastText > 500 && fastBytes > 500, `fast paths taken ${fastText} / ${fastBytes} times`);
});

Deno.test("ops: the fast import path gives up or agrees on edge inputs (relaxed JSON, odd wrappers)", () => {
  const inputs: unknown[] = [
    1,
    -1,
    0,
    -0,
    2147483647,
    2147483648,
    -2147483649,
    2 ** 53,
    2 ** 53 + 2,
    2 ** 63,
    1e300,
    0.5,
    -1.5e-10,
    "",
    "\u0000inside",
    "\ud800 lone",
    "😀",
    { $numberInt: "5" },
    { $numberInt: "1.5" },
    { $numberInt: "2147483648" },
    { $numberInt: "-0" },
    { $numberInt: "05" },
    { $numberLong: "9223372036854775807" },
    { $numberLong: "-9223372036854775808" },
    { $numberLong: "9223372036854775808" },
    { $numberLong: "+5" },
    { $numberLong: "05" },
    { $numberLong: "-0" },
    { $numberLong: 5 },
    { $numberDouble: "1.0" },
    { $numberDouble: "-0.0" },
    { $numberDouble: "NaN" },
    { $numberDouble: "abc" },
    { $numberDouble: "Infinity" },
    { $date: "2026-01-01T00:00:00Z" },
    { $date: "not a date" },
    { $date: 5 },
    { $date: { $numberLong: "1577836800000" } },
    { $date: { $numberLong: "99999999999999999" } },
    { $oid: "65f0a1b2c3d4e5f601234567" },
    { $oid: "65F0A1B2C3D4E5F601234567" },
    { $oid: "short" },
    { $binary: { base64: "AQID", subType: "00" } },
    { $binary: { base64: "AQID", subType: "2" } },
    { $binary: { base64: "AQI", subType: "00" } },
    { $binary: { subType: "80", base64: "" } },
    { $binary: { base64: "AAAAAAAAAAAAAAAAAAAAAA==", subType: "04" } },
    { $binary: { base64: "AQID", subType: "04" } },
    { $numberDecimal: "12.50" },
    { $numberDecimal: "x" },
    { $numberInt: "5", extra: 1 },
    { $foo: 1 },
    { $oid: null },
    { $ref: "c", $id: 1 },
    { $regularExpression: { pattern: "a", options: "i" } },
    { a: { b: [1, { $numberInt: "2" }, [3]] } },
    { "1": 1, b: 2, "0": 0 },
    { "nul\u0000name": 1 },
  ];
  for (const [i, value] of inputs.entries()) {
    const doc = JSON.parse(JSON.stringify({ v: value }));
    const fast = fastDocumentBytes(doc);
    let slow: Uint8Array | Error;
    try {
      slow = slowDocumentBytes(doc);
    } catch (error) {
      slow = error as Error;
    }
    if (fast === undefined) continue;
    assert(
      !(slow instanceof Error),
      `input ${i} ${JSON.stringify(value)}: fast accepted what EJSON refuses (${slow})`,
    );
    assertEquals([...fast], [...slow], `input ${i} ${JSON.stringify(value)}`);
  }
});
