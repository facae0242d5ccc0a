/**
 * Services end to end over real sockets: the orders example is built, deployed to a running
 * server over the wire and driven with real HTTP (HTMX fragments and the JSON API); a redeploy
 * under load is atomic; deployed services come back after a restart; undeploy removes them.
 */
import { assert, assertEquals } from "../_util/assert.ts";
import { connect } from "../../client/mod.ts";
import { defaultConfig } from "../../host/config.ts";
import { startServer } from "../../host/server/server.ts";
import { buildService } from "../../host/wasm/build.ts";

const ORDERS_DIR = new URL("../../examples/orders/", import.meta.url).pathname;

async function withPlanck(
  dataDir: string,
  fn: (base: string, admin: string) => Promise<void>,
): Promise<void> {
  const config = defaultConfig();
  config.dataDir = dataDir;
  config.ports = { wire: 0, http: 0, workbench: 0 };
  const server = await startServer(config, { log: () => {}, signals: false });
  try {
    const admin = server.adminConnection ?? await Deno.readTextFile(`${dataDir}/admin.credentials`);
    await fn(`http://127.0.0.1:${server.ports.http}`, admin.trim());
  } finally {
    await server.stop();
  }
}

function form(fields: Record<string, string>): RequestInit {
  return {
    method: "POST",
    body: new URLSearchParams(fields).toString(),
    headers: { "content-type": "application/x-www-form-urlencoded" },
  };
}

Deno.test("orders example: build, deploy, HTMX fragments and JSON API, restart, undeploy", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "planck_services_" });
  try {
    const built = await buildService(ORDERS_DIR);
    await withPlanck(dataDir, async (base, admin) => {
      const client = await connect(admin);
      const deployed = await client.request("deploy", { wasm: built.wasm }) as { name: string };
      assertEquals(deployed.name, "orders");
      client.close();

      const created = await fetch(`${base}/orders`, form({ title: "Tea <b>", amount: "3.5" }));
      assertEquals(created.status, 201);
      const li = await created.text();
      assert(li.includes("Tea &lt;b&gt;") && li.includes('<li id="order-'), li);
      const key = /order-([0-9a-f]{32})/.exec(li)![1];

      const changed = await fetch(`${base}/orders/${key}/status`, form({ status: "paid" }));
      assert((await changed.text()).includes('<span class="status">paid</span>'));
      const bad = await fetch(`${base}/api/orders`, {
        method: "POST",
        body: JSON.stringify({ amount: "x" }),
      });
      assertEquals(bad.status, 400);
      assertEquals(await bad.json(), {
        error: "invalid_argument",
        message: "Invalid input: title must be a string; amount must be a number",
        issues: [{ field: "title", message: "must be a string" }, {
          field: "amount",
          message: "must be a number",
        }],
      });
      const notJson = await fetch(`${base}/api/orders`, { method: "POST", body: "{oops" });
      assertEquals([notJson.status, await notJson.json()], [400, {
        error: "invalid_argument",
        message: "The request body is not valid JSON",
      }]);
      const gone = await fetch(`${base}/api/orders/${"0".repeat(32)}`, { method: "DELETE" });
      assertEquals([gone.status, await gone.json()], [404, {
        error: "not_found",
        message: `No order "${"0".repeat(32)}"`,
      }]);
      const api = await fetch(`${base}/api/orders`, {
        method: "POST",
        body: JSON.stringify({ title: "Milk", amount: 2 }),
      });
      assertEquals(api.status, 201);
      const paid = await (await fetch(`${base}/api/orders?status=paid`)).json() as { key: string }[];
      assertEquals(paid.map((o) => o.key), [key]);
      const list = await fetch(`${base}/orders`);
      assert((await list.text()).startsWith('<ul id="orders">'));
      const css = await fetch(`${base}/static/app.css`);
      const etag = css.headers.get("etag")!;
      await css.body?.cancel();
      const cached = await fetch(`${base}/static/app.css`, { headers: { "if-none-match": etag } });
      assertEquals(cached.status, 304);
      await cached.body?.cancel();
      const missing = await fetch(`${base}/nothing/here`);
      assertEquals(missing.status, 404);
      await missing.body?.cancel();
      const wrongMethod = await fetch(`${base}/api/orders/${key}`, { method: "PUT" });
      assertEquals(wrongMethod.status, 405);
      await wrongMethod.body?.cancel();
    });
    await withPlanck(dataDir, async (base, admin) => {
      const after = await (await fetch(`${base}/api/orders`)).json() as unknown[];
      assertEquals(after.length, 2, "the service and its data survive a restart");
      const client = await connect(admin);
      assertEquals(await client.request("undeploy", { name: "orders" }), { undeployed: true });
      client.close();
      const gone = await fetch(`${base}/api/orders`);
      assertEquals(gone.status, 404);
      await gone.body?.cancel();
    });
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

async function versionService(dir: string, version: string): Promise<Uint8Array> {
  await Deno.writeTextFile(`${dir}/planck.json`, JSON.stringify({ name: "flip", version }));
  await Deno.writeTextFile(
    `${dir}/service.ts`,
    `import { createApp } from "planck";\nconst app = createApp();\n` +
      `app.get("/v", async (c) => { await c.store("hits").insert({ v: "${version}" }); return c.text("${version}"); });\n` +
      `export default app;\n`,
  );
  return (await buildService(dir)).wasm;
}

Deno.test("redeploy under load is atomic: every request succeeds on the old or the new version", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "planck_services_" });
  const serviceDir = await Deno.makeTempDir({ prefix: "planck_flip_" });
  try {
    const v1 = await versionService(serviceDir, "v1");
    const v2 = await versionService(serviceDir, "v2");
    await withPlanck(dataDir, async (base, admin) => {
      const client = await connect(admin);
      await client.request("deploy", { wasm: v1 });
      const load = Array.from({ length: 60 }, async (_, i) => {
        await new Promise((resolve) => setTimeout(resolve, i));
        const response = await fetch(`${base}/v`);
        return [response.status, await response.text()] as const;
      });
      await client.request("deploy", { wasm: v2 });
      const results = await Promise.all(load);
      for (const [status, body] of results) {
        assertEquals(status, 200);
        assert(body === "v1" || body === "v2", body);
      }
      const after = await fetch(`${base}/v`);
      assertEquals(await after.text(), "v2");
      client.close();
    });
  } finally {
    await Deno.remove(dataDir, { recursive: true });
    await Deno.remove(serviceDir, { recursive: true });
  }
});
