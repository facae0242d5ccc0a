/**
 * __NAME__: one service, several stores (the monolith style). Each domain has its model
 * (models.ts), its HTML fragments (views/) and its routes here; every action answers with the
 * fragment htmx swaps in. Build with `planck build`, or run `planck dev` and edit away.
 */
import { createApp, html, HttpError, type Row } from "planck";
import { Order, ORDER_STATUSES, Product } from "./models.ts";
import { layout } from "./views/layout.ts";
import { orderItem, orderList } from "./views/orders.ts";
import { productForm, productItem, productList } from "./views/products.ts";

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

async function ordersWithNames(): Promise<{ order: Row<Order>; productName: string }[]> {
  const orders = await Order.store().orderBy("created", "desc").limit(LIST_LIMIT).find();
  const names = new Map<string, string>();
  for (const order of orders) {
    if (!names.has(order.product)) {
      names.set(order.product, (await Product.store().get(order.product))?.name ?? "(removed)");
    }
  }
  return orders.map((order) => ({ order, productName: names.get(order.product)! }));
}

app.get("/", async (c) =>
  c.html(layout(
    "__TITLE__",
    html`<section><h2>Products</h2>
  ${productList(await Product.store().limit(LIST_LIMIT).find())}
  ${productForm()}
</section>
<section><h2>Orders</h2>${orderList(await ordersWithNames())}</section>`,
  )));

// --- catalog ---------------------------------------------------------------------------------

app.get("/products", async (c) => c.html(productList(await Product.store().limit(LIST_LIMIT).find())));

app.post("/products", async (c) => {
  const product = Product.parse(c.req.form());
  const { inserted } = await Product.store().insert(product);
  return c.html(productItem({ ...product, key: inserted[0] }), 201);
});

// --- orders ----------------------------------------------------------------------------------

app.get("/orders", async (c) => c.html(orderList(await ordersWithNames())));

app.post("/orders", async (c) => {
  const order = Order.parse(c.req.form());
  const product = await requireProduct(order.product);
  if (product.stock < order.quantity) throw new HttpError(409, `"${product.name}" is out of stock`);
  await Product.store().replace(product.key, { ...product, stock: product.stock - order.quantity });
  const { inserted } = await Order.store().insert(order);
  return c.html(orderItem({ ...order, key: inserted[0] }, product.name), 201);
});

app.post("/orders/:key/status", async (c) => {
  const status = c.req.form().status;
  if (!(ORDER_STATUSES as readonly string[]).includes(status)) {
    throw new HttpError(400, `status must be one of ${ORDER_STATUSES.join(", ")}`);
  }
  const order = await requireOrder(c.req.param("key"));
  const { key, ...fields } = order;
  const changed = { ...fields, status: status as Order["status"] };
  await Order.store().replace(key, changed);
  const product = await Product.store().get(order.product);
  return c.html(orderItem({ ...changed, key }, product?.name ?? "(removed)"));
});

export default app;
