/**
 * The billing system (scs style): its own instance, store, routes and HTML fragments. Its page
 * includes the orders system's `/orders/billable` fragment (htmx, from the other instance); a
 * "bill" button there posts here, and the invoice fragment answered tells orders, from the
 * browser, that the order is billed. Paying an invoice uses Datastar: the button's `@post` gets
 * a `datastar-merge-fragments` event that replaces the invoice.
 */
import { createApp, type Html, html, HttpError, type Row } from "planck";
import { Invoice } from "./models.ts";
import { ORDERS_URL } from "./systems.ts";

const LIST_LIMIT = 50;
const KEY = /^[0-9a-f]{32}$/;

const app = createApp();

app.use(async (c, next) => {
  const cors: [string, string][] = [
    ["access-control-allow-origin", ORDERS_URL],
    ["access-control-allow-headers", "hx-request, hx-current-url, hx-target, hx-trigger, content-type"],
    ["access-control-allow-methods", "GET, POST"],
  ];
  if (c.req.method === "OPTIONS") return { status: 204, headers: cors, body: null };
  const reply = await next();
  return { ...reply, headers: [...reply.headers, ...cors] };
});

function invoiceItem(invoice: Row<Invoice>): Html {
  const pay = invoice.paid
    ? html`<span class="status">paid</span>`
    : html`<button data-on-click="@post('/invoices/${invoice.key}/paid')">mark paid</button>`;
  return html`<li id="invoice-${invoice.key}">${invoice.title} ${invoice.amount.toFixed(2)} ${pay}</li>`;
}

app.get("/", async (c) => {
  const invoices = await Invoice.store().orderBy("created", "desc").limit(LIST_LIMIT).find();
  return c.html(html`
    <!doctype html>
    <html>
      <head>
        <meta charset="utf-8">
        <title>Billing</title>
        <link rel="stylesheet" href="/static/app.css">
        <script src="/_planck/assets/htmx.min.js"></script>
        <script type="module" src="/_planck/assets/datastar.js"></script>
        <script src="/_planck/assets/dev-reload.js" defer></script>
      </head>
      <body>
        <h1>Billing</h1> <a href="${ORDERS_URL}/">← orders</a>
        <h2>To bill</h2>
        <div hx-get="${ORDERS_URL}/orders/billable" hx-trigger="load">loading the orders system…</div>
        <h2>Invoices</h2>
        <ul id="invoices">${invoices.map(invoiceItem)}</ul>
      </body>
    </html>
  `);
});

/** Bills an order (posted by the orders system's fragment). */
app.post("/invoices", async (c) => {
  const invoice = Invoice.parse(c.req.form());
  const { inserted } = await Invoice.store().insert(invoice);
  const tell = html`
    <span hx-post="${ORDERS_URL}/orders/${invoice.order}/billed" hx-trigger="load"
      hx-target="#billable-${invoice.order}" hx-swap="delete"></span>
  `;
  return c.html(html`${invoiceItem({ ...invoice, key: inserted[0] })}${tell}`, 201);
});

/** Marks an invoice paid; answers Datastar's event stream with the new fragment. */
app.post("/invoices/:key/paid", async (c) => {
  const key = c.req.param("key");
  const invoice = KEY.test(key) ? await Invoice.store().get(key) : null;
  if (invoice === null) throw new HttpError(404, `No invoice "${key}"`);
  const { key: _, ...fields } = invoice;
  await Invoice.store().replace(key, { ...fields, paid: true });
  const fragment = invoiceItem({ ...fields, paid: true, key }).toString().replaceAll("\n", " ");
  return await c.stream(
    (out) => out.write(`event: datastar-merge-fragments\ndata: fragments ${fragment}\n\n`),
    "text/event-stream",
  );
});

export default app;
