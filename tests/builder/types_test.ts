/**
 * Type-level tests of the builder: every `@ts-expect-error` line must be a type error (deno check
 * and deno test fail when it is not), every other line must compile. The checks sit in a function
 * that never runs: they are about types only.
 */
import { deepStrictEqual } from "node:assert/strict";
import { count, from, max, sum, where, whereOf } from "../../builder/mod.ts";

interface Order {
  status: "open" | "closed" | "paid";
  amount: number;
  created: Date;
  tags: string[];
  customer: { country: string; name?: string };
  items: { sku: string; qty: number }[];
  note?: string | null;
  views: bigint;
}

async function _typeChecks(): Promise<void> {
  const orders = from<Order>("orders");
  const w = whereOf<Order>();

  // Valid: fields and values match Order.
  orders.filter(where("status").eq("open").and(where("amount").gte(10)));
  orders.filter(where("amount").gte(10n).or(where("views").lt(5)));
  orders.filter(where("tags").eq("vip").and(where("tags").contains("new")));
  orders.filter(where("customer.country").in(["DE", "FR"]).not());
  orders.filter(where("items.sku").startsWith("a").and(where("items.0.qty").gt(1)));
  orders.filter(where("created").between(new Date(0), new Date()));
  orders.filter(where("key").eq("01926f3c7d2a4b6e8f00112233445566"));
  orders.filter(where("note").eq(null).or(where("note").regex(/^x/i)));
  orders.filter(where("customer.name").exists(false));
  orders.filter({ status: "open", amount: { gte: 10, lt: 100 }, "customer.country": { in: ["DE"] } });
  orders.filter({ created: { between: [new Date(0), new Date()] }, tags: "vip" });
  orders.orderBy("created", "desc").orderBy("customer.country").select("status", "customer.country");
  orders.groupBy("status").build.aggregate({ n: count(), total: sum("amount"), top: max("created") });
  orders.build.update({
    set: { status: "paid", "customer.country": "DE" },
    unset: ["note"],
    inc: { amount: 1 },
  });
  orders.build.insert([{
    status: "open",
    amount: 1,
    created: new Date(),
    tags: [],
    customer: { country: "DE" },
    items: [],
    views: 0n,
  }]);
  w("amount").gte(10);
  w("tags").contains("vip");
  w("status").in(["open", "paid"]);
  from("untyped").filter(where("anything.at.all").gte("x")).orderBy("whatever");

  // Result types follow the chain.
  const selected = await orders.select("status").find();
  const status: "open" | "closed" | "paid" = selected[0].status;
  const key: string = selected[0].key;
  // @ts-expect-error amount was not selected
  selected[0].amount;
  const total: number = await orders.count();
  const rows = await orders.groupBy("status").aggregate({ n: count(), top: max("amount") });
  const n: number = rows[0].n;
  const top: number | null = rows[0].top;
  // @ts-expect-error rows are typed, not any: status is a string union
  const wrongStatus: number = selected[0].status;
  // @ts-expect-error count() is a number
  const wrongCount: string = rows[0].n;

  // Invalid: each line must fail to type-check.
  // @ts-expect-error amount is a number, not a string
  orders.filter(where("amount").gte("x"));
  // @ts-expect-error unknown field
  orders.filter(where("amont").eq(1));
  // @ts-expect-error "opn" is not a status
  orders.filter(where("status").eq("opn"));
  // @ts-expect-error startsWith needs a string field
  orders.filter(where("amount").startsWith("1"));
  // @ts-expect-error one bad predicate in an and-chain
  orders.filter(where("status").eq("open").and(where("amount").lt("5")));
  // @ts-expect-error dates compare with dates, not numbers
  orders.filter(where("created").gt(5));
  // @ts-expect-error typed where: wrong value type
  w("amount").gte("x");
  // @ts-expect-error typed where: unknown field
  w("amont");
  // @ts-expect-error shorthand: wrong value type
  orders.filter({ amount: { gte: "x" } });
  // @ts-expect-error shorthand: unknown field
  orders.filter({ amont: 1 });
  // @ts-expect-error orderBy: unknown field
  orders.orderBy("amont");
  // @ts-expect-error orderBy: bad direction
  orders.orderBy("amount", "up");
  // @ts-expect-error sum of a string field
  orders.build.aggregate({ total: sum("stats") });
  // @ts-expect-error aggregate: sum of a non-numeric field
  await orders.aggregate({ total: sum("status") });
  // @ts-expect-error update: wrong value type
  orders.build.update({ set: { amount: "x" } });
  // @ts-expect-error update: inc on a string field
  orders.build.update({ inc: { status: 1 } });
  // @ts-expect-error insert: missing fields
  orders.build.insert({ status: "open" });
  // @ts-expect-error select: unknown field
  orders.select("nope");

  deepStrictEqual([status, key, total, n, top, wrongStatus, wrongCount].length, 7);
}

Deno.test("builder types: valid chains compile and invalid ones are type errors", () => {
  deepStrictEqual(typeof _typeChecks, "function"); // the checks are compile-time only
});
