/**
 * Both systems, each built, deployed to its own real Planck started in this process
 * (planck/testing.ts), and driven over HTTP the way the browser does: billing's page includes
 * orders' fragment, its "bill" button posts to billing, and billing's answer tells orders.
 * Run with `deno task test`.
 */
import { startService } from "planck/testing.ts";
import { BILLING_URL, ORDERS_URL } from "./orders/systems.ts";

const ROOT = new URL(".", import.meta.url).pathname;

function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

const form = (fields: Record<string, string>): RequestInit => ({
  method: "POST",
  body: new URLSearchParams(fields).toString(),
  headers: { "content-type": "application/x-www-form-urlencoded" },
});

Deno.test("orders and billing cooperate through the browser's requests", async () => {
  await using orders = await startService(`${ROOT}orders`);
  await using billing = await startService(`${ROOT}billing`);

  const created = await fetch(orders.url("/orders"), form({ title: "Tea <green>", amount: "3.5" }));
  check(created.status === 201 && (await created.text()).includes("Tea &lt;green&gt;"), "order");

  const page = await (await fetch(billing.url("/"))).text();
  check(page.includes(`hx-get="${ORDERS_URL}/orders/billable"`), page);
  check(page.includes("/_planck/assets/datastar.js") && page.includes("/_planck/assets/htmx.min.js"), page);

  const preflight = await fetch(orders.url("/orders/billable"), { method: "OPTIONS" });
  check(preflight.status === 204, `preflight ${preflight.status}`);
  await preflight.body?.cancel();
  const billable = await fetch(orders.url("/orders/billable"), { headers: { "hx-request": "true" } });
  check(billable.headers.get("access-control-allow-origin") === BILLING_URL, "CORS for billing");
  const fragment = await billable.text();
  check(fragment.includes(`hx-post="${BILLING_URL}/invoices"`), fragment);
  const vals = /hx-vals='([^']*)'/.exec(fragment)![1].replaceAll("&quot;", '"').replaceAll("&lt;", "<")
    .replaceAll("&gt;", ">").replaceAll("&amp;", "&");
  const fields = JSON.parse(vals) as { order: string; title: string; amount: number };

  const billed = await fetch(billing.url("/invoices"), form({ ...fields, amount: String(fields.amount) }));
  const invoice = await billed.text();
  check(billed.status === 201 && invoice.includes("mark paid"), invoice);
  check(invoice.includes(`hx-post="${ORDERS_URL}/orders/${fields.order}/billed"`), invoice);
  const told = await fetch(orders.url(`/orders/${fields.order}/billed`), { method: "POST" });
  check(told.status === 200, `billed ${told.status}`);
  await told.body?.cancel();
  check(
    !(await (await fetch(orders.url("/orders/billable"))).text()).includes("<li"),
    "nothing left to bill",
  );

  const key = /invoice-([0-9a-f]{32})/.exec(invoice)![1];
  const paid = await fetch(billing.url(`/invoices/${key}/paid`), { method: "POST" });
  const event = await paid.text();
  check(paid.headers.get("content-type")!.startsWith("text/event-stream"), "Datastar event stream");
  check(
    event.startsWith("event: datastar-merge-fragments\ndata: fragments <li") && event.includes("paid"),
    event,
  );

  const bad = await fetch(billing.url("/invoices"), form({ order: "x", title: "", amount: "-1" }));
  const problem = await bad.json();
  check(bad.status === 400 && problem.issues.length === 3, JSON.stringify(problem));
});
