/**
 * The workbench's JSON API over real HTTP: no way in without credentials, roles enforced (403 for
 * read-only writers), stable error codes, the deploy/undeploy round trip of examples/orders,
 * stores, documents as Extended JSON, PQL with line:column errors, users, logs and config.
 */
import { assert, assertEquals } from "../_util/assert.ts";
import { buildService } from "../../host/wasm/build.ts";
import { basic, withWorkbench } from "./workbench_server.ts";

const ORDERS_DIR = new URL("../../examples/orders/", import.meta.url).pathname;

async function call(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: unknown,
) {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body instanceof Uint8Array) {
    init.body = body as Uint8Array<ArrayBuffer>;
    (init.headers as Record<string, string>)["content-type"] = "application/wasm";
  } else if (body !== undefined) {
    init.body = JSON.stringify(body);
    (init.headers as Record<string, string>)["content-type"] = "application/json";
  }
  const response = await fetch(`${base}${path}`, init);
  return { status: response.status, body: await response.json() };
}

Deno.test("workbench API: 401 without or with wrong credentials, lockout after repeated failures", async () => {
  await withWorkbench(async ({ base }) => {
    for (const path of ["/api/status", "/api/services", "/api/stores", "/api/users", "/api/logs"]) {
      const r = await call(base, "GET", path, {});
      assertEquals(r.status, 401, path);
      assertEquals(r.body.error, "unauthorized");
    }
    const page = await fetch(`${base}/`, { redirect: "manual" });
    await page.body?.cancel();
    assertEquals(page.status, 303);
    assertEquals(page.headers.get("location"), "/login");
    const wrong = await call(base, "GET", "/api/status", basic("admin", "nope"));
    assertEquals(wrong.status, 401);
    for (let i = 0; i < 6; i++) await call(base, "GET", "/api/status", basic("ghost", "nope"));
    const locked = await call(base, "GET", "/api/status", basic("ghost", "nope"));
    assertEquals(locked.status, 423);
    assertEquals(locked.body.error, "locked");
  }, (config) => {
    config.security.lockoutFailures = 3;
    config.security.lockoutBaseMs = 60_000;
  });
});

Deno.test("workbench API: status, stores, documents as Extended JSON, PQL, config, logs", async () => {
  await withWorkbench(async ({ base, adminKey }) => {
    const admin = basic("admin", adminKey);
    const status = await call(base, "GET", "/api/status", admin);
    assertEquals(status.status, 200);
    assert(typeof status.body.version === "string" && status.body.uptimeMs >= 0, JSON.stringify(status.body));
    assertEquals((await call(base, "POST", "/api/stores", admin, { name: "items" })).status, 201);
    const inserted = await call(base, "POST", "/api/stores/items/documents", admin, {
      n: 1,
      big: { $numberLong: "9007199254740993" },
      at: { $date: "2026-01-02T03:04:05Z" },
    });
    assertEquals(inserted.status, 201, JSON.stringify(inserted.body));
    const key = inserted.body.key as string;
    const got = await call(base, "GET", `/api/stores/items/documents/${key}`, admin);
    assertEquals(got.body.big, { $numberLong: "9007199254740993" });
    assertEquals(got.body.at, { $date: "2026-01-02T03:04:05.000Z" });
    const replaced = await call(base, "PUT", `/api/stores/items/documents/${key}`, admin, {
      n: 2,
      at: got.body.at,
    });
    assertEquals(replaced.status, 200, JSON.stringify(replaced.body));
    const page = await call(base, "GET", "/api/stores/items/documents?filter=n%20%3E%201", admin);
    assertEquals(page.body.rows.length, 1);
    assertEquals(page.body.rows[0].n, 2);
    const pql = await call(base, "POST", "/api/pql", admin, { statement: "items.filter(n = 2)" });
    assertEquals(pql.status, 200);
    assertEquals(pql.body.op, "find");
    assertEquals(pql.body.result.length, 1);
    const bad = await call(base, "POST", "/api/pql", admin, { statement: "items.filter(\n  n = )" });
    assertEquals(bad.status, 400);
    assertEquals(bad.body.error, "invalid_argument");
    assertEquals([bad.body.line, bad.body.column], [2, 7]);
    const explain = await call(base, "POST", "/api/pql", admin, { statement: "explain items.count()" });
    assertEquals(explain.body.op, "explain");
    const index = await call(base, "POST", "/api/stores/items/indexes", admin, {
      name: "by_n",
      fields: [{ path: "n", direction: "asc" }],
    });
    assertEquals(index.status, 201, JSON.stringify(index.body));
    const stores = await call(base, "GET", "/api/stores", admin);
    const items = stores.body.stores.find((s: { name: string }) => s.name === "items");
    assertEquals([items.documents, items.indexes], [1, 1]);
    const config = await call(base, "GET", "/api/config", admin);
    const bind = config.body.config.find((c: { key: string }) => c.key === "bind");
    assertEquals([bind.value, bind.source], ["127.0.0.1", "default"]);
    const logs = await call(base, "GET", "/api/logs?level=info&q=ready&limit=5", admin);
    assert(logs.body.entries.some((e: { message: string }) => e.message.includes("ready")));
    const all = await call(base, "GET", "/api/logs", admin);
    assert(!JSON.stringify(all.body).includes(adminKey), "the admin key is never in the log");
    assertEquals((await call(base, "GET", "/api/nothing", admin)).status, 404);
    assertEquals(
      (await call(base, "GET", "/api/stores/missing/documents/00", admin)).body.error,
      "invalid_argument",
    );
  });
});

