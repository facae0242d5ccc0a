import { assert, assertEquals } from "../_util/assert.ts";
import { withTempDatabase } from "../_util/temp_db.ts";
import { count, from, max, sum, where } from "../../builder/mod.ts";
import { local, localTransport } from "../../client/local_transport.ts";

interface Order {
  status: string;
  amount: number;
  customer: { country: string };
}

const k = (n: number): string => n.toString(16).padStart(32, "0");

Deno.test("localTransport runs every builder terminal in process", async () => {
  await withTempDatabase(async (db) => {
    await db.createStore("orders");
    const orders = from<Order>("orders", localTransport(db));
    const { inserted } = await orders.insert([
      { status: "open", amount: 12, customer: { country: "DE" } },
      { status: "paid", amount: 5, customer: { country: "FR" } },
      { status: "open", amount: 30, customer: { country: "FR" } },
    ]);
    assertEquals(inserted.length, 3);
    const open = await orders.filter(where("status").eq("open")).orderBy("amount", "desc").find();
    assertEquals(open.map((o) => o.amount), [30, 12]);
    assertEquals(open[0].key, inserted[2]);
    assertEquals((await orders.orderBy("amount").first())?.amount, 5);
    assertEquals(await orders.filter({ amount: { gte: 10 } }).count(), 2);
    assertEquals(
      await orders.groupBy("status").aggregate({ n: count(), total: sum("amount"), top: max("amount") }),
      [
        { group: { status: "open" }, n: 2, total: 42, top: 30 },
        { group: { status: "paid" }, n: 1, total: 5, top: 5 },
      ],
    );
    assertEquals(
      await orders.filter(where("customer.country").eq("FR")).update({ set: { status: "shipped" } }),
      {
        matched: 2,
        modified: 2,
      },
    );
    assertEquals((await orders.get(inserted[1]))?.status, "shipped");
    assertEquals(
      await orders.replace(inserted[0], { status: "void", amount: 0, customer: { country: "DE" } }),
      {
        matched: 1,
        modified: 1,
      },
    );
    assertEquals(await orders.filter(where("status").eq("void")).delete(), { deleted: 1 });
    assertEquals(await orders.get(inserted[0]), null);
    const plan = await orders.filter(where("key").eq(inserted[1])).explain();
    assertEquals([plan.plan, plan.examinedDocs], ["key_range", 1]);
  });
});

Deno.test("local(db).store binds typed builders to a database", async () => {
  await withTempDatabase(async (db) => {
    await db.createStore("orders");
    const orders = local(db).store<Order>("orders");
    await orders.insert({ key: k(1), status: "open", amount: 1, customer: { country: "DE" } } as Order);
    const rows = await orders.select("amount").find();
    assertEquals(rows, [{ key: k(1), amount: 1 } as unknown as (typeof rows)[number]]);
    assert((await orders.filter(where("amount").gt(5)).first()) === null);
  });
});
