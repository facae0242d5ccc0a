import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { and, avg, count, from, max, min, not, or, sum, where } from "../../builder/mod.ts";
import type { Transport } from "../../builder/mod.ts";
import { parsePql } from "../../engine/pql/mod.ts";
import { validateQuery } from "../../engine/query/validate.ts";
import type { QueryDocument } from "../../protocol/query_document.ts";

const K1 = "01926f3c7d2a4b6e8f00112233445566";
const K2 = "01936f3c7d2a4b6e8f00112233445566";

interface Order {
  status: string;
  amount: number;
  created: Date;
  tags: string[];
  customer: { country: string };
  note?: string;
  views: number;
}

const orders = from<Order>("orders");

/** Each case: a builder document and the PQL statement that must compile to the same document. */
const PARITY: [QueryDocument, string][] = [
  [
    orders.filter(where("status").eq("open").and(where("amount").gte(10))).orderBy("created", "desc").limit(
      20,
    )
      .toQuery(),
    'orders.filter(status = "open" and amount >= 10).orderBy(created desc).limit(20)',
  ],
  [
    orders.filter(where("customer.country").in(["DE", "FR"]).or(where("tags").contains("vip").not())).build
      .count(),
    'orders.filter(customer.country in ["DE", "FR"] or not (tags contains "vip")).count()',
  ],
  [
    orders.filter(where("note").regex("^urgent")).select("key", "status", "amount").toQuery(),
    'orders.filter(note ~ "^urgent").pluck(key, status, amount)',
  ],
  [
    orders.filter(where("note").regex(/x/i)).exclude("tags").toQuery(),
    'orders.filter(note ~ "x" i).exclude(tags)',
  ],
  [
    orders.filter(
      where("created").between(new Date("2026-01-01T00:00:00Z"), new Date("2026-02-01T00:00:00Z")),
    )
      .skip(40).limit(20).toQuery(),
    'orders.filter(created between date("2026-01-01") and date("2026-02-01")).skip(40).limit(20)',
  ],
  [
    orders.orderBy("amount", "desc").orderBy("created").after(K1).limit(50).toQuery(),
    `orders.orderBy(amount desc, created asc).after("${K1}").limit(50)`,
  ],
  [
    orders.groupBy("status").build.aggregate({
      n: count(),
      total: sum("amount"),
      avg: avg("amount"),
      top: max("amount"),
    }),
    "orders.groupBy(status).aggregate(n: count(), total: sum(amount), avg: avg(amount), top: max(amount))",
  ],
  [orders.build.get(K1), `orders.get("${K1}")`],
  [orders.range(K1, K2).limit(100).toQuery(), `orders.range("${K1}", "${K2}").limit(100)`],
  [orders.range(undefined, K2).toQuery(), `orders.range(null, "${K2}")`],
  [
    orders.filter(where("status").eq("open")).orderBy("created", "desc").limit(10).build.explain(),
    'explain orders.filter(status = "open").orderBy(created desc).limit(10)',
  ],
  [
    orders.build.explain(orders.filter({ status: "x" }).build.delete()),
    'explain orders.filter(status = "x").delete()',
  ],
  [
    orders.build.insert({ status: "open", amount: 12.5, tags: ["new"] } as unknown as Order),
    'orders.insert({"status": "open", "amount": 12.5, "tags": ["new"]})',
  ],
  [
    orders.filter({ status: "open", created: { lt: new Date("2026-01-01T00:00:00Z") } }).build.update({
      set: { status: "stale" },
    }),
    'orders.filter(status = "open" and created < date("2026-01-01")).set({"status": "stale"})',
  ],
  [
    orders.filter({ status: "stale" }).build.update({ unset: ["note"] }),
    'orders.filter(status = "stale").unset(note)',
  ],
  [
    orders.filter(where("key").eq(K1)).build.update({ inc: { views: 1 } }),
    `orders.filter(key = "${K1}").inc({"views": 1})`,
  ],
  [orders.build.replace(K1, { status: "paid" } as Order), `orders.replace("${K1}", {"status": "paid"})`],
  [orders.filter({ status: "cancelled" }).build.delete(), 'orders.filter(status = "cancelled").delete()'],
  [orders.build.delete(K1), `orders.delete("${K1}")`],
  [
    orders.filter(
      where("a" as "status").eq("1").and(where("b" as "status").eq("2")).and(where("c" as "status").eq("3")),
    )
      .toQuery(),
    'orders.filter(a = "1" and b = "2" and c = "3")',
  ],
  [
    orders.filter(
      where("a" as "status").eq("1").and(where("b" as "status").eq("2").and(where("c" as "status").eq("3"))),
    )
      .toQuery(),
    'orders.filter(a = "1" and (b = "2" and c = "3"))',
  ],
  [
    orders.filter(
      where("a" as "status").eq("1").and(where("b" as "status").eq("2")).or(where("c" as "status").eq("3")),
    )
      .toQuery(),
    'orders.filter(a = "1" and b = "2" or c = "3")',
  ],
  [
    orders.filter(where("views").exists(false).or(where("tags").startsWith("x"))).toQuery(),
    'orders.filter(views exists false or tags startsWith "x")',
  ],
  [orders.filter(where("amount").nin([1, 2]).not()).toQuery(), "orders.filter(not amount not in [1, 2])"],
  [
    orders.filter(where("amount").gt(9007199254740993n)).toQuery(),
    "orders.filter(amount > 9007199254740993)",
  ],
];

