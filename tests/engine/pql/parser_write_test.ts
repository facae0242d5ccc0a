import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { parsePql, parsePqlScript, PqlSyntaxError } from "../../../engine/pql/mod.ts";
import type { QueryDocument } from "../../../protocol/query_document.ts";

const K1 = "01926f3c7d2a4b6e8f00112233445566";

function checkAll(cases: [string, QueryDocument][]): void {
  for (const [text, expected] of cases) deepStrictEqual(parsePql(text), expected, text);
}

Deno.test("parsePql compiles the write examples of the PQL reference", () => {
  checkAll([
    ['orders.insert({"status": "open", "amount": 12.5, "tags": ["new"]})', {
      op: "insert",
      store: "orders",
      documents: [{ status: "open", amount: 12.5, tags: ["new"] }],
    }],
    ['orders.insert([{"a": 1}, {"b": {"c": date("2026-01-01")}}])', {
      op: "insert",
      store: "orders",
      documents: [{ a: 1 }, { b: { c: new Date("2026-01-01T00:00:00Z") } }],
    }],
    ['orders.filter(status = "open" and created < date("2026-01-01")).set({"status": "stale"})', {
      op: "update",
      store: "orders",
      filter: {
        and: [
          { field: "status", op: "eq", value: "open" },
          { field: "created", op: "lt", value: new Date("2026-01-01T00:00:00Z") },
        ],
      },
      set: { status: "stale" },
    }],
    ['orders.filter(status = "stale").unset(note)', {
      op: "update",
      store: "orders",
      filter: { field: "status", op: "eq", value: "stale" },
      unset: ["note"],
    }],
    [`orders.filter(key = "${K1}").inc({"views": 1})`, {
      op: "update",
      store: "orders",
      filter: { field: "key", op: "eq", value: K1 },
      inc: { views: 1 },
    }],
    [`orders.replace("${K1}", {"status": "paid"})`, {
      op: "replace",
      store: "orders",
      key: K1,
      document: { status: "paid" },
    }],
    ['orders.filter(status = "cancelled").delete()', {
      op: "delete",
      store: "orders",
      filter: { field: "status", op: "eq", value: "cancelled" },
    }],
    [`orders.delete("${K1}")`, { op: "delete", store: "orders", key: K1 }],
  ]);
});

Deno.test("parsePql combines set, unset and inc into one update in any order", () => {
  checkAll([
    ['orders.inc({"v": -2.5, "w": 1}).filter(x > 1).unset(b, c.d).set({"a": date("2026-01-01")})', {
      op: "update",
      store: "orders",
      filter: { field: "x", op: "gt", value: 1 },
      set: { a: new Date("2026-01-01T00:00:00Z") },
      unset: ["b", "c.d"],
      inc: { v: -2.5, w: 1 },
    }],
    ['orders.set({"a": 1})', { op: "update", store: "orders", set: { a: 1 } }],
    ["orders.delete()", { op: "delete", store: "orders" }],
    ["orders.range(0x1, 0x2).delete()", {
      op: "delete",
      store: "orders",
      range: { from: "00000000000000000000000000000001", to: "00000000000000000000000000000002" },
    }],
  ]);
});

Deno.test("parsePql keeps a __proto__ field as an own field, never a prototype", () => {
  const query = parsePql('orders.insert({"__proto__": {"polluted": true}, "a": {"__proto__": 1}})');
  ok(query.op === "insert");
  const [document] = query.documents;
  strictEqual(Object.getPrototypeOf(document), Object.prototype);
  deepStrictEqual(Object.keys(document), ["__proto__", "a"]);
  deepStrictEqual(Object.getOwnPropertyDescriptor(document, "__proto__")?.value, { polluted: true });
  strictEqual(({} as Record<string, unknown>).polluted, undefined);
});

