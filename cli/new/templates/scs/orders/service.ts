/**
 * The orders system (scs style): its own instance, store, routes and HTML fragments (htmx). It
 * offers `/orders/billable` to other systems — the open orders, each with a button that bills it
 * at the billing system — and answers cross-origin requests from billing's page.
 */
import { createApp, type Html, html, HttpError, type Row } from "planck";
import { Order } from "./models.ts";
import { BILLING_URL } from "./systems.ts";

const LIST_LIMIT = 50;
const KEY = /^[0-9a-f]{32}$/;

const app = createApp();
app.index("orders_by_status", "orders", ["status"]);

// Billing's page (another origin) loads fragments from here with htmx: allow it, and answer the
// preflight of htmx's HX-* headers.
app.use(async (c, next) => {
  const cors: [string, string][] = [
    ["access-control-allow-origin", BILLING_URL],
    ["access-control-allow-headers", "hx-request, hx-current-url, hx-target, hx-trigger, content-type"],
    ["access-control-allow-methods", "GET, POST"],
  ];
  if (c.req.method === "OPTIONS") return { status: 204, headers: cors, body: null };
  const reply = await next();
  return { ...reply, headers: [...reply.headers, ...cors] };
});

function orderItem(order: Row<Order>): Html {
  return html`<li id="order-${order.key}">
  <span>${order.title}</span> <span>${
    order.amount.toFixed(2)
  }</span> <span class="status">${order.status}</span>
</li>`;
}

function billableItem(order: Row<Order>): Html {
  return html`<li id="billable-${order.key}">${order.title} (${order.amount.toFixed(2)})
  <button hx-post="${BILLING_URL}/invoices" hx-target="#invoices" hx-swap="afterbegin"
    hx-vals='${JSON.stringify({ order: order.key, title: order.title, amount: order.amount })}'>bill</button>
</li>`;
}

app.get("/", async (c) => {
  const orders = await Order.store().orderBy("created", "desc").limit(LIST_LIMIT).find();
  return c.html(html`
    <!doctype html>
    <html>
      <head>
        <meta charset="utf-8">
        <title>Orders</title>
        <link rel="stylesheet" href="/static/app.css">
        <script src="/_planck/assets/htmx.min.js"></script>
        <script src="/_planck/assets/dev-reload.js" defer></script>
      </head>
      <body>
        <h1>Orders</h1> <a href="${BILLING_URL}/">billing →</a>
        <form hx-post="/orders" hx-target="#orders" hx-swap="afterbegin" hx-on::after-request="this.reset()">
          <input name="title" placeholder="What" required> <input name="amount" type="number" step="0.01" value="1">
          <button>Add</button>
        </form>
        <ul id="orders">${orders.map(orderItem)}</ul>
      </body>
    </html>
  `);
});

app.post("/orders", async (c) => {
  const order = Order.parse(c.req.form());
  const { inserted } = await Order.store().insert(order);
  return c.html(orderItem({ ...order, key: inserted[0] }), 201);
});

/** For other systems: the open orders, each with its "bill" button. */
app.get("/orders/billable", async (c) => {
  const open = await Order.store().filter({ status: "open" }).limit(LIST_LIMIT).find();
  return c.html(html`<ul id="billable">${open.map(billableItem)}</ul>`);
});

/** Billing tells orders that an order was billed (the button's second request). */
app.post("/orders/:key/billed", async (c) => {
  const key = c.req.param("key");
  const order = KEY.test(key) ? await Order.store().get(key) : null;
  if (order === null) throw new HttpError(404, `No order "${key}"`);
  const { key: _, ...fields } = order;
  await Order.store().replace(key, { ...fields, status: "billed" });
  return c.html(html``, 200);
});

export default app;
