import { deepStrictEqual, ok, throws } from "node:assert/strict";
import { Long } from "bson";
import { compileFilter } from "../../../engine/query/filter.ts";
import { PlanckError } from "../../../protocol/errors.ts";
import type { Document, Filter } from "../../../protocol/query_document.ts";

const d = (n: number): string => n.toString(16).padStart(32, "0");

/** The fixed documents every case runs against, by name; keys are d(1)..d(6). */
const DOCS: [string, Document][] = [
  ["d1", {
    status: "open",
    amount: 12.5,
    tags: ["new", "vip"],
    customer: { country: "DE", name: "Ann" },
    items: [{ sku: "a1", qty: 2 }, { sku: "b2", qty: 1 }],
    created: new Date("2026-01-05T00:00:00Z"),
    note: "urgent: call back",
    score: 3,
    big: 2n ** 63n - 1n,
  }],
  ["d2", {
    status: "closed",
    amount: 5,
    tags: [],
    customer: { country: "FR" },
    items: [],
    created: new Date("2026-02-01T00:00:00Z"),
    note: null,
    score: NaN,
    big: 9007199254740993n,
  }],
  ["d3", {
    status: "open",
    amount: 10n,
    tags: ["old"],
    customer: { country: "US", name: "Bob" },
    items: [{ sku: "c3", qty: 5 }, "loose"],
    created: new Date("2025-12-31T00:00:00Z"),
  }],
  ["d4", {
    status: "OPEN",
    amount: "12",
    flag: true,
    nested: { a: { b: [1, 2, 3] } },
    note: "Urgent\u0000x",
  }],
  ["d5", { amount: [1, 20], matrix: [[1, 2], [3]], mixed: [1, "1", null], flag: false }],
  ["d6", {}],
];

const ALL = ["d1", "d2", "d3", "d4", "d5", "d6"];
const f = (field: string, op: string, value: unknown): Filter => ({ field, op, value } as Filter);

/** Each case: a filter and the names of the documents it must match. */
const CASES: [Filter, string[]][] = [
  [f("status", "eq", "open"), ["d1", "d3"]],
  [f("status", "ne", "open"), ["d2", "d4", "d5", "d6"]],
  [f("status", "gt", "OPEN"), ["d1", "d2", "d3"]],
  [f("status", "gt", 5), []],
  [f("amount", "eq", 10), ["d3"]],
  [f("amount", "eq", 10n), ["d3"]],
  [f("amount", "eq", 12.5), ["d1"]],
  [f("amount", "ne", 10), ["d1", "d2", "d4", "d5", "d6"]],
  [f("amount", "gt", 5), ["d1", "d3", "d5"]],
  [f("amount", "gte", 5), ["d1", "d2", "d3", "d5"]],
  [f("amount", "lt", 5), ["d5"]],
  [f("amount", "lte", "2"), ["d4"]],
  [{ field: "amount", op: "between", low: 5, high: 12.5 }, ["d1", "d2", "d3"]],
  [{ field: "amount", op: "between", low: 5, high: "z" }, []],
  [{ field: "amount", op: "in", values: [5, "12"] }, ["d2", "d4"]],
  [{ field: "amount", op: "in", values: [10] }, ["d3"]],
  [{ field: "amount", op: "nin", values: [5, "12"] }, ["d1", "d3", "d5", "d6"]],
  [{ field: "amount", op: "in", values: [] }, []],
  [{ field: "amount", op: "nin", values: [] }, ALL],
  [f("tags", "contains", "vip"), ["d1"]],
  [f("tags", "eq", "old"), ["d3"]],
  [f("tags", "eq", []), ["d2"]],
  [f("tags", "eq", ["new", "vip"]), ["d1"]],
  [f("tags", "exists", false), ["d4", "d5", "d6"]],
  [f("tags", "exists", true), ["d1", "d2", "d3"]],
  [f("note", "eq", null), ["d2", "d3", "d5", "d6"]],
  [f("note", "ne", null), ["d1", "d4"]],
  [{ field: "note", op: "in", values: [null, "x"] }, ["d2", "d3", "d5", "d6"]],
  [{ field: "note", op: "nin", values: [null] }, ["d1", "d4"]],
  [f("note", "contains", "call"), ["d1"]],
  [f("note", "contains", 1), []],
  [f("note", "startsWith", "urgent"), ["d1"]],
  [{ field: "note", op: "regex", pattern: "^urgent", flags: "i" }, ["d1", "d4"]],
  [{ field: "note", op: "regex", pattern: "x$" }, ["d4"]],
  [{ field: "customer.country", op: "in", values: ["DE", "FR"] }, ["d1", "d2"]],
  [f("customer.name", "exists", false), ["d2", "d4", "d5", "d6"]],
  [f("items.sku", "eq", "b2"), ["d1"]],
  [f("items.qty", "gt", 4), ["d3"]],
  [f("items.0.sku", "eq", "a1"), ["d1"]],
  [f("items.1.sku", "eq", "a1"), []],
  [f("items.sku", "eq", null), ["d2", "d3", "d4", "d5", "d6"]],
  [f("items.sku", "exists", true), ["d1", "d3"]],
  [f("items.sku", "startsWith", "c"), ["d3"]],
  [f("nested.a.b", "contains", 2), ["d4"]],
  [f("nested.a.b", "gt", 2), ["d4"]],
  [f("nested.a.b.1", "eq", 2), ["d4"]],
  [f("nested.a.b.5", "exists", true), []],
  [f("matrix", "eq", [3]), ["d5"]],
  [f("matrix", "eq", 3), []],
  [f("matrix", "contains", [1, 2]), ["d5"]],
  [f("mixed", "eq", "1"), ["d5"]],
  [f("mixed", "eq", 1), ["d5"]],
  [f("mixed", "eq", null), ALL],
  [f("flag", "eq", true), ["d4"]],
  [f("flag", "eq", false), ["d5"]],
  [f("flag", "ne", true), ["d1", "d2", "d3", "d5", "d6"]],
  [f("created", "gte", new Date("2026-01-01T00:00:00Z")), ["d1", "d2"]],
  [f("created", "lt", new Date("2026-01-01T00:00:00Z")), ["d3"]],
  [f("created", "eq", new Date("2026-01-05T00:00:00Z")), ["d1"]],
  [f("created", "eq", Date.UTC(2026, 0, 5)), []],
  [f("score", "lt", 0), ["d2"]],
  [f("score", "eq", NaN), ["d2"]],
  [f("score", "gt", NaN), ["d1"]],
  [f("big", "eq", 9007199254740992), []],
  [f("big", "gt", 9007199254740992), ["d1", "d2"]],
  [f("big", "eq", 9007199254740993n), ["d2"]],
  [{ field: "big", op: "in", values: [9007199254740993n] }, ["d2"]],
  [{ field: "big", op: "in", values: [2 ** 63] }, []],
  [f("big", "lt", 2 ** 63), ["d1", "d2"]],
  [f("key", "eq", d(3)), ["d3"]],
  [{ field: "key", op: "in", values: [d(1), d(2)] }, ["d1", "d2"]],
  [f("key", "startsWith", "0000"), ALL],
  [f("key", "gt", d(4)), ["d5", "d6"]],
  [f("constructor", "exists", true), []],
  [f("toString", "eq", null), ALL],
  [{ and: [f("status", "eq", "open"), f("amount", "gte", 11)] }, ["d1"]],
  [{ or: [f("status", "eq", "closed"), f("flag", "exists", true)] }, ["d2", "d4", "d5"]],
  [{ or: [f("status", "eq", "closed"), f("flag", "exists", true), f("key", "eq", d(6))] }, [
    "d2",
    "d4",
    "d5",
    "d6",
  ]],
  [{ and: [f("status", "exists", true), f("tags", "exists", true), f("amount", "lt", 11)] }, ["d2", "d3"]],
  [{ not: f("status", "eq", "open") }, ["d2", "d4", "d5", "d6"]],
  [{ not: { or: [f("status", "eq", "open"), f("amount", "gt", 1)] } }, ["d4", "d6"]],
  [{ and: [] }, ALL],
  [{ or: [] }, []],
];

