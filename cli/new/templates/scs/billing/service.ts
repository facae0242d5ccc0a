/**
 * The billing system (scs style): its own instance, store, routes and HTML fragments. Its
 * invoices come from the orders system's change stream (follow_orders.ts, run by feeds.ts), one
 * per order, under the order's key; paying one here is what the orders system follows back.
 * Paying uses Datastar: the button's `@post` gets a `datastar-merge-fragments` event that
 * replaces the invoice.
 */
import { createApp, type Html, html, HttpError, type Row } from "planck";
import { Invoice } from "./models.ts";
import { ORDERS_URL } from "./systems.ts";

const LIST_LIMIT = 50;
const KEY = /^[0-9a-f]{32}$/;

const app = createApp();

function invoiceItem(invoice: Row<Invoice>): Html {
  const pay = invoice.paid
    ? html`<span class="status">paid</span>`
    : html`<button data-on-click="@post('/invoices/${invoice.key}/paid')">mark paid</button>`;
  return html`<li id="invoice-${invoice.key}">${invoice.title} ${invoice.amount.toFixed(2)} ${pay}</li>`;
}

function invoiceList(invoices: Row<Invoice>[]): Html {
  return html`<ul id="invoices">${invoices.map(invoiceItem)}</ul>`;
}

const latest = () => Invoice.store().orderBy("created", "desc").limit(LIST_LIMIT).find();

app.get("/", async (c) => {
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
        <h2>Invoices</h2>
        <div hx-get="/invoices" hx-trigger="every 2s" hx-target="#invoices" hx-swap="outerHTML"></div>
        ${invoiceList(await latest())}
      </body>
    </html>
  `);
});

/** The list fragment (the page refreshes it, so invoices made from orders' stream show up). */
app.get("/invoices", async (c) => c.html(invoiceList(await latest())));

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
