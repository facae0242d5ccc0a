import { deepStrictEqual, ok } from "node:assert/strict";
import { parsePql } from "../../../engine/pql/mod.ts";
import type { Filter, QueryDocument } from "../../../protocol/query_document.ts";

const K1 = "01926f3c7d2a4b6e8f00112233445566";

/** Each case: PQL text → the query document it must compile to. */
function checkAll(cases: [string, QueryDocument][]): void {
  for (const [text, expected] of cases) deepStrictEqual(parsePql(text), expected, text);
}

/** The filter of `orders.filter(<condition>)`. */
function filterOf(condition: string): Filter | undefined {
  const query = parsePql(`orders.filter(${condition})`);
  ok(query.op === "find");
  return query.filter;
}

function checkFilters(cases: [string, Filter][]): void {
  for (const [condition, expected] of cases) deepStrictEqual(filterOf(condition), expected, condition);
}

const eq = (field: string, value: unknown): Filter => ({ field, op: "eq", value } as Filter);

Deno.test("parsePql compiles the read examples of the PQL reference", () => {
  checkAll([
    ['orders.filter(status = "open" and amount >= 10).orderBy(created desc).limit(20)', {
      op: "find",
      store: "orders",
      filter: { and: [eq("status", "open"), { field: "amount", op: "gte", value: 10 }] },
      orderBy: [{ field: "created", direction: "desc" }],
      limit: 20,
    }],
    ['orders.filter(customer.country in ["DE", "FR"] or not (tags contains "vip")).count()', {
      op: "count",
      store: "orders",
      filter: {
        or: [
          { field: "customer.country", op: "in", values: ["DE", "FR"] },
          { not: { field: "tags", op: "contains", value: "vip" } },
        ],
      },
    }],
    ['orders.filter(note ~ "^urgent" ).pluck(key, status, amount)', {
      op: "find",
      store: "orders",
      filter: { field: "note", op: "regex", pattern: "^urgent" },
      select: ["key", "status", "amount"],
    }],
    ['orders.filter(created between date("2026-01-01") and date("2026-02-01")).skip(40).limit(20)', {
      op: "find",
      store: "orders",
      filter: {
        field: "created",
        op: "between",
        low: new Date("2026-01-01T00:00:00Z"),
        high: new Date("2026-02-01T00:00:00Z"),
      },
      skip: 40,
      limit: 20,
    }],
    [`orders.orderBy(amount desc, created asc).after("${K1}").limit(50)`, {
      op: "find",
      store: "orders",
      orderBy: [{ field: "amount", direction: "desc" }, { field: "created", direction: "asc" }],
      after: K1,
      limit: 50,
    }],
    ["orders.groupBy(status).aggregate(n: count(), total: sum(amount), avg: avg(amount), top: max(amount))", {
      op: "aggregate",
      store: "orders",
      groupBy: ["status"],
      aggregates: {
        n: { fn: "count" },
        total: { fn: "sum", field: "amount" },
        avg: { fn: "avg", field: "amount" },
        top: { fn: "max", field: "amount" },
      },
    }],
    [`orders.get("${K1}")`, { op: "get", store: "orders", key: K1 }],
    [`orders.range("${K1}", "0x0193").limit(100)`, {
      op: "find",
      store: "orders",
      range: { from: K1, to: "00000000000000000000000000000193" },
      limit: 100,
    }],
    ['explain orders.filter(status = "open").orderBy(created desc).limit(10)', {
      op: "explain",
      query: {
        op: "find",
        store: "orders",
        filter: eq("status", "open"),
        orderBy: [{ field: "created", direction: "desc" }],
        limit: 10,
      },
    }],
  ]);
});

