import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { compileOrderBy, type SortRow, sortRows, topK } from "../../../engine/query/sort.ts";
import { PlanckError } from "../../../protocol/errors.ts";
import { withSeed } from "./random_values.ts";

const k = (n: number): string => n.toString(16).padStart(32, "0");

const ROWS: SortRow[] = [
  { key: k(1), doc: { a: 2, b: "x" } },
  { key: k(2), doc: { a: 1, b: "y" } },
  { key: k(3), doc: { a: "s", b: "x" } },
  { key: k(4), doc: { b: "z" } },
  { key: k(5), doc: { a: null, b: "x" } },
  { key: k(6), doc: { a: 1n, b: "x" } },
  { key: k(7), doc: { a: { n: 1 }, b: "w" } },
];

const keysOf = (rows: SortRow[]): number[] => rows.map((r) => parseInt(r.key, 16));

Deno.test("compileOrderBy sorts by the total order with ties broken by key", () => {
  deepStrictEqual(keysOf([...ROWS].sort(compileOrderBy([{ field: "a", direction: "asc" }]))), [
    4,
    5,
    2,
    6,
    1,
    3,
    7,
  ]);
  deepStrictEqual(keysOf([...ROWS].sort(compileOrderBy([{ field: "a", direction: "desc" }]))), [
    7,
    3,
    1,
    2,
    6,
    5,
    4,
  ]);
  const byBThenA = compileOrderBy([{ field: "b", direction: "asc" }, { field: "a", direction: "desc" }]);
  deepStrictEqual(keysOf([...ROWS].sort(byBThenA)), [7, 3, 1, 6, 5, 2, 4]);
  deepStrictEqual(keysOf([...ROWS].reverse().sort(compileOrderBy([]))), [1, 2, 3, 4, 5, 6, 7]);
  deepStrictEqual(keysOf([...ROWS].sort(compileOrderBy([{ field: "key", direction: "desc" }]))), [
    7,
    6,
    5,
    4,
    3,
    2,
    1,
  ]);
});

Deno.test("topK returns the k smallest in order and equals a full sort's prefix", () => {
  withSeed((random) => {
    const compare = (x: number, y: number) => x - y;
    for (let round = 0; round < 200; round++) {
      const items = Array.from({ length: random.int(60) }, () => random.int(30));
      const k = random.int(70);
      deepStrictEqual(topK(items, k, compare), [...items].sort(compare).slice(0, k), `k=${k} ${items}`);
    }
  });
});

Deno.test("topK with k <= 0 returns nothing and a huge k throws limit_exceeded", () => {
  deepStrictEqual(topK([3, 1], 0, (a, b) => a - b), []);
  throws(() => topK([], 10_000_001, (a: number, b: number) => a - b), (e: unknown) => {
    ok(e instanceof PlanckError);
    strictEqual(e.location.limit, "SORT_ROWS_MAX");
    return true;
  });
});

Deno.test("sortRows sorts everything within its limits and throws limit_exceeded beyond", () => {
  const compare = (a: number, b: number) => a - b;
  deepStrictEqual(sortRows([3, 1, 2], compare), [1, 2, 3]);
  deepStrictEqual(sortRows([3, 1, 2], compare, { rowsMax: 3 }), [1, 2, 3]);
  for (
    const [options, limit] of [[{ rowsMax: 2 }, "SORT_ROWS_MAX"], [
      { bytesMax: 5, rowBytes: () => 2 },
      "SORT_BYTES_MAX",
    ]] as const
  ) {
    throws(() => sortRows([3, 1, 2], compare, options), (e: unknown) => {
      ok(e instanceof PlanckError);
      deepStrictEqual([e.code, e.location.limit], ["limit_exceeded", limit]);
      return true;
    });
  }
});
