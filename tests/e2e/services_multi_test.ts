/**
 * Several services in one instance, over real sockets: a monolith-style service (one service,
 * several stores) beside per-context services under their own prefixes, each seeing only its own
 * stores; a colliding deploy is refused naming both services; per-route metrics at the
 * authenticated admin endpoint and in the `stats` op (what `planck status` prints).
 */
import { assert, assertEquals, assertRejectsCode } from "../_util/assert.ts";
import { connect, parseConnectionString } from "../../client/mod.ts";
import { defaultConfig } from "../../host/config.ts";
import { startServer } from "../../host/server/server.ts";
import { buildService } from "../../host/wasm/build.ts";

const SHOP = `import { createApp, store } from "planck";
const app = createApp();
app.post("/customers", async (c) => {
  const { inserted } = await store("customers").insert({ name: c.req.json().name });
  return c.json({ key: inserted[0] }, 201);
});
app.post("/orders", async (c) => {
  const body = c.req.json();
  const customer = await store("customers").get(body.customer);
  if (customer === null) return c.json({ error: "no such customer" }, 400);
  const { inserted } = await store("orders").insert({ customer: body.customer, total: body.total });
  return c.json({ key: inserted[0], customer: customer.name }, 201);
});
app.get("/orders", async (c) => c.json(await store("orders").find()));
export default app;
`;

const BILLING = `import { createApp, store } from "planck";
const app = createApp();
app.get("/", (c) => c.text("billing home"));
app.post("/invoices", async (c) => c.json(await store("invoices").insert({ total: c.req.json().total }), 201));
app.get("/invoices", async (c) => c.json(await store("invoices").find()));
app.get("/orders", async (c) => c.json(await store("orders").find()));
export default app;
`;

const CLASH = `import { createApp } from "planck";
const app = createApp();
app.get("/orders", (c) => c.text("mine"));
export default app;
`;

async function build(root: string, name: string, source: string, prefix?: string): Promise<Uint8Array> {
  const dir = `${root}/${name}`;
  await Deno.mkdir(dir);
  await Deno.writeTextFile(`${dir}/service.ts`, source);
  await Deno.writeTextFile(`${dir}/planck.json`, JSON.stringify({ name, version: "1.0.0", prefix }));
  return (await buildService(dir)).wasm;
}

function post(url: string, body: unknown): Promise<Response> {
  return fetch(url, {
    method: "POST",
    body: JSON.stringify(body),
    headers: { "content-type": "application/json" },
  });
}

Deno.test("several services per instance: prefixes, own stores, collisions, per-route metrics", async () => {
  const root = await Deno.makeTempDir({ prefix: "planck_multi_" });
  const config = defaultConfig();
  config.dataDir = `${root}/data`;
  config.ports = { wire: 0, http: 0, workbench: 0 };
  const server = await startServer(config, { log: () => {}, signals: false });
  try {
    const admin = (server.adminConnection ?? await Deno.readTextFile(`${config.dataDir}/admin.credentials`))
      .trim();
    const base = `http://127.0.0.1:${server.ports.http}`;
    const client = await connect(admin);
    await client.request("deploy", { wasm: await build(root, "shop", SHOP) });
    await client.request("deploy", { wasm: await build(root, "billing", BILLING, "/billing") });

    // Monolith style: one service, two stores, a request that spans both.
    const customer = await (await post(`${base}/customers`, { name: "Ada" })).json();
    const order = await post(`${base}/orders`, { customer: customer.key, total: 12 });
    assertEquals(order.status, 201);
    assertEquals((await order.json()).customer, "Ada");
    // Per-context style: billing's routes live under its prefix, its "orders" store is its own.
    assertEquals(await (await fetch(`${base}/billing`)).text(), "billing home");
    assertEquals((await post(`${base}/billing/invoices`, { total: 12 })).status, 201);
    assertEquals((await (await fetch(`${base}/billing/invoices`)).json()).length, 1);
    assertEquals(await (await fetch(`${base}/billing/orders`)).json(), []);
    assertEquals((await (await fetch(`${base}/orders`)).json()).length, 1);
    const unknown = await fetch(`${base}/billing/nothing`);
    assertEquals(unknown.status, 404); // answered by billing itself
    await unknown.body?.cancel();

    const clash = await assertRejectsCode(
      () => build(root, "clash", CLASH).then((wasm) => client.request("deploy", { wasm })),
      "conflict",
    );
    assert(clash.message.includes('"clash"') && clash.message.includes('"shop"'), clash.message);
    const nested = await assertRejectsCode(
      () =>
        build(root, "nested", CLASH.replace('"/orders"', '"/x"'), "/billing").then((wasm) =>
          client.request("deploy", { wasm })
        ),
      "conflict",
    );
    assert(nested.message.includes('"billing"'), nested.message);

    // Metrics: refused without credentials or with a non-admin user; per route for an admin.
    const anonymous = await fetch(`${base}/_planck/metrics`);
    assertEquals(anonymous.status, 401);
    await anonymous.body?.cancel();
    const readerKey = await client.users.create("reader", "read_only");
    const reader = await fetch(`${base}/_planck/metrics`, {
      headers: { authorization: `Bearer reader:${readerKey}` },
    });
    assertEquals(reader.status, 403);
    await reader.body?.cancel();
    const { user, key } = parseConnectionString(admin);
    const metrics = await fetch(`${base}/_planck/metrics`, {
      headers: { authorization: `Basic ${btoa(`${user}:${key}`)}` },
    });
    assertEquals(metrics.status, 200);
    const headMetrics = await fetch(`${base}/_planck/metrics`, {
      method: "HEAD",
      headers: { authorization: `Basic ${btoa(`${user}:${key}`)}` },
    });
    assertEquals(
      [headMetrics.status, await headMetrics.text()],
      [200, ""],
      "HEAD is answered as GET, no body",
    );
    const body = await metrics.json() as { routes: { service: string; route: string; count: number }[] };
    const route = (service: string, label: string) =>
      body.routes.find((r) => r.service === service && r.route === label);
    assertEquals(route("shop", "POST /orders")?.count, 1);
    assertEquals(route("billing", "POST /billing/invoices")?.count, 1);
    assertEquals(route("billing", "(unmatched)")?.count, 1);
    const stats = await client.stats() as { server: { services: { routes: unknown[] } } };
    assert(stats.server.services.routes.length >= 5, JSON.stringify(stats.server.services));
    client.close();
  } finally {
    await server.stop();
    await Deno.remove(root, { recursive: true });
  }
});