Deno.test("workbench API: deploy and undeploy examples/orders; read-only users get 403", async () => {
  const built = await buildService(ORDERS_DIR);
  await withWorkbench(async ({ base, adminKey }) => {
    const admin = basic("admin", adminKey);
    const created = await call(base, "POST", "/api/users", admin, { user: "viewer", role: "read_only" });
    assertEquals(created.status, 201);
    const viewer = basic("viewer", created.body.key);
    const refused = await call(base, "POST", "/api/services", viewer, built.wasm);
    assertEquals(refused.status, 403);
    assertEquals(refused.body.error, "forbidden");
    assertEquals((await call(base, "POST", "/api/stores", viewer, { name: "x" })).status, 403);
    assertEquals((await call(base, "GET", "/api/users", viewer)).status, 403);
    assertEquals((await call(base, "GET", "/api/status", viewer)).status, 200);
    const deployed = await call(base, "POST", "/api/services", admin, built.wasm);
    assertEquals(deployed.status, 201, JSON.stringify(deployed.body));
    assertEquals(deployed.body.name, "orders");
    assert(deployed.body.routes.length > 0);
    const list = await call(base, "GET", "/api/services", viewer);
    assertEquals(list.body.services.map((s: { name: string }) => s.name), ["orders"]);
    const log = await call(base, "GET", "/api/services/orders/log", admin);
    assert(log.body.entries.some((e: { message: string }) => e.message.includes("deployed")));
    assertEquals((await call(base, "DELETE", "/api/services/orders", viewer)).status, 403);
    assertEquals((await call(base, "DELETE", "/api/services/orders", admin)).status, 200);
    assertEquals((await call(base, "DELETE", "/api/services/orders", admin)).status, 404);
    const bad = await call(base, "POST", "/api/services", admin, new Uint8Array([0, 97, 115, 109]));
    assertEquals(bad.status, 400);
    const own = await call(base, "POST", "/api/users/viewer/key", viewer);
    assertEquals(own.status, 200);
    assertEquals((await call(base, "GET", "/api/me", viewer)).status, 401);
    assertEquals((await call(base, "GET", "/api/me", basic("viewer", own.body.key))).body.role, "read_only");
  });
});

Deno.test("workbench overview stream: SSE events carry the live cards", async () => {
  await withWorkbench(async ({ base, adminKey }) => {
    const response = await fetch(`${base}/overview/stream`, { headers: basic("admin", adminKey) });
    assertEquals(response.headers.get("content-type"), "text/event-stream");
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    while (!text.includes("\n\n")) text += (await reader.read()).value ?? "";
    assert(text.startsWith("event: metrics\ndata: "), text.slice(0, 80));
    assert(text.includes('id="cards"') && text.includes("Uptime"));
    await reader.cancel();
  });
});

Deno.test("workbench session: login cookie, CSRF required, own key rotation keeps the session, logout", async () => {
  await withWorkbench(async ({ base, adminKey }) => {
    const login = await fetch(`${base}/login`, {
      method: "POST",
      body: new URLSearchParams({ user: "admin", key: adminKey }),
      redirect: "manual",
    });
    await login.body?.cancel();
    assertEquals(login.status, 303);
    const setCookie = login.headers.get("set-cookie")!;
    assert(/HttpOnly/.test(setCookie) && /SameSite=Strict/.test(setCookie) && /Max-Age=\d+/.test(setCookie));
    const cookie = setCookie.split(";")[0];
    const html = await (await fetch(`${base}/pql`, { headers: { cookie } })).text();
    const csrf = /name="csrf-token" content="([^"]+)"/.exec(html)![1];
    const noToken = await fetch(`${base}/api/users/admin/key`, { method: "POST", headers: { cookie } });
    assertEquals([noToken.status, (await noToken.json()).error], [403, "forbidden"]);
    const rotated = await fetch(`${base}/api/users/admin/key`, {
      method: "POST",
      headers: { cookie, "x-csrf-token": csrf },
    });
    assertEquals(rotated.status, 200);
    await rotated.body?.cancel();
    const me = await fetch(`${base}/api/me`, { headers: { cookie } });
    assertEquals((await me.json()).user, "admin");
    const out = await fetch(`${base}/logout`, { method: "POST", headers: { cookie, "x-csrf-token": csrf } });
    await out.body?.cancel();
    assertEquals(out.status, 200);
    const gone = await fetch(`${base}/api/me`, { headers: { cookie } });
    await gone.body?.cancel();
    assertEquals(gone.status, 401);
  });
});
