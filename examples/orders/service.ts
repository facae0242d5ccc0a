/**
 * The orders example: an HTMX app (list, create, change status — each action answers with an
 * HTML fragment) and a JSON API over the same store. Build with `planck build examples/orders`.
 */
import { createApp, type Html, html, HttpError, type Row, schema, store, where } from "../../mod.ts";

/** One order as stored. */
export interface Order {
  title: string;
  amount: number;
  status: "open" | "paid" | "shipped";
  created: Date;
}

const STATUSES = ["open", "paid", "shipped"] as const;
const LIST_LIMIT = 20;

const newOrder = schema.object({
  title: schema.string({ min: 1, max: 200 }),
  amount: schema.number({ min: 0 }),
});
const statusChange = schema.object({ status: schema.oneOf(STATUSES) });

const app = createApp();
app.index("orders_by_status", "orders", ["status"]);

function orderItem(order: Row<Order>): Html {
  const next = STATUSES[(STATUSES.indexOf(order.status) + 1) % STATUSES.length];
  return html`<li id="order-${order.key}">
  <span>${order.title}</span> <span>${order.amount.toFixed(2)}</span>
  <span class="status">${order.status}</span>
  <button hx-post="/orders/${order.key}/status" hx-vals='{"status":"${next}"}'
    hx-target="#order-${order.key}" hx-swap="outerHTML">mark ${next}</button>
</li>`;
}

function orderList(orders: Row<Order>[]): Html {
  return html`<ul id="orders">${orders.map(orderItem)}</ul>`;
}

async function listOrders(status: string | undefined): Promise<Row<Order>[]> {
  const orders = store<Order>("orders");
  if (status !== undefined && (STATUSES as readonly string[]).includes(status)) {
    return await orders.filter(where("status").eq(status as Order["status"])).limit(LIST_LIMIT).find();
  }
  return await orders.orderBy("created", "desc").limit(LIST_LIMIT).find();
}

async function requireOrder(key: string): Promise<Row<Order>> {
  const order = /^[0-9a-f]{32}$/.test(key) ? await store<Order>("orders").get(key) : null;
  if (order === null) throw new HttpError(404, `No order "${key}"`);
  return order;
}

async function setStatus(order: Row<Order>, status: Order["status"]): Promise<void> {
  const { key, ...fields } = order;
  await store<Order>("orders").replace(key, { ...fields, status });
}

// --- HTML (HTMX) ---------------------------------------------------------------------------

app.get("/", async (c) =>
  c.html(html`
    <!doctype html>
    <html>
      <head>
        <meta charset="utf-8">
        <title>Orders</title>
        <link rel="stylesheet" href="/static/app.css">
        <script src="/_planck/assets/htmx.min.js"></script>
      </head>
      <body><h1>Orders</h1>
    <form hx-post="/orders" hx-target="#orders" hx-swap="afterbegin" hx-on::after-request="this.reset()">
      <input name="title" placeholder="What" required> <input name="amount" type="number" step="0.01" value="0">
      <button>Add</button>
    </form>
    ${orderList(await listOrders(c.req.query("status")))}
      </body>
    </html>
  `));

app.get("/orders", async (c) => c.html(orderList(await listOrders(c.req.query("status")))));

app.get("/orders/:key", async (c) => c.html(orderItem(await requireOrder(c.req.param("key")))));

app.post("/orders", async (c) => {
  const input = c.valid(newOrder, "form");
  const order: Order = { ...input, status: "open", created: new Date() };
  const { inserted } = await store<Order>("orders").insert(order);
  return c.html(orderItem({ ...order, key: inserted[0] }), 201);
});

app.post("/orders/:key/status", async (c) => {
  const { status } = c.valid(statusChange, "form");
  const order = await requireOrder(c.req.param("key"));
  await setStatus(order, status);
  return c.html(orderItem({ ...order, status }));
});

// --- JSON API ------------------------------------------------------------------------------

app.get("/api/orders", async (c) => c.json(await listOrders(c.req.query("status"))));

app.get("/api/orders/:key", async (c) => c.json(await requireOrder(c.req.param("key"))));

app.post("/api/orders", async (c) => {
  const input = c.valid(newOrder);
  const { inserted } = await store<Order>("orders").insert({ ...input, status: "open", created: new Date() });
  return c.json({ key: inserted[0] }, 201);
});

app.patch("/api/orders/:key", async (c) => {
  const { status } = c.valid(statusChange);
  const key = c.req.param("key");
  await setStatus(await requireOrder(key), status);
  return c.json({ key, status });
});

app.delete("/api/orders/:key", async (c) => {
  const { deleted } = await store<Order>("orders").delete(c.req.param("key"));
  if (deleted === 0) throw new HttpError(404, `No order "${c.req.param("key")}"`);
  return c.body(new Uint8Array(), "text/plain", 204);
});

export default app;
