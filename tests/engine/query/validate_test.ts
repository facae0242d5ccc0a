import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { validateQuery } from "../../../engine/query/validate.ts";
import { PlanckError } from "../../../protocol/errors.ts";
import type { QueryDocument } from "../../../protocol/query_document.ts";
import { VALUE_DEPTH_MAX } from "../../../engine/query/limits.ts";

const K = "01926f3c7d2a4b6e8f00112233445566";
const S = "orders";
const eq = (field: string, value: unknown) => ({ field, op: "eq", value });

/** Valid documents; each must come back deep-equal (already canonical). */
const VALID: QueryDocument[] = [
  { op: "find", store: S },
  {
    op: "find",
    store: S,
    filter: {
      and: [eq("a", 1), { or: [{ not: eq("b", null) }, { field: "c", op: "in", values: [1, "x"] }] }],
    } as never,
    range: { from: K, to: K },
    orderBy: [{ field: "a.b", direction: "desc" }],
    after: K,
    skip: 0,
    limit: 20,
    select: ["a", "key"],
    exclude: ["b.c"],
  },
  { op: "find", store: S, filter: { field: "a", op: "between", low: new Date(0), high: new Date(1) } },
  { op: "find", store: S, filter: { field: "a", op: "regex", pattern: "^x", flags: "im" } },
  { op: "find", store: S, filter: { field: "a", op: "startsWith", value: "" } },
  { op: "find", store: S, filter: { field: "a", op: "exists", value: false } },
  {
    op: "find",
    store: S,
    filter: { field: "a", op: "contains", value: { x: [1n, new Uint8Array([1]) as never] } },
  },
  { op: "get", store: S, key: K },
  { op: "count", store: S, filter: { and: [] } },
  {
    op: "aggregate",
    store: S,
    groupBy: ["a", "b.c"],
    aggregates: { n: { fn: "count" }, s: { fn: "sum", field: "x" } },
  },
  { op: "update", store: S, key: K, set: { "a.b": 1, c: [1] }, unset: ["d"], inc: { e: -2.5 } },
  { op: "delete", store: S, filter: eq("a", 1) as never },
  { op: "delete", store: S, key: K },
  { op: "insert", store: S, documents: [{ a: 1, key: K }, { b: { c: new Date(5) } }] },
  { op: "replace", store: S, key: K, document: { a: 1 } },
  { op: "explain", query: { op: "count", store: S } },
  { op: "createStore", store: S },
  { op: "dropStore", store: S },
  { op: "createIndex", name: "i", store: S, fields: [{ path: "a", direction: "asc" }], unique: false },
  { op: "dropIndex", name: "i" },
  { op: "showStores" },
  { op: "showIndexes", store: S },
];

Deno.test("validateQuery accepts valid documents unchanged", () => {
  for (const query of VALID) {
    deepStrictEqual(
      validateQuery(query),
      query,
      JSON.stringify(query, (_k, v) => typeof v === "bigint" ? `${v}` : v),
    );
  }
});

Deno.test("validateQuery canonicalizes keys and drops undefined optional fields", () => {
  const upper = K.toUpperCase();
  deepStrictEqual(validateQuery({ op: "get", store: S, key: "0x1" }), {
    op: "get",
    store: S,
    key: "0".repeat(31) + "1",
  });
  deepStrictEqual(
    validateQuery({
      op: "find",
      store: S,
      after: upper,
      limit: undefined,
      filter: { field: "key", op: "in", values: [upper, "abc"] },
    }),
    { op: "find", store: S, after: K, filter: { field: "key", op: "in", values: [K, "abc"] } },
  );
  deepStrictEqual(validateQuery({ op: "insert", store: S, documents: [{ key: upper }] }), {
    op: "insert",
    store: S,
    documents: [{ key: K }],
  });
});

const big = <T>(n: number, make: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => make(i));
const deep = (levels: number): unknown => (levels === 0 ? eq("a", 1) : { not: deep(levels - 1) });
const deepValue = (levels: number): unknown => (levels === 0 ? 1 : [deepValue(levels - 1)]);
const find = (extra: Record<string, unknown>) => ({ op: "find", store: S, ...extra });
const filter = (f: unknown) => find({ filter: f });