Deno.test("compileFilter matches the expected documents for every case", () => {
  for (const [filter, expected] of CASES) {
    const predicate = compileFilter(filter);
    const matched = DOCS.filter(([, doc], i) => predicate(doc, d(i + 1))).map(([name]) => name);
    deepStrictEqual(
      matched,
      expected,
      JSON.stringify(filter, (_k, v) => typeof v === "bigint" ? `${v}n` : v),
    );
  }
});

Deno.test("compileFilter without a filter matches everything", () => {
  ok(compileFilter(undefined)({}, d(1)));
});

Deno.test("compileFilter treats bson Long leaves as numbers", () => {
  const doc = { n: Long.fromNumber(10), big: Long.fromBigInt(2n ** 62n) };
  ok(compileFilter(f("n", "eq", 10))(doc as unknown as Document, d(1)));
  ok(compileFilter({ field: "n", op: "in", values: [10n] })(doc as unknown as Document, d(1)));
  ok(compileFilter(f("big", "gt", 2 ** 61))(doc as unknown as Document, d(1)));
});

Deno.test("compileFilter rejects bad regexes and unknown operators naming the field", () => {
  const cases: [Filter, string, string][] = [
    [{ field: "a", op: "regex", pattern: "(" }, "invalid_argument", "filter.pattern"],
    [
      { and: [f("a", "eq", 1), { field: "a", op: "regex", pattern: "x", flags: "g" }] },
      "invalid_argument",
      "filter.and.1.flags",
    ],
    [{ field: "a", op: "regex", pattern: "x", flags: "uv" }, "invalid_argument", "filter.flags"],
    [{ field: "a", op: "regex", pattern: "x".repeat(1025) }, "limit_exceeded", "filter.pattern"],
    [{ not: f("a", "like", 1) }, "invalid_argument", "filter.not.op"],
  ];
  for (const [filter, code, field] of cases) {
    throws(() => compileFilter(filter), (e: unknown) => {
      ok(e instanceof PlanckError);
      deepStrictEqual([e.code, e.location.field], [code, field]);
      return true;
    });
  }
});
