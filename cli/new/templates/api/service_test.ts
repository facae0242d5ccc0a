/**
 * The service in a real Planck started in this process (planck/testing.ts): built as
 * `planck build` builds it, deployed, and driven over HTTP. Run with `deno task test`.
 */
import { startService } from "planck/testing.ts";
import app from "./service.ts";
import { OPENAPI } from "./openapi.ts";

const DIR = new URL(".", import.meta.url).pathname;

function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

const post = (body: unknown): RequestInit => ({ method: "POST", body: JSON.stringify(body) });

Deno.test("products and orders over JSON, one error document", async () => {
  await using service = await startService(DIR);
  const added = await fetch(service.url("/api/products"), post({ name: "Tea", price: 3.5, stock: 1 }));
  const product = await added.json();
  check(added.status === 201 && /^[0-9a-f]{32}$/.test(product.key), JSON.stringify(product));

  const placed = await fetch(service.url("/api/orders"), post({ product: product.key }));
  const order = await placed.json();
  check(placed.status === 201 && order.quantity === 1 && order.status === "open", JSON.stringify(order));

  const soldOut = await fetch(service.url("/api/orders"), post({ product: product.key }));
  check(soldOut.status === 409 && (await soldOut.json()).error === "conflict", "out of stock");

  const paid = await fetch(service.url(`/api/orders/${order.key}`), {
    method: "PATCH",
    body: JSON.stringify({ status: "paid" }),
  });
  check((await paid.json()).status === "paid", "status change");
  const open = await (await fetch(service.url("/api/orders?status=open"))).json();
  check(open.length === 0, JSON.stringify(open));

  for (
    const [init, expected] of [
      [{ method: "POST", body: "{not json" }, "invalid_argument"],
      [post({ name: "", price: -1 }), "invalid_argument"],
    ] as const
  ) {
    const bad = await fetch(service.url("/api/products"), init);
    const problem = await bad.json();
    check(bad.status === 400 && problem.error === expected && typeof problem.message === "string", "shape");
  }
  const invalid = await (await fetch(service.url("/api/products"), post({ name: "", price: -1 }))).json();
  check(
    invalid.issues.map((i: { field: string }) => i.field).join() === "name,price",
    JSON.stringify(invalid),
  );
  const missing = await fetch(service.url(`/api/orders/${"0".repeat(32)}`));
  check(missing.status === 404 && (await missing.json()).error === "not_found", "missing key");
});

Deno.test("openapi.json describes every route", () => {
  const described = new Set<string>();
  for (const [path, methods] of Object.entries(OPENAPI.paths)) {
    for (const method of Object.keys(methods)) {
      described.add(`${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ":$1")}`);
    }
  }
  for (const route of app.describe().routes) {
    check(described.has(`${route.method} ${route.path}`), `${route.method} ${route.path} is not described`);
  }
});
