/** Partial decoding agrees with the full decoder field by field, and defers whenever unsure. */
import { BSON } from "bson";
import { assertEquals } from "../_util/assert.ts";
import { seededRandom, testSeed } from "../_util/random.ts";
import { decodeFields, fieldNames } from "../../engine/bson_fields.ts";
import { decodeDocument } from "../../engine/document.ts";

const NAMES = ["status", "amount", "créé", "n", "tags", "nested", "when", "big", "flag", "none", "bin"];

function randomValue(next: () => number): unknown {
  switch (Math.floor(next() * 11)) {
    case 0:
      return `s${Math.floor(next() * 100)}é`;
    case 1:
      return next() * 1000 - 500;
    case 2:
      return Math.floor(next() * 1e6) - 5e5;
    case 3:
      return BigInt(Math.floor(next() * 1e9)) * 1_000_000_007n;
    case 4:
      return new Date(Math.floor(next() * 4e12) - 1e12);
    case 5:
      return next() < 0.5;
    case 6:
      return null;
    case 7:
      return ["a", 1, { x: 2 }];
    case 8:
      return { deep: { v: next() } };
    case 9:
      return new Uint8Array([1, 2, 3]);
    default:
      return "";
  }
}

Deno.test("decodeFields equals decodeDocument on the wanted fields of random documents", () => {
  const seed = testSeed();
  const next = seededRandom(seed);
  for (let round = 0; round < 2_000; round++) {
    const doc: Record<string, unknown> = {};
    for (const name of NAMES) if (next() < 0.6) doc[name] = randomValue(next);
    const bytes = BSON.serialize(doc);
    const wanted = NAMES.filter(() => next() < 0.4);
    const partial = decodeFields(bytes, fieldNames(wanted));
    const full = decodeDocument(bytes);
    if (partial === null) continue; // deferred to the full decoder: always correct
    const expected: Record<string, unknown> = {};
    for (const name of wanted) if (name in full) expected[name] = full[name];
    assertEquals(partial, expected, `seed ${seed} round ${round}`);
  }
});

Deno.test("decodeFields defers on containers, bad UTF-8 and malformed frames", () => {
  const names = fieldNames(["a"]);
  assertEquals(decodeFields(BSON.serialize({ a: [1] }), names), null);
  assertEquals(decodeFields(BSON.serialize({ a: { b: 1 } }), names), null);
  assertEquals(decodeFields(BSON.serialize({ b: { a: 1 }, c: 2 }), names), {}); // nested "a" is not top-level
  const bad = BSON.serialize({ a: "xy" });
  bad[bad.length - 3] = 0xff; // invalid UTF-8 inside the string
  assertEquals(decodeFields(bad, names), null);
  assertEquals(decodeFields(new Uint8Array([5, 0, 0, 0, 1]), names), null);
  assertEquals(decodeFields(BSON.serialize({ __proto__x: 1, a: 2 }), names), { a: 2 });
});
