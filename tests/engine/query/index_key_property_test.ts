import { compareBytes, compareValues } from "../../../engine/query/compare.ts";
import { decodeIndexKeyDocKey, encodeIndexKey, encodeIndexValue } from "../../../engine/query/index_key.ts";
import type { IndexDirection } from "../../../engine/query/index_key.ts";
import { randomValue, withSeed } from "./random_values.ts";

const PAIRS = 20_000;

function sign(n: number): number {
  return n < 0 ? -1 : n > 0 ? 1 : 0;
}

function show(value: unknown): string {
  try {
    return Deno.inspect(value, { depth: 4 });
  } catch {
    return String(value);
  }
}

function isProperPrefix(a: Uint8Array, b: Uint8Array): boolean {
  return a.length < b.length && compareBytes(a, b.subarray(0, a.length)) === 0;
}

Deno.test("encodeIndexValue byte order equals compareValues on random mixed-type pairs", () => {
  withSeed((random) => {
    for (let i = 0; i < PAIRS; i++) {
      const a = randomValue(random);
      const b = randomValue(random);
      const ea = encodeIndexValue(a);
      const eb = encodeIndexValue(b);
      const byValue = sign(compareValues(a, b));
      const byBytes = sign(compareBytes(ea, eb));
      if (byValue !== byBytes) {
        throw new Error(
          `pair ${i}: compareValues=${byValue} but bytes=${byBytes} for ${show(a)} vs ${show(b)}`,
        );
      }
      if (sign(compareValues(b, a)) !== -byValue) {
        throw new Error(`pair ${i}: compareValues is not antisymmetric for ${show(a)} vs ${show(b)}`);
      }
      if (isProperPrefix(ea, eb) || isProperPrefix(eb, ea)) {
        throw new Error(`pair ${i}: one encoding is a prefix of the other: ${show(a)} vs ${show(b)}`);
      }
    }
  });
});

Deno.test("compareValues is transitive: a sorted random list is sorted by encoding too", () => {
  withSeed((random) => {
    // Boxed: Array.prototype.sort moves undefined to the end without calling the comparator.
    const values = Array.from({ length: 3000 }, () => ({ v: randomValue(random) }))
      .sort((x, y) => compareValues(x.v, y.v)).map((x) => x.v);
    const encoded = values.map(encodeIndexValue);
    for (let i = 1; i < values.length; i++) {
      if (compareBytes(encoded[i - 1], encoded[i]) > 0) {
        throw new Error(
          `sorted neighbours out of byte order: ${show(values[i - 1])} then ${show(values[i])}`,
        );
      }
    }
    // Sorting by bytes and by value must agree on every position, up to equal values.
    const byBytes = values.map((v, i) => ({ v, e: encoded[i] })).sort((x, y) => compareBytes(x.e, y.e));
    for (let i = 0; i < values.length; i++) {
      if (compareValues(byBytes[i].v, values[i]) !== 0) {
        throw new Error(
          `position ${i}: byte sort has ${show(byBytes[i].v)} but value sort has ${show(values[i])}`,
        );
      }
    }
  });
});

Deno.test("encodeIndexKey orders compound keys by field with per-field direction, then doc key", () => {
  withSeed((random) => {
    for (let i = 0; i < 5000; i++) {
      const width = 1 + random.int(3);
      const directions: IndexDirection[] = Array.from(
        { length: width },
        () => random.pick(["asc", "desc"] as const),
      );
      const a = Array.from({ length: width }, () => randomValue(random, 1));
      // Share leading fields often so later fields and the doc key get exercised.
      const b = a.map((v) => (random.int(3) === 0 ? randomValue(random, 1) : v));
      const keyA = new Uint8Array(16).fill(random.int(3));
      const keyB = new Uint8Array(16).fill(random.int(3));
      let expected = 0;
      for (let f = 0; f < width && expected === 0; f++) {
        expected = sign(compareValues(a[f], b[f])) * (directions[f] === "desc" ? -1 : 1);
      }
      if (expected === 0) expected = sign(compareBytes(keyA, keyB));
      const ka = encodeIndexKey(a, directions, keyA);
      const kb = encodeIndexKey(b, directions, keyB);
      const actual = sign(compareBytes(ka, kb));
      if (actual !== expected) {
        throw new Error(
          `compound ${i} (${directions}): expected ${expected} got ${actual}: ${show(a)} vs ${show(b)}`,
        );
      }
      if (compareBytes(decodeIndexKeyDocKey(ka), keyA) !== 0) throw new Error("doc key did not round-trip");
    }
  });
});
