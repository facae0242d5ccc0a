/**
 * The orders example: an HTMX app (list, create, change status — each action answers with an
 * HTML fragment), a live list (the topic "orders": every window sees orders appear and change
 * status over Server-Sent Events, without polling) and a JSON API over the same store. Build with
 * `planck build examples/orders`.
 */
import {
  createApp,
  currentLsn,
  type Html,
  html,
  HttpError,
  raw,
  type Row,
  schema,
  store,
  where,
} from "../../mod.ts";

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

/** One order as a list item; `oob` marks it as an out-of-band swap replacing the item of that id. */
function orderItem(order: Row<Order>, oob = false): Html {
  const next = STATUSES[(STATUSES.indexOf(order.status) + 1) % STATUSES.length];
  return html`
    <li id="order-${order.key}" ${oob ? raw('hx-swap-oob="true"') : ""}>
      <span>${order.title}</span> <span>${order.amount.toFixed(2)}</span>
      <span class="status">${order.status}</span>
      <button hx-post="/orders/${order.key}/status" hx-vals='{"status":"${next}"}'
        hx-target="#order-${order.key}" hx-swap="outerHTML">mark ${next}</button>
    </li>
  `;
}

// --- Live list (SSE topic) ------------------------------------------------------------------

/**
 * The topic "orders" (`GET /events?topic=orders`): each write to the store becomes an htmx SSE
 * event named "orders". A new order is the event's main content, prepended to the list by the
 * `sse-swap` element; a changed one replaces its `<li>` out of band; a deleted one is removed.
 */
app.topic("orders", {
  store: "orders",
  render: (event) => {
    if (event.op === "delete") return html`<li id="order-${event.key}" hx-swap-oob="delete"></li>`;
    return orderItem({ ...(event.doc as unknown as Order), key: event.key }, event.op !== "insert");
  },
});

function orderList(orders: Row<Order>[]): Html {
  return html`<ul id="orders">${orders.map((order) => orderItem(order))}</ul>`;
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

app.get("/", async (c) => {
  // Asked before the list is read: the stream continues right after what the page shows.
  const lsn = currentLsn();
  const orders = await listOrders(c.req.query("status"));
  return c.html(html`
    <!doctype html>
    <html>
      <head>
        <meta charset="utf-8">
        <title>Orders</title>
        <link rel="stylesheet" href="/static/app.css">
        <script src="/_planck/assets/htmx.min.js"></script>
        <script src="/_planck/assets/htmx-ext-sse.min.js"></script>
      </head>
      <body>
        <h1>Orders</h1>
        <form hx-post="/orders" hx-swap="none" hx-on::after-request="this.reset()">
          <input name="title" placeholder="What" required>
          <input name="amount" type="number" step="0.01" value="0">
          <button>Add</button>
        </form>
        <div hx-ext="sse" sse-connect="/events?topic=orders&amp;lastEventId=${lsn}">
          <ul id="orders" sse-swap="orders" hx-swap="afterbegin">${orders.map((order) =>
            orderItem(order)
          )}</ul>
          <span hidden sse-swap="resume_point_lost" hx-swap="none" hx-on::sse-message="location.reload()"></span>
        </div>
      </body>
    </html>
  `);
});

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