Deno.test("parsePql compiles every comparison and predicate operator", () => {
  checkFilters([
    ["a = 1", eq("a", 1)],
    ["a != 1", { field: "a", op: "ne", value: 1 }],
    ["a > 1", { field: "a", op: "gt", value: 1 }],
    ["a >= 1", { field: "a", op: "gte", value: 1 }],
    ["a < 1", { field: "a", op: "lt", value: 1 }],
    ["a <= 1", { field: "a", op: "lte", value: 1 }],
    ['a in [1, "x", null]', { field: "a", op: "in", values: [1, "x", null] }],
    ["a in []", { field: "a", op: "in", values: [] }],
    ["a not in [true]", { field: "a", op: "nin", values: [true] }],
    ["a between 1 and 5", { field: "a", op: "between", low: 1, high: 5 }],
    ["a exists", { field: "a", op: "exists", value: true }],
    ["a exists true", { field: "a", op: "exists", value: true }],
    ["a exists false", { field: "a", op: "exists", value: false }],
    ['tags contains "vip"', { field: "tags", op: "contains", value: "vip" }],
    ['name startsWith "Jo"', { field: "name", op: "startsWith", value: "Jo" }],
    ['note ~ "^a.*b$"', { field: "note", op: "regex", pattern: "^a.*b$" }],
    ['note ~ "x" i', { field: "note", op: "regex", pattern: "x", flags: "i" }],
    ['note ~ "x" msu', { field: "note", op: "regex", pattern: "x", flags: "msu" }],
  ]);
});

Deno.test("parsePql makes and bind tighter than or and flattens runs without wrapping single predicates", () => {
  const [a, b, c, d] = [eq("a", 1), eq("b", 2), eq("c", 3), eq("d", 4)];
  checkFilters([
    ["a = 1", a],
    ["(a = 1)", a],
    ["((a = 1))", a],
    ["a = 1 and b = 2 and c = 3", { and: [a, b, c] }],
    ["a = 1 or b = 2 or c = 3", { or: [a, b, c] }],
    ["a = 1 or b = 2 and c = 3", { or: [a, { and: [b, c] }] }],
    ["a = 1 and b = 2 or c = 3 and d = 4", { or: [{ and: [a, b] }, { and: [c, d] }] }],
    ["(a = 1 or b = 2) and c = 3", { and: [{ or: [a, b] }, c] }],
    ["(a = 1 and b = 2) and c = 3", { and: [{ and: [a, b] }, c] }],
    ["not a = 1", { not: a }],
    ["not not a = 1", { not: { not: a } }],
    ["not a = 1 and b = 2", { and: [{ not: a }, b] }],
    ["not (a = 1 or b = 2)", { not: { or: [a, b] } }],
    ["a between 1 and 5 and b = 2", { and: [{ field: "a", op: "between", low: 1, high: 5 }, b] }],
    ["a exists and b = 2", { and: [{ field: "a", op: "exists", value: true }, b] }],
    ['a ~ "x" i or b = 2', { or: [{ field: "a", op: "regex", pattern: "x", flags: "i" }, b] }],
  ]);
});

Deno.test("parsePql treats keywords case-insensitively", () => {
  checkFilters([
    ["a NOT IN [1] AND b Between 1 AnD 2 OR c EXISTS FALSE", {
      or: [
        { and: [{ field: "a", op: "nin", values: [1] }, { field: "b", op: "between", low: 1, high: 2 }] },
        { field: "c", op: "exists", value: false },
      ],
    }],
    ["a = TRUE or b = False or c = NULL", { or: [eq("a", true), eq("b", false), eq("c", null)] }],
  ]);
  deepStrictEqual(parsePql("SHOW STORES"), { op: "showStores" });
});

Deno.test("parsePql compiles dotted, indexed and quoted paths", () => {
  checkFilters([
    ['items[0].sku = "x"', eq("items.0.sku", "x")],
    ["a.b.c = 1", eq("a.b.c", 1)],
    ["m[2][10] = 1", eq("m.2.10", 1)],
    ["a.index.desc = 1", eq("a.index.desc", 1)],
    ['"first name" = 1', eq("first name", 1)],
    ['"desc".x."y z"[0] = 1', eq("desc.x.y z.0", 1)],
    ["key exists", { field: "key", op: "exists", value: true }],
  ]);
  const query = parsePql('orders.orderBy("odd name" desc, items[1].n).pluck(a.b, "c d")');
  deepStrictEqual(query, {
    op: "find",
    store: "orders",
    orderBy: [{ field: "odd name", direction: "desc" }, { field: "items.1.n", direction: "asc" }],
    select: ["a.b", "c d"],
  });
});

