/**
 * The service in a real Planck started in this process (planck/testing.ts): built as
 * `planck build` builds it, deployed, and driven over HTTP. Run with `deno task test`.
 */
import { startService } from "planck/testing.ts";

const DIR = new URL(".", import.meta.url).pathname;

function form(fields: Record<string, string>): RequestInit {
  return {
    method: "POST",
    body: new URLSearchParams(fields).toString(),
    headers: { "content-type": "application/x-www-form-urlencoded" },
  };
}

function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

Deno.test("products and orders: fragments, stock, validation", async () => {
  await using service = await startService(DIR);
  const added = await fetch(
    service.url("/products"),
    form({ name: "Tea <green>", price: "3.5", stock: "1" }),
  );
  const li = await added.text();
  check(added.status === 201, `add product: ${added.status} ${li}`);
  check(li.includes("Tea &lt;green&gt;") && li.includes("1 in stock"), li);
  const product = /product-([0-9a-f]{32})/.exec(li)![1];

  const ordered = await fetch(service.url("/orders"), form({ product }));
  const orderLi = await ordered.text();
  check(ordered.status === 201 && orderLi.includes("1 × Tea"), orderLi);
  const order = /order-([0-9a-f]{32})/.exec(orderLi)![1];

  const soldOut = await fetch(service.url("/orders"), form({ product }));
  check(soldOut.status === 409, `second order: ${soldOut.status}`);
  check((await soldOut.json()).error === "conflict", "error document");

  const paid = await fetch(service.url(`/orders/${order}/status`), form({ status: "paid" }));
  check((await paid.text()).includes('<span class="status">paid</span>'), "status change");

  const bad = await fetch(service.url("/products"), form({ name: "", price: "-1" }));
  const problem = await bad.json();
  check(bad.status === 400, `bad product: ${bad.status}`);
  check(
    problem.issues.map((i: { field: string }) => i.field).join() === "name,price",
    JSON.stringify(problem),
  );

  const page = await fetch(service.url("/"));
  const body = await page.text();
  check(body.includes("/_planck/assets/htmx.min.js") && body.includes("mark shipped"), body);
  const htmx = await fetch(service.url("/_planck/assets/htmx.min.js"));
  check(htmx.status === 200, "htmx is served by Planck");
  await htmx.body?.cancel();
});
