import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { type AggregateSpec, Aggregator } from "../../../engine/query/aggregate.ts";
import { PlanckError } from "../../../protocol/errors.ts";
import type { Document } from "../../../protocol/query_document.ts";

const k = (n: number): string => n.toString(16).padStart(32, "0");

const DOCS: Document[] = [
  { status: "open", amount: 10, region: { code: "EU" } },
  { status: "open", amount: 2.5, region: { code: "US" } },
  { status: "closed", amount: 7n },
  { status: "closed", amount: "n/a" },
  { amount: 1 },
  { status: null, amount: null },
  { status: 5, amount: [1, 2] },
  { status: 5n, amount: 3n },
];

function run(spec: AggregateSpec, docs: Document[] = DOCS): unknown[] {
  const aggregator = new Aggregator(spec);
  docs.forEach((doc, i) => aggregator.add(doc, k(i)));
  return aggregator.rows();
}

Deno.test("Aggregator groups by total order with missing as null, rows sorted by group", () => {
  const rows = run({
    groupBy: ["status"],
    aggregates: {
      n: { fn: "count" },
      total: { fn: "sum", field: "amount" },
      mean: { fn: "avg", field: "amount" },
      low: { fn: "min", field: "amount" },
      high: { fn: "max", field: "amount" },
    },
  });
  deepStrictEqual(rows, [
    { group: { status: null }, n: 2, total: 1, mean: 1, low: 1, high: 1 },
    { group: { status: 5 }, n: 2, total: 3n, mean: 3, low: 3n, high: [1, 2] },
    { group: { status: "closed" }, n: 2, total: 7n, mean: 7, low: 7n, high: "n/a" },
    { group: { status: "open" }, n: 2, total: 12.5, mean: 6.25, low: 2.5, high: 10 },
  ]);
});

Deno.test("Aggregator without groupBy gives one row, even for no documents", () => {
  const spec: AggregateSpec = {
    aggregates: {
      n: { fn: "count" },
      total: { fn: "sum", field: "amount" },
      mean: { fn: "avg", field: "amount" },
      low: { fn: "min", field: "amount" },
    },
  };
  deepStrictEqual(run(spec, []), [{ group: {}, n: 0, total: 0, mean: null, low: null }]);
  deepStrictEqual(run(spec), [{ group: {}, n: 8, total: 13.5 + 10, mean: 23.5 / 5, low: 1 }]);
  deepStrictEqual(run({ groupBy: ["status"], aggregates: { n: { fn: "count" } } }, []), []);
});

Deno.test("Aggregator groups by several fields, including nested paths", () => {
  const rows = run(
    { groupBy: ["status", "region.code"], aggregates: { n: { fn: "count" } } },
    DOCS.slice(0, 3),
  );
  deepStrictEqual(rows, [
    { group: { status: "closed", "region.code": null }, n: 1 },
    { group: { status: "open", "region.code": "EU" }, n: 1 },
    { group: { status: "open", "region.code": "US" }, n: 1 },
  ]);
});

Deno.test("Aggregator sums doubles with compensation and keeps infinities", () => {
  const docs = [{ x: 1e16 }, { x: 1 }, { x: -1e16 }, { x: 1 }];
  deepStrictEqual(run({ aggregates: { s: { fn: "sum", field: "x" } } }, docs), [{ group: {}, s: 2 }]);
  const inf = [{ x: Infinity }, { x: 1 }];
  deepStrictEqual(run({ aggregates: { s: { fn: "sum", field: "x" } } }, inf), [{ group: {}, s: Infinity }]);
  const big = [{ x: 2n ** 62n }, { x: 2n ** 62n }];
  deepStrictEqual(run({ aggregates: { s: { fn: "sum", field: "x" } } }, big), [{ group: {}, s: 2n ** 63n }]);
});

Deno.test("Aggregator throws limit_exceeded beyond the group limit", () => {
  const aggregator = new Aggregator({ groupBy: ["i"], aggregates: { n: { fn: "count" } } }, { groupsMax: 3 });
  for (let i = 0; i < 3; i++) aggregator.add({ i }, k(i));
  aggregator.add({ i: 0 }, k(9)); // an existing group is fine
  throws(() => aggregator.add({ i: 3 }, k(3)), (e: unknown) => {
    ok(e instanceof PlanckError);
    strictEqual(e.code, "limit_exceeded");
    strictEqual(e.location.limit, "AGGREGATE_GROUPS_MAX");
    return true;
  });
});

Deno.test("Aggregator rejects the reserved alias group", () => {
  throws(() => new Aggregator({ aggregates: { group: { fn: "count" } } }), PlanckError);
});
