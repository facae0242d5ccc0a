/**
 * __NAME__: the shop's domains answering JSON only (the api style). Every error is one document,
 * `{"error", "message", "issues"?}`; the routes are described in openapi.ts, served at
 * `/openapi.json`.
 */
import { createApp, HttpError, type Row } from "planck";
import { Order, ORDER_STATUSES, Product } from "./models.ts";
import { OPENAPI } from "./openapi.ts";

const LIST_LIMIT = 50;
const KEY = /^[0-9a-f]{32}$/;

const app = createApp();
app.index("orders_by_status", "orders", ["status"]);

async function requireProduct(key: string): Promise<Row<Product>> {
  const product = KEY.test(key) ? await Product.store().get(key) : null;
  if (product === null) throw new HttpError(404, `No product "${key}"`);
  return product;
}

async function requireOrder(key: string): Promise<Row<Order>> {
  const order = KEY.test(key) ? await Order.store().get(key) : null;
  if (order === null) throw new HttpError(404, `No order "${key}"`);
  return order;
}

app.get("/openapi.json", (c) => c.json(OPENAPI));

app.get("/api/products", async (c) => c.json(await Product.store().limit(LIST_LIMIT).find()));

app.get("/api/products/:key", async (c) => c.json(await requireProduct(c.req.param("key"))));

app.post("/api/products", async (c) => {
  const product = Product.parse(c.req.json());
  const { inserted } = await Product.store().insert(product);
  return c.json({ ...product, key: inserted[0] }, 201);
});

app.get("/api/orders", async (c) => {
  const status = c.req.query("status");
  const orders = status !== undefined && (ORDER_STATUSES as readonly string[]).includes(status)
    ? Order.store().filter({ status: status as Order["status"] })
    : Order.store().orderBy("created", "desc");
  return c.json(await orders.limit(LIST_LIMIT).find());
});

app.get("/api/orders/:key", async (c) => c.json(await requireOrder(c.req.param("key"))));

app.post("/api/orders", async (c) => {
  const order = Order.parse(c.req.json());
  const product = await requireProduct(order.product);
  if (product.stock < order.quantity) throw new HttpError(409, `"${product.name}" is out of stock`);
  await Product.store().replace(product.key, { ...product, stock: product.stock - order.quantity });
  const { inserted } = await Order.store().insert(order);
  return c.json({ ...order, key: inserted[0] }, 201);
});

app.patch("/api/orders/:key", async (c) => {
  const { key, ...order } = await requireOrder(c.req.param("key"));
  const changed = Order.parse({ ...order, ...(c.req.json() as object) });
  await Order.store().replace(key, changed);
  return c.json({ ...changed, key });
});

export default app;
