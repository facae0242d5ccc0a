/**
 * Typed models: defaults, ranges, enums and required fields on parse; the field at fault in every
 * issue; writes validated and reads decoded through the TCP client against a real server (a bad
 * write never reaches it; a stored document that no longer fits names its key and field).
 */
import { assert, assertEquals } from "../_util/assert.ts";
import { connect } from "../../client/mod.ts";
import { type Infer, model, schema, ValidationError } from "../../framework/mod.ts";
import { withServer } from "../host/test_server.ts";

function assertThrows(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (error) {
    assert(error instanceof ValidationError, String(error));
    return error;
  }
  throw new Error("did not throw");
}

async function assertRejects(fn: () => Promise<unknown>): Promise<ValidationError> {
  try {
    await fn();
  } catch (error) {
    assert(error instanceof ValidationError, String(error));
    return error;
  }
  throw new Error("did not reject");
}

const Order = model("orders", {
  title: schema.string({ min: 1, max: 20 }),
  amount: schema.number({ min: 0, max: 1000 }),
  status: schema.enum(["open", "paid"]).default("open"),
  quantity: schema.number({ integer: true, min: 1 }).default(1),
  created: schema.date().default(() => new Date(0)),
  note: schema.string().optional(),
});
type Order = Infer<typeof Order>;

Deno.test("model.parse applies defaults, coerces form text and infers the type", () => {
  const order: Order = Order.parse({ title: "Tea", amount: "3.5" });
  assertEquals(order, { title: "Tea", amount: 3.5, status: "open", quantity: 1, created: new Date(0) });
  const status: "open" | "paid" = order.status;
  assertEquals(status, "open");
  assertEquals(
    Order.parse({ title: "Tea", amount: 1, created: "2026-01-02T00:00:00Z" }).created.getUTCDate(),
    2,
  );
});

Deno.test("model.parse names every field at fault", () => {
  const error = assertThrows(
    () => Order.parse({ title: "", amount: 2000, status: "lost", quantity: 1.5, created: "never" }),
  );
  assertEquals(error.issues.map((i) => i.field), ["title", "amount", "status", "quantity", "created"]);
  assertEquals(error.field, "title");
  assertEquals(error.code, "invalid_argument");
  assert(error.message.includes('status must be one of "open", "paid"'), error.message);
  assertEquals(assertThrows(() => Order.parse("x")).field, "(body)");
});

Deno.test("model.store over the TCP client: writes validated, reads decoded", async () => {
  await withServer(async ({ admin }) => {
    const client = await connect(admin);
    try {
      const orders = Order.store(client);
      const { inserted } = await orders.insert({ title: "Tea", amount: 3 } as Order);
      const row = await orders.get(inserted[0]);
      assertEquals(row?.status, "open");
      assert(row?.created instanceof Date);
      const bad = await assertRejects(() => orders.insert({ title: "", amount: -1 } as Order));
      assertEquals(bad.issues.map((i) => i.field), ["title", "amount"]);
      assertEquals(await client.store("orders").count(), 1);
      await client.store("orders").insert({ title: 7, amount: 1 });
      const drift = await assertRejects(() => orders.find());
      assert(/^\(key [0-9a-f]{32}\)\.title$/.test(drift.field), drift.field);
      assertEquals((await orders.filter({ status: "open" }).limit(1).find()).length, 1);
    } finally {
      client.close();
    }
  });
});