Deno.test("parsePql compiles explain of finds, counts, aggregates, updates and deletes", () => {
  checkAll([
    ["explain orders.count()", { op: "explain", query: { op: "count", store: "orders" } }],
    ["EXPLAIN orders.filter(a = 1).delete()", {
      op: "explain",
      query: { op: "delete", store: "orders", filter: { field: "a", op: "eq", value: 1 } },
    }],
    ["explain orders.delete(0x1)", {
      op: "explain",
      query: { op: "delete", store: "orders", key: "00000000000000000000000000000001" },
    }],
    ['explain orders.filter(a = 1).set({"b": 2})', {
      op: "explain",
      query: { op: "update", store: "orders", filter: { field: "a", op: "eq", value: 1 }, set: { b: 2 } },
    }],
    ["explain orders.groupBy(a).aggregate(s: avg(x))", {
      op: "explain",
      query: {
        op: "aggregate",
        store: "orders",
        groupBy: ["a"],
        aggregates: { s: { fn: "avg", field: "x" } },
      },
    }],
  ]);
});

Deno.test("parsePql compiles definitions and introspection", () => {
  checkAll([
    ["create store orders", { op: "createStore", store: "orders" }],
    ["drop store orders", { op: "dropStore", store: "orders" }],
    ["create index orders_status on orders(status)", {
      op: "createIndex",
      name: "orders_status",
      store: "orders",
      fields: [{ path: "status", direction: "asc" }],
      unique: false,
    }],
    ["create unique index users_email on users(email)", {
      op: "createIndex",
      name: "users_email",
      store: "users",
      fields: [{ path: "email", direction: "asc" }],
      unique: true,
    }],
    ['CREATE INDEX orders_status_created ON orders(status, created DESC, items[0]."a b" asc)', {
      op: "createIndex",
      name: "orders_status_created",
      store: "orders",
      fields: [
        { path: "status", direction: "asc" },
        { path: "created", direction: "desc" },
        { path: "items.0.a b", direction: "asc" },
      ],
      unique: false,
    }],
    ["drop index orders_status", { op: "dropIndex", name: "orders_status" }],
    ["show stores", { op: "showStores" }],
    ["Show Indexes On orders", { op: "showIndexes", store: "orders" }],
  ]);
});

Deno.test("parsePqlScript splits statements at ';' and at line breaks between complete statements", () => {
  const script = [
    "create store orders",
    'orders.insert({"n": 1}); orders.insert({"n": 2});;',
    "orders.filter(n > 0)",
    "  .orderBy(n desc)",
    "  .limit(1)",
    "explain",
    "  orders.count()",
    "show indexes",
    "  on orders",
    "",
  ].join("\n");
  deepStrictEqual(parsePqlScript(script), [
    { op: "createStore", store: "orders" },
    { op: "insert", store: "orders", documents: [{ n: 1 }] },
    { op: "insert", store: "orders", documents: [{ n: 2 }] },
    {
      op: "find",
      store: "orders",
      filter: { field: "n", op: "gt", value: 0 },
      orderBy: [{ field: "n", direction: "desc" }],
      limit: 1,
    },
    { op: "explain", query: { op: "count", store: "orders" } },
    { op: "showIndexes", store: "orders" },
  ]);
  deepStrictEqual(parsePqlScript(""), []);
  deepStrictEqual(parsePqlScript(" ;\n; "), []);
  deepStrictEqual(parsePqlScript("show stores"), [{ op: "showStores" }]);
});

Deno.test("parsePqlScript rejects two statements on one line without ';' and reports the line", () => {
  throws(() => parsePqlScript("show stores\norders.count() orders.count()"), (error: unknown) => {
    ok(error instanceof PqlSyntaxError);
    strictEqual(
      error.message,
      "PQL 2:16: expected ';', a line break or end of input after the statement but found 'orders'",
    );
    return true;
  });
  throws(() => parsePqlScript("show stores\n\norders.filtr()"), (error: unknown) => {
    ok(error instanceof PqlSyntaxError);
    strictEqual(error.location.line, 3);
    strictEqual(error.location.column, 8);
    return true;
  });
});

Deno.test("parsePql rejects a script of several statements", () => {
  for (const text of ["show stores; show stores", "show stores\nshow stores"]) {
    throws(() => parsePql(text), /expected end of input but found 'show'/);
  }
});
