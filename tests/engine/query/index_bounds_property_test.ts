import { deepStrictEqual, ok, throws } from "node:assert/strict";
import { compareBytes, compareValues, typeRank } from "../../../engine/query/compare.ts";
import { encodeIndexKey, type IndexDirection } from "../../../engine/query/index_key.ts";
import { type IndexFieldPredicate, indexKeyBounds } from "../../../engine/query/index_bounds.ts";
import { INDEX_BOUNDS_RANGES_MAX } from "../../../engine/query/limits.ts";
import { type Random, randomValue, withSeed } from "./random_values.ts";

function equalOrNullMissing(x: unknown, v: unknown): boolean {
  return compareValues(x, v) === 0 || (v === null && x === undefined);
}

/** What an index predicate means for one scalar field value (the filter semantics). */
function satisfies(x: unknown, p: IndexFieldPredicate): boolean {
  switch (p.op) {
    case "eq":
      return equalOrNullMissing(x, p.value);
    case "in":
      return p.values.some((v) => equalOrNullMissing(x, v));
    case "prefix":
      return typeof x === "string" && x.startsWith(p.value);
    case "range": {
      if (p.low !== undefined) {
        if (typeRank(x) !== typeRank(p.low)) return false;
        const c = compareValues(x, p.low);
        if (c < 0 || (c === 0 && p.lowInclusive === false)) return false;
      }
      if (p.high !== undefined) {
        if (typeRank(x) !== typeRank(p.high)) return false;
        const c = compareValues(x, p.high);
        if (c > 0 || (c === 0 && p.highInclusive === false)) return false;
      }
      return true;
    }
  }
}

function randomPredicate(random: Random, last: boolean, pool: unknown[]): IndexFieldPredicate {
  const value = () => (random.int(3) === 0 ? randomValue(random, 1) : random.pick(pool));
  const defined = () => {
    const v = value();
    return v === undefined ? null : v;
  };
  switch (last ? random.int(4) : random.int(2)) {
    case 0:
      return { op: "eq", value: defined() };
    case 1:
      return { op: "in", values: Array.from({ length: random.int(4) }, defined) };
    case 2: {
      const low = random.int(3) === 0 ? undefined : defined();
      const high = low === undefined || random.int(2) === 0 ? defined() : undefined;
      return {
        op: "range",
        low,
        high,
        lowInclusive: random.int(2) === 0,
        highInclusive: random.int(2) === 0,
      };
    }
    default: {
      const v = random.pick(pool);
      const s = typeof v === "string" ? v : "";
      return { op: "prefix", value: s.slice(0, random.int(s.length + 1)) };
    }
  }
}

function inRanges(entry: Uint8Array, ranges: { low: Uint8Array; high: Uint8Array }[]): boolean {
  return ranges.some((r) => compareBytes(r.low, entry) <= 0 && compareBytes(entry, r.high) < 0);
}

Deno.test("indexKeyBounds ranges hold exactly the entries whose fields satisfy the predicates", () => {
  withSeed((random) => {
    for (let round = 0; round < 300; round++) {
      const width = 1 + random.int(3);
      const directions = Array.from(
        { length: width },
        () => random.pick(["asc", "desc"] as IndexDirection[]),
      );
      const pool = Array.from({ length: 8 }, () => randomValue(random, 1));
      const rows = Array.from({ length: 60 }, (_, i) => {
        const values = directions.map(() => random.pick(pool));
        const docKey = new Uint8Array(16).fill(i);
        return { values, entry: encodeIndexKey(values, directions, docKey) };
      });
      const k = 1 + random.int(width);
      const predicates = Array.from({ length: k }, (_, i) => randomPredicate(random, i === k - 1, pool));
      const { ranges, fieldsUsed } = indexKeyBounds(directions, predicates);
      for (let i = 1; i < ranges.length; i++) {
        ok(compareBytes(ranges[i - 1].high, ranges[i].low) <= 0, "sorted, disjoint");
      }
      const last = predicates[k - 1];
      const exact = fieldsUsed === k && !(last.op === "prefix" && /[\ud800-\udbff]$/.test(last.value));
      for (const row of rows) {
        const matches = predicates.every((p, i) => satisfies(row.values[i], p));
        const covered = inRanges(row.entry, ranges);
        if (matches && !covered) {
          throw new Error(`missed ${Deno.inspect(row.values)} for ${Deno.inspect(predicates)}`);
        }
        if (exact && covered && !matches) {
          throw new Error(
            `extra ${Deno.inspect(row.values)} for ${Deno.inspect(predicates)} (${directions})`,
          );
        }
      }
    }
  });
});

Deno.test("indexKeyBounds drops trailing fields beyond INDEX_BOUNDS_RANGES_MAX ranges", () => {
  const many = Array.from({ length: 100 }, (_, i) => i);
  const bounds = indexKeyBounds(["asc", "asc", "asc"], [
    { op: "in", values: many },
    { op: "in", values: many },
    { op: "eq", value: 1 },
  ]);
  deepStrictEqual(bounds.fieldsUsed, 1);
  deepStrictEqual(bounds.ranges.length, 100);
  ok(bounds.ranges.length <= INDEX_BOUNDS_RANGES_MAX);
  const none = indexKeyBounds(["asc"], [{ op: "in", values: Array.from({ length: 2000 }, (_, i) => i) }]);
  deepStrictEqual(none, {
    ranges: [{ low: new Uint8Array(0), high: new Uint8Array([0xff]) }],
    fieldsUsed: 0,
  });
});

Deno.test("indexKeyBounds rejects misplaced or empty predicates", () => {
  throws(() => indexKeyBounds(["asc"], []), RangeError);
  throws(() => indexKeyBounds(["asc"], [{ op: "eq", value: 1 }, { op: "eq", value: 1 }]), RangeError);
  throws(
    () => indexKeyBounds(["asc", "asc"], [{ op: "prefix", value: "a" }, { op: "eq", value: 1 }]),
    RangeError,
  );
  throws(() => indexKeyBounds(["asc"], [{ op: "range" }]), RangeError);
});

Deno.test("indexKeyBounds gives empty ranges for bounds of different types", () => {
  deepStrictEqual(indexKeyBounds(["asc"], [{ op: "range", low: 1, high: "a" }]).ranges, []);
  deepStrictEqual(indexKeyBounds(["desc"], [{ op: "range", low: 5, high: 1 }]).ranges, []);
});
