import { strictEqual as assertEquals } from "node:assert/strict";
import { Binary, Long, ObjectId } from "bson";
import {
  compareBytes,
  compareStrings,
  compareValues,
  TypeRank,
  typeRank,
} from "../../../engine/query/compare.ts";
import { encodeIndexValue } from "../../../engine/query/index_key.ts";

/** Ascending; values in one inner list are equal. */
const ORDERED: unknown[][] = [
  [undefined],
  [null],
  [NaN, -NaN],
  [-Infinity],
  [-(2n ** 1024n)],
  [-Number.MAX_VALUE],
  [-(2n ** 63n), Long.fromBigInt(-(2n ** 63n)), -(2 ** 63)],
  [-1, -1n],
  [-0.5],
  [0, -0, 0n],
  [5e-324],
  [1, 1n, Long.fromNumber(1)],
  [1.5],
  [2 ** 53, 2n ** 53n],
  [2n ** 53n + 1n],
  [2 ** 53 + 2, 2n ** 53n + 2n],
  [2n ** 63n - 1n],
  [2 ** 63, 2n ** 63n],
  [Number.MAX_VALUE],
  [2n ** 1024n],
  [Infinity],
  [""],
  ["\u0000"],
  ["\u0000\u0000"],
  ["\u0001"],
  ["A"],
  ["a"],
  ["a\u0000"],
  ["ab"],
  ["b"],
  ["é"],
  ["\ud7ff"],
  ["\ud800"], // lone surrogate: its own code point
  ["\ue000"],
  ["\uffff"],
  ["😀"], // U+1F600 sorts after U+FFFF by code point (not by UTF-16 unit)
  [{}],
  [{ "": 1 }],
  [{ a: null }],
  [{ a: 1 }, { a: 1n }],
  [{ a: 1, b: 1 }],
  [{ a: 2 }],
  [{ b: 0 }],
  [[]],
  [[undefined]],
  [[null]],
  [[1], [1n]],
  [[1, 2]],
  [[2]],
  [["a"]],
  [new Uint8Array([]), new Binary(new Uint8Array([]))],
  [new Uint8Array([0])],
  [new Uint8Array([0, 0]), new Binary(new Uint8Array([0, 0]))],
  [new Uint8Array([1])],
  [ObjectId.createFromHexString("00".repeat(12))],
  [ObjectId.createFromHexString("ff".repeat(12))],
  [false],
  [true],
  [new Date(NaN)],
  [new Date(-1)],
  [new Date(0)],
  [new Date(1)],
  [/a/],
];

Deno.test("compareValues follows the documented total order across types", () => {
  for (let i = 0; i < ORDERED.length; i++) {
    for (let j = 0; j < ORDERED.length; j++) {
      for (const a of ORDERED[i]) {
        for (const b of ORDERED[j]) {
          const expected = i < j ? -1 : i > j ? 1 : 0;
          const actual = compareValues(a, b);
          if (actual !== expected) {
            throw new Error(
              `compareValues(${Deno.inspect(a)}, ${Deno.inspect(b)}) = ${actual}, expected ${expected}`,
            );
          }
          const bytes = Math.sign(compareBytes(encodeIndexValue(a), encodeIndexValue(b)));
          if (bytes !== expected) {
            throw new Error(
              `encodings of ${Deno.inspect(a)} and ${Deno.inspect(b)} compare ${bytes}, expected ${expected}`,
            );
          }
        }
      }
    }
  }
});

Deno.test("typeRank ranks bson wrappers with their JS equivalents", () => {
  assertEquals(typeRank(Long.fromNumber(3)), TypeRank.number);
  assertEquals(typeRank(new Binary(new Uint8Array([1]))), TypeRank.binary);
  assertEquals(typeRank(Object.create(null)), TypeRank.object);
  assertEquals(typeRank(new Map()), TypeRank.other);
  assertEquals(typeRank(() => 1), TypeRank.other);
});

Deno.test("compareStrings orders by code point, unlike UTF-16 comparison", () => {
  assertEquals("\uffff" < "😀", false); // JS compares code units
  assertEquals(compareStrings("\uffff", "😀"), -1);
  assertEquals(compareStrings("a😀", "a\ud83d"), 1); // pair vs lone high surrogate
  assertEquals(compareStrings("x\ud83d", "x\ud83d\ude00"), -1);
  assertEquals(compareStrings("same", "same"), 0);
});