Deno.test("StoreQuery documents deep-equal what PQL compiles for the same question", () => {
  for (const [built, pql] of PARITY) deepStrictEqual(built, parsePql(pql), pql);
});

Deno.test("StoreQuery documents pass validateQuery unchanged", () => {
  for (const [built, pql] of PARITY) deepStrictEqual(validateQuery(built), built, pql);
});

Deno.test("StoreQuery.filter joins repeated filters into one flat and and ignores empty shorthand", () => {
  const a = where("a").eq(1);
  const b = where("b").gte(2);
  const c = where("c").lt(3);
  deepStrictEqual(from("s").filter(a).toQuery().filter, { field: "a", op: "eq", value: 1 });
  deepStrictEqual(from("s").filter(a).filter(b).filter(c).toQuery().filter, {
    and: [a.toFilter(), b.toFilter(), c.toFilter()],
  });
  deepStrictEqual(from("s").filter(a.and(b)).filter(c).toQuery().filter, {
    and: [{ and: [a.toFilter(), b.toFilter()] }, c.toFilter()],
  });
  deepStrictEqual(from("s").filter({}).toQuery(), { op: "find", store: "s" });
  deepStrictEqual(
    from("s").filter({ a: 1, b: { gte: 2 } }).toQuery().filter,
    where("a").eq(1).and(where("b").gte(2)).toFilter(),
  );
});

Deno.test("and, or and not build canonical filters", () => {
  const a = where("a").eq(1);
  const b = where("b").eq(2);
  deepStrictEqual(and(a).toFilter(), a.toFilter());
  deepStrictEqual(and(a, b).toFilter(), { and: [a.toFilter(), b.toFilter()] });
  deepStrictEqual(or(a, b).or(a).toFilter(), { or: [{ or: [a.toFilter(), b.toFilter()] }, a.toFilter()] });
  deepStrictEqual(not(a).toFilter(), { not: a.toFilter() });
  deepStrictEqual(min("x"), { fn: "min", field: "x" });
});

Deno.test("StoreQuery is immutable: each call returns a new query", () => {
  const base = from("s").limit(5);
  const narrowed = base.filter({ a: 1 }).limit(1);
  deepStrictEqual(base.toQuery(), { op: "find", store: "s", limit: 5 });
  deepStrictEqual(narrowed.toQuery(), {
    op: "find",
    store: "s",
    filter: { field: "a", op: "eq", value: 1 },
    limit: 1,
  });
});

/** A transport that records documents and answers from a table. */
class RecordingTransport implements Transport {
  readonly sent: QueryDocument[] = [];
  run(query: QueryDocument): Promise<unknown> {
    this.sent.push(query);
    switch (query.op) {
      case "find":
        return Promise.resolve([{ key: K1, status: "open" }]);
      case "count":
        return Promise.resolve({ count: 7 });
      case "get":
        return Promise.resolve(null);
      case "insert":
        return Promise.resolve({ inserted: [K1] });
      default:
        return Promise.resolve({ ok: query.op });
    }
  }
}

Deno.test("StoreQuery terminal calls run their document through the transport", async () => {
  const transport = new RecordingTransport();
  const q = from<Order>("orders", transport).filter({ status: "open" });
  deepStrictEqual(await q.find(), [{ key: K1, status: "open" }]);
  deepStrictEqual(await q.first(), { key: K1, status: "open" });
  strictEqual(await q.count(), 7);
  strictEqual(await q.get(K1), null);
  deepStrictEqual(await q.insert({ status: "x" } as Order), { inserted: [K1] });
  deepStrictEqual(await q.update({ set: { status: "y" } }), { ok: "update" });
  deepStrictEqual(await q.delete(), { ok: "delete" });
  deepStrictEqual(await q.replace(K1, { status: "z" } as Order), { ok: "replace" });
  deepStrictEqual(await q.groupBy("status").aggregate({ n: count() }), { ok: "aggregate" });
  deepStrictEqual(await q.explain(), { ok: "explain" });
  deepStrictEqual(transport.sent.map((d) => d.op), [
    "find",
    "find",
    "count",
    "get",
    "insert",
    "update",
    "delete",
    "replace",
    "aggregate",
    "explain",
  ]);
  deepStrictEqual(transport.sent[1], { ...q.toQuery(), limit: 1 });
});

Deno.test("StoreQuery without a transport rejects terminal calls but builds documents", async () => {
  await rejects(() => from("s").find(), TypeError);
  ok(from("s").toQuery());
});

Deno.test("builder imports nothing server-side: only protocol/query_document.ts and its own files", async () => {
  for await (const entry of Deno.readDir(new URL("../../builder/", import.meta.url))) {
    const text = await Deno.readTextFile(new URL(`../../builder/${entry.name}`, import.meta.url));
    for (const match of text.matchAll(/^(?:import|export)[^;]*?from\s+"([^"]+)"/gms)) {
      const target = match[1];
      const allowed = target.startsWith("./") ||
        target === "../protocol/query_document.ts"; // the shared contract (in the guest library too)
      ok(allowed, `${entry.name} imports "${target}"`);
    }
  }
});
