/**
 * One case table for both shorthand converters: the typed builder's (builder/shorthand.ts) and
 * the engine's for untrusted input (engine/query/shorthand.ts) must produce the same Filter.
 */
import { deepStrictEqual, ok, throws } from "node:assert/strict";
import { shorthandToFilter as builderShorthand } from "../../builder/shorthand.ts";
import { shorthandToFilter as engineShorthand } from "../../engine/query/shorthand.ts";
import { PlanckError } from "../../protocol/errors.ts";
import type { Document, Filter } from "../../protocol/query_document.ts";
import type { Shorthand } from "../../builder/shorthand.ts";

const when = new Date("2026-01-01T00:00:00Z");

const CASES: [Record<string, unknown>, Filter][] = [
  [{}, { and: [] }],
  [{ status: "open" }, { field: "status", op: "eq", value: "open" }],
  [{ status: "open", amount: { gte: 10 } }, {
    and: [{ field: "status", op: "eq", value: "open" }, { field: "amount", op: "gte", value: 10 }],
  }],
  [{ amount: { gte: 10, lt: 20 }, "a.b": null }, {
    and: [
      { field: "amount", op: "gte", value: 10 },
      { field: "amount", op: "lt", value: 20 },
      { field: "a.b", op: "eq", value: null },
    ],
  }],
  [{ address: { city: "Berlin" } }, { field: "address", op: "eq", value: { city: "Berlin" } }],
  [{ address: {} }, { field: "address", op: "eq", value: {} }],
  [{ tags: ["a", "b"] }, { field: "tags", op: "eq", value: ["a", "b"] }],
  [{ n: { eq: 1, ne: 2, gt: 3, lte: 4n } }, {
    and: [
      { field: "n", op: "eq", value: 1 },
      { field: "n", op: "ne", value: 2 },
      { field: "n", op: "gt", value: 3 },
      { field: "n", op: "lte", value: 4n },
    ],
  }],
  [{ c: { in: ["DE", "FR"] }, d: { nin: [] } }, {
    and: [{ field: "c", op: "in", values: ["DE", "FR"] }, { field: "d", op: "nin", values: [] }],
  }],
  [{ created: { between: [when, when] } }, { field: "created", op: "between", low: when, high: when }],
  [{ note: { exists: false } }, { field: "note", op: "exists", value: false }],
  [{ tags: { contains: "vip" } }, { field: "tags", op: "contains", value: "vip" }],
  [{ name: { startsWith: "Jo" } }, { field: "name", op: "startsWith", value: "Jo" }],
  [{ name: { regex: "^a" } }, { field: "name", op: "regex", pattern: "^a" }],
  [{ name: { regex: "^a", flags: "i" } }, { field: "name", op: "regex", pattern: "^a", flags: "i" }],
  [{ name: { regex: /^a/ } }, { field: "name", op: "regex", pattern: "^a" }],
  [{ name: { regex: /^a/mi } }, { field: "name", op: "regex", pattern: "^a", flags: "im" }],
  [{ key: "01926f3c7d2a4b6e8f00112233445566" }, {
    field: "key",
    op: "eq",
    value: "01926f3c7d2a4b6e8f00112233445566",
  }],
];

Deno.test("shorthandToFilter (builder and engine) give the same canonical filter for every case", () => {
  for (const [input, expected] of CASES) {
    const label = Deno.inspect(input);
    deepStrictEqual(builderShorthand(input as Shorthand<Document>), expected, `builder ${label}`);
    deepStrictEqual(engineShorthand(input), expected, `engine ${label}`);
  }
});

Deno.test("shorthandToFilter (builder and engine) reject operators mixed with plain fields", () => {
  throws(() => builderShorthand({ a: { gte: 1, b: 2 } }), TypeError);
  throws(() => builderShorthand({ a: { flags: "i" } }), TypeError);
  throws(() => engineShorthand({ a: { gte: 1, b: 2 } }), PlanckError);
});

Deno.test("engine shorthandToFilter rejects untrusted input naming the shorthand location", () => {
  const cases: [unknown, string, string][] = [
    ["status = 1", "invalid_argument", "filter"],
    [{ "": 1 }, "invalid_argument", "filter."],
    [{ "a..b": 1 }, "invalid_argument", "filter.a..b"],
    [{ a: undefined }, "invalid_argument", "filter.a"],
    [{ a: { gte: 1, b: 2 } }, "invalid_argument", "filter.a"],
    [{ a: { flags: "i" } }, "invalid_argument", "filter.a.flags"],
    [{ a: { between: [1] } }, "invalid_argument", "filter.a.between"],
    [{ a: { in: 5 } }, "invalid_argument", "filter.a.in.values"],
    [{ a: { exists: "yes" } }, "invalid_argument", "filter.a.exists.value"],
    [{ a: { startsWith: 1 } }, "invalid_argument", "filter.a.startsWith.value"],
    [{ a: { regex: "(" } }, "invalid_argument", "filter.a.regex.pattern"],
    [{ a: { regex: "x", flags: "g" } }, "invalid_argument", "filter.a.regex.flags"],
    [{ a: { eq: () => 1 } }, "invalid_argument", "filter.a.eq.value"],
  ];
  for (const [input, code, field] of cases) {
    throws(() => engineShorthand(input), (e: unknown) => {
      ok(e instanceof PlanckError);
      deepStrictEqual(
        { code: e.code, field: e.location.field },
        { code, field },
        `${Deno.inspect(input)}: ${e.message}`,
      );
      return true;
    });
  }
});