/** Each rejection: input, expected code, expected field. */
const INVALID: [unknown, string, string][] = [
  [null, "invalid_argument", "query"],
  [[], "invalid_argument", "query"],
  [{ op: "drop" }, "invalid_argument", "op"],
  [{ store: S }, "invalid_argument", "op"],
  [find({ extra: 1 }), "invalid_argument", "extra"],
  [{ op: "find" }, "invalid_argument", "store"],
  [{ op: "find", store: "" }, "invalid_argument", "store"],
  [{ op: "find", store: 5 }, "invalid_argument", "store"],
  [{ op: "find", store: "x".repeat(65) }, "limit_exceeded", "store"],
  [find({ range: { from: "zz" } }), "invalid_argument", "range.from"],
  [find({ range: { to: 5 } }), "invalid_argument", "range.to"],
  [find({ range: { start: K } }), "invalid_argument", "range.start"],
  [find({ range: "a" }), "invalid_argument", "range"],
  [find({ orderBy: "a" }), "invalid_argument", "orderBy"],
  [find({ orderBy: [{ field: "a", direction: "up" }] }), "invalid_argument", "orderBy.0.direction"],
  [find({ orderBy: [{ field: "", direction: "asc" }] }), "invalid_argument", "orderBy.0.field"],
  [find({ orderBy: [{ field: "a", direction: "asc", x: 1 }] }), "invalid_argument", "orderBy.0.x"],
  [find({ orderBy: big(17, () => ({ field: "a", direction: "asc" })) }), "limit_exceeded", "orderBy"],
  [find({ after: "nope" }), "invalid_argument", "after"],
  [find({ skip: -1 }), "invalid_argument", "skip"],
  [find({ limit: 1.5 }), "invalid_argument", "limit"],
  [find({ limit: "5" }), "invalid_argument", "limit"],
  [find({ select: ["a", "b..c"] }), "invalid_argument", "select.1"],
  [find({ select: ["a.__proto__"] }), "invalid_argument", "select.0"],
  [find({ exclude: big(257, (i) => `f${i}`) }), "limit_exceeded", "exclude"],
  [find({ select: ["x".repeat(1025)] }), "limit_exceeded", "select.0"],
  [find({ select: [big(33, () => "a").join(".")] }), "limit_exceeded", "select.0"],
  [filter("a = 1"), "invalid_argument", "filter"],
  [filter({}), "invalid_argument", "filter"],
  [filter({ and: [eq("a", 1)], or: [] }), "invalid_argument", "filter.or"],
  [filter({ and: "x" }), "invalid_argument", "filter.and"],
  [
    filter({ and: [eq("a", 1), { field: "b", op: "like", value: 1 }] }),
    "invalid_argument",
    "filter.and.1.op",
  ],
  [filter({ or: [{ not: { field: 1, op: "eq", value: 1 } }] }), "invalid_argument", "filter.or.0.not.field"],
  [filter({ field: "a", op: "eq" }), "invalid_argument", "filter.value"],
  [filter({ field: "a", op: "eq", value: 1, values: [] }), "invalid_argument", "filter.values"],
  [filter({ field: "a", op: "eq", value: () => 1 }), "invalid_argument", "filter.value"],
  [filter({ field: "a", op: "eq", value: { x: [1, Symbol("s")] } }), "invalid_argument", "filter.value.x.1"],
  [filter({ field: "a", op: "eq", value: new Map() }), "invalid_argument", "filter.value"],
  [filter({ field: "a", op: "eq", value: new Date(NaN) }), "invalid_argument", "filter.value"],
  [
    filter({ field: "a", op: "eq", value: deepValue(VALUE_DEPTH_MAX + 1) }),
    "limit_exceeded",
    "filter.value" + ".0".repeat(VALUE_DEPTH_MAX),
  ],
  [filter({ field: "a", op: "in", values: 1 }), "invalid_argument", "filter.values"],
  [filter({ field: "a", op: "in", values: [1, undefined] }), "invalid_argument", "filter.values.1"],
  [filter({ field: "a", op: "nin", values: big(10_001, (i) => i) }), "limit_exceeded", "filter.values"],
  [filter({ field: "a", op: "between", low: 1 }), "invalid_argument", "filter.high"],
  [filter({ field: "a", op: "exists", value: "yes" }), "invalid_argument", "filter.value"],
  [filter({ field: "a", op: "startsWith", value: 1 }), "invalid_argument", "filter.value"],
  [filter({ field: "a", op: "regex", pattern: "(" }), "invalid_argument", "filter.pattern"],
  [filter({ field: "a", op: "regex", pattern: 5 }), "invalid_argument", "filter.pattern"],
  [filter({ field: "a", op: "regex", pattern: "a", flags: "gi" }), "invalid_argument", "filter.flags"],
  [filter({ field: "a", op: "regex", pattern: "a", flags: 1 }), "invalid_argument", "filter.flags"],
  [filter({ field: "a", op: "regex", pattern: "a".repeat(1025) }), "limit_exceeded", "filter.pattern"],
  [filter(deep(33)), "limit_exceeded", "filter" + ".not".repeat(33)],
  [filter({ or: big(1025, () => eq("a", 1)) }), "limit_exceeded", "filter.or"],
  [filter({ and: big(600, () => ({ or: [eq("a", 1)] })) }), "limit_exceeded", "filter.and.511.or.0"],
  [{ op: "get", store: S }, "invalid_argument", "key"],
  [{ op: "get", store: S, key: K, filter: eq("a", 1) }, "invalid_argument", "filter"],
  [{ op: "count", store: S, limit: 1 }, "invalid_argument", "limit"],
  [{ op: "aggregate", store: S }, "invalid_argument", "aggregates"],
  [{ op: "aggregate", store: S, aggregates: {} }, "invalid_argument", "aggregates"],
  [
    { op: "aggregate", store: S, aggregates: { n: { fn: "median", field: "a" } } },
    "invalid_argument",
    "aggregates.n.fn",
  ],
  [
    { op: "aggregate", store: S, aggregates: { n: { fn: "count", field: "a" } } },
    "invalid_argument",
    "aggregates.n.field",
  ],
  [{ op: "aggregate", store: S, aggregates: { s: { fn: "sum" } } }, "invalid_argument", "aggregates.s.field"],
  [
    { op: "aggregate", store: S, aggregates: { s: { fn: "sum", field: "a", x: 1 } } },
    "invalid_argument",
    "aggregates.s.x",
  ],
  [
    { op: "aggregate", store: S, aggregates: { group: { fn: "count" } } },
    "invalid_argument",
    "aggregates.group",
  ],
  [
    {
      op: "aggregate",
      store: S,
      aggregates: Object.fromEntries(big(65, (i) => [`a${i}`, { fn: "count" }] as const)),
    },
    "limit_exceeded",
    "aggregates",
  ],
  [
    { op: "aggregate", store: S, groupBy: ["a", "a"], aggregates: { n: { fn: "count" } } },
    "invalid_argument",
    "groupBy.1",
  ],
  [
    { op: "aggregate", store: S, groupBy: big(17, (i) => `g${i}`), aggregates: { n: { fn: "count" } } },
    "limit_exceeded",
    "groupBy",
  ],
  [{ op: "update", store: S }, "invalid_argument", "set"],
  [{ op: "update", store: S, set: { key: 1 } }, "invalid_argument", "set.key"],
  [{ op: "update", store: S, set: { "a..b": 1 } }, "invalid_argument", "set.a..b"],
  [{ op: "update", store: S, set: { a: undefined } }, "invalid_argument", "set.a"],
  [{ op: "update", store: S, set: [] }, "invalid_argument", "set"],
  [{ op: "update", store: S, unset: ["key"] }, "invalid_argument", "unset.0"],
  [{ op: "update", store: S, inc: { a: "1" } }, "invalid_argument", "inc.a"],
  [{ op: "update", store: S, inc: { a: Infinity } }, "invalid_argument", "inc.a"],
  [{ op: "update", store: S, set: { a: 1 }, inc: { a: 1 } }, "invalid_argument", "inc.a"],
  [{ op: "update", store: S, set: { "a.b": 1 }, unset: ["a"] }, "invalid_argument", "set.a.b"],
  [{ op: "update", store: S, key: "x", set: { a: 1 } }, "invalid_argument", "key"],
  [{ op: "update", store: S, set: { a: 1 }, orderBy: [] }, "invalid_argument", "orderBy"],
  [{ op: "update", store: S, unset: big(1025, (i) => `u${i}`) }, "limit_exceeded", "unset"],
  [{ op: "delete", store: S, key: 1 }, "invalid_argument", "key"],
  [{ op: "delete", store: S, set: {} }, "invalid_argument", "set"],
  [{ op: "insert", store: S }, "invalid_argument", "documents"],
  [{ op: "insert", store: S, documents: [] }, "invalid_argument", "documents"],
  [{ op: "insert", store: S, documents: [{ a: 1 }, 5] }, "invalid_argument", "documents.1"],
  [{ op: "insert", store: S, documents: [{ a: { b: undefined } }] }, "invalid_argument", "documents.0.a.b"],
  [{ op: "insert", store: S, documents: [{ key: "bad" }] }, "invalid_argument", "documents.0.key"],
  [{ op: "replace", store: S, document: {} }, "invalid_argument", "key"],
  [{ op: "replace", store: S, key: K }, "invalid_argument", "document"],
  [{ op: "replace", store: S, key: K, document: { key: "0x1" } }, "invalid_argument", "document.key"],
  [{ op: "explain" }, "invalid_argument", "query"],
  [{ op: "explain", query: { op: "get", store: S, key: K } }, "invalid_argument", "query.op"],
  [
    { op: "explain", query: { op: "find", store: S, filter: { field: "a", op: "eq" } } },
    "invalid_argument",
    "query.filter.value",
  ],
  [{ op: "explain", query: { op: "count", store: S }, extra: 1 }, "invalid_argument", "extra"],
  [{ op: "createStore" }, "invalid_argument", "store"],
  [{ op: "dropStore", store: S, name: "x" }, "invalid_argument", "name"],
  [{ op: "createIndex", name: "i", store: S, fields: [], unique: false }, "invalid_argument", "fields"],
  [
    { op: "createIndex", name: "i", store: S, fields: [{ path: "a" }], unique: false },
    "invalid_argument",
    "fields.0.direction",
  ],
  [
    { op: "createIndex", name: "i", store: S, fields: [{ path: "a", direction: "asc" }] },
    "invalid_argument",
    "unique",
  ],
  [
    { op: "createIndex", name: "", store: S, fields: [{ path: "a", direction: "asc" }], unique: true },
    "invalid_argument",
    "name",
  ],
  [
    {
      op: "createIndex",
      name: "n".repeat(65),
      store: S,
      fields: [{ path: "a", direction: "asc" }],
      unique: true,
    },
    "limit_exceeded",
    "name",
  ],
  [
    {
      op: "createIndex",
      name: "i",
      store: S,
      fields: big(17, (i) => ({ path: `p${i}`, direction: "asc" })),
      unique: true,
    },
    "limit_exceeded",
    "fields",
  ],
  [
    {
      op: "createIndex",
      name: "i",
      store: S,
      fields: [{ path: "a", direction: "asc" }, { path: "a", direction: "desc" }],
      unique: true,
    },
    "invalid_argument",
    "fields.1",
  ],
  [{ op: "dropIndex" }, "invalid_argument", "name"],
  [{ op: "showStores", store: S }, "invalid_argument", "store"],
  [{ op: "showIndexes" }, "invalid_argument", "store"],
];

Deno.test("validateQuery rejects every invalid document with a code and the offending field", () => {
  for (const [input, code, field] of INVALID) {
    const label = JSON.stringify(input)?.slice(0, 120) ?? String(input);
    throws(() => validateQuery(input), (e: unknown) => {
      ok(e instanceof PlanckError, `${label}: ${e}`);
      deepStrictEqual({ code: e.code, field: e.location.field }, { code, field }, `${label}: ${e.message}`);
      if (code === "limit_exceeded") ok(e.location.limit !== undefined, `${label}: names the limit`);
      return true;
    }, label);
  }
});

Deno.test("validateQuery returns a fresh document without unknown-but-undefined fields", () => {
  const input = { op: "count", store: S, filter: { field: "a", op: "eq", value: 1 } };
  const output = validateQuery(input);
  ok(output !== (input as unknown));
  strictEqual((output as { filter: unknown }).filter === input.filter, false);
});