Deno.test("parsePql compiles values: strings, numbers, literals, dates, keys, arrays and objects", () => {
  checkFilters([
    [String.raw`a = "\"q\"\n\u00e9"`, eq("a", '"q"\né')],
    ["a = -12.5e-1", eq("a", -1.25)],
    ["a = 9007199254740993", eq("a", 9007199254740993n)],
    ["a = 0xAB", eq("a", "000000000000000000000000000000ab")],
    ['a = "ABC"', eq("a", "ABC")],
    ['a = date("2026-01-31")', eq("a", new Date(Date.UTC(2026, 0, 31)))],
    ['a = date("2026-01-31T10:20:30")', eq("a", new Date(Date.UTC(2026, 0, 31, 10, 20, 30)))],
    ['a = date("2026-01-31T10:20:30.5Z")', eq("a", new Date(Date.UTC(2026, 0, 31, 10, 20, 30, 500)))],
    [
      'a = date("2026-01-31T10:20:30.123456789+02:30")',
      eq("a", new Date(Date.UTC(2026, 0, 31, 7, 50, 30, 123))),
    ],
    ['a = date("2024-02-29T23:59-01:00")', eq("a", new Date(Date.UTC(2024, 2, 1, 0, 59)))],
    ['a = date("0099-01-01")', eq("a", new Date("0099-01-01T00:00:00Z"))],
    ['a = [1, [2], {"b": null}]', eq("a", [1, [2], { b: null }])],
    ['a contains {"x": date("2026-01-01")}', {
      field: "a",
      op: "contains",
      value: { x: new Date("2026-01-01T00:00:00Z") },
    }],
  ]);
});

Deno.test("parsePql canonicalizes keys compared with the key path", () => {
  const upper = K1.toUpperCase();
  checkFilters([
    [`key = "${upper}"`, eq("key", K1)],
    ['key = "0x1F"', eq("key", "0000000000000000000000000000001f")],
    [`key in ["${upper}", 0x2]`, {
      field: "key",
      op: "in",
      values: [K1, "00000000000000000000000000000002"],
    }],
    [`key between 0x1 and "${upper}"`, {
      field: "key",
      op: "between",
      low: "00000000000000000000000000000001",
      high: K1,
    }],
    ['key startsWith "0192"', { field: "key", op: "startsWith", value: "0192" }],
  ]);
  deepStrictEqual(parsePql(`orders.get(0x${upper})`), { op: "get", store: "orders", key: K1 });
});

Deno.test("parsePql accepts read clauses in any order and a bare store as find", () => {
  const expected: QueryDocument = {
    op: "find",
    store: "orders",
    filter: eq("a", 1),
    range: { to: "00000000000000000000000000000010" },
    orderBy: [{ field: "b", direction: "asc" }],
    after: "00000000000000000000000000000005",
    skip: 0,
    limit: 0,
    exclude: ["x"],
  };
  checkAll([
    ["orders.limit(0).skip(0).orderBy(b).exclude(x).filter(a = 1).range(null, 0x10).after(0x5)", expected],
    [
      "orders.range(null, 0x10).after(0x5).filter(a = 1).orderBy(b asc).skip(0).exclude(x).limit(0)",
      expected,
    ],
    ["orders.limit(5).filter(a = 1)", { op: "find", store: "orders", filter: eq("a", 1), limit: 5 }],
    ["orders", { op: "find", store: "orders" }],
    ["orders.filter(a = 1)", { op: "find", store: "orders", filter: eq("a", 1) }],
    ['orders.select(a).range("0x1")', {
      op: "find",
      store: "orders",
      range: { from: "00000000000000000000000000000001" },
      select: ["a"],
    }],
    ["orders.range(null)", { op: "find", store: "orders", range: {} }],
    ["orders.count().filter(a = 1)", { op: "count", store: "orders", filter: eq("a", 1) }],
    ["orders.aggregate(n: count()).filter(a = 1)", {
      op: "aggregate",
      store: "orders",
      filter: eq("a", 1),
      aggregates: { n: { fn: "count" } },
    }],
    ['orders.aggregate("the n": count(), lo: min(a.b)).groupBy(x, y)', {
      op: "aggregate",
      store: "orders",
      groupBy: ["x", "y"],
      aggregates: { "the n": { fn: "count" }, lo: { fn: "min", field: "a.b" } },
    }],
  ]);
});

Deno.test("parsePql allows whitespace and line breaks between tokens and one trailing ';'", () => {
  deepStrictEqual(parsePql("  orders\n  .filter( a\t=\r\n1 )\n  .limit( 2 ) ;  "), {
    op: "find",
    store: "orders",
    filter: eq("a", 1),
    limit: 2,
  });
});
