/**
 * The orders system (scs style): its own instance, store, routes and HTML fragments (htmx).
 * Placing an order is all it does; the billing system follows its change stream and invoices
 * each order, and orders follows billing's to show "invoiced" and "paid" (feeds.ts at the project
 * root runs both followers). The two share no store and no domain code; their pages link by URL.
 */
import { createApp, type Html, html } from "planck";
import type { Row } from "planck";
import { Order } from "./models.ts";
import { BILLING_URL } from "./systems.ts";

const LIST_LIMIT = 50;

const app = createApp();
app.index("orders_by_status", "orders", ["status"]);

function orderItem(order: Row<Order>): Html {
  return html`<li id="order-${order.key}">
  <span>${order.title}</span> <span>${
    order.amount.toFixed(2)
  }</span> <span class="status">${order.status}</span>
</li>`;
}

function orderList(orders: Row<Order>[]): Html {
  return html`<ul id="orders" hx-get="/orders" hx-trigger="every 2s" hx-swap="outerHTML">${
    orders.map(orderItem)
  }</ul>`;
}

const latest = () => Order.store().orderBy("created", "desc").limit(LIST_LIMIT).find();

app.get("/", async (c) => {
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
        ${orderList(await latest())}
      </body>
    </html>
  `);
});

/** The list fragment (the page refreshes it, so statuses set by billing's stream show up). */
app.get("/orders", async (c) => c.html(orderList(await latest())));

app.post("/orders", async (c) => {
  const order = Order.parse(c.req.form());
  const { inserted } = await Order.store().insert(order);
  return c.html(orderItem({ ...order, key: inserted[0] }), 201);
});

export default app;
