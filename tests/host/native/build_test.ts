/**
 * `buildNativeService` and the AssemblyScript SDK end to end: builds examples/orders-native once
 * (through `planck build`), checks its sections and manifest, and runs requests against the built
 * module with a minimal in-test harness (a host-created memory and planck.* imports) — once with
 * an in-test host that checks every query document with validateQuery, once with the real engine
 * answering through answerHostCall inside transactions. Also: compile errors name
 * file:line:column, and SDK_SOURCES carries every SDK file.
 */
import { assert, assertEquals, assertRejectsCode } from "../../_util/assert.ts";
import { withTempDatabase, withTempDir } from "../../_util/temp_db.ts";
import { runBuild } from "../../../cli/build.ts";
import { transaction } from "../../../engine/tx/transaction.ts";
import { decodeDocument } from "../../../engine/document.ts";
import { validateQuery } from "../../../engine/query/validate.ts";
import { parseManifest, SECTION_MANIFEST, type ServiceManifest } from "../../../protocol/abi.ts";
import { readCustomSections } from "../../../host/guest/sections.ts";
import { scopeQuery } from "../../../host/guest/sandbox.ts";
import { buildNativeService, CORE_ABI } from "../../../host/native/build.ts";
import { SECTION_ABI } from "../../../host/native/core_abi.ts";
import { validateUpload } from "../../../host/services/upload.ts";
import { SDK_SOURCES } from "../../../host/native/sdk_sources.ts";
import { prepareNative } from "../../../host/native/prepare.ts";
import { NativeInstance } from "../../../host/native/instance.ts";
import { type Answer, type Doc, engineClient, Harness, header, json, text } from "./native_harness.ts";

const EXAMPLE = new URL("../../../examples/orders-native", import.meta.url).pathname;
const SERVICE = "orders_native";

/** The built example, compiled once for the whole file. */
let built: Promise<{ wasm: Uint8Array; line: string }> | undefined;

function buildExample(): Promise<{ wasm: Uint8Array; line: string }> {
  built ??= withTempDir(async (dir) => {
    const lines: string[] = [];
    const log = console.log;
    console.log = (line: string) => lines.push(line);
    try {
      await runBuild([EXAMPLE, "-o", `${dir}/orders.wasm`]);
    } finally {
      console.log = log;
    }
    return { wasm: await Deno.readFile(`${dir}/orders.wasm`), line: lines.join("\n") };
  });
  return built;
}

/** The in-test host: one store in a Map; every query must pass scopeQuery and validateQuery. */
function memoryHost(): { answer: Answer; queries: Doc[]; orders: Map<string, Doc> } {
  const orders = new Map<string, Doc>();
  const queries: Doc[] = [];
  let next = 0;
  const row = (key: string) => ({ key, ...orders.get(key) });
  const answer = (call: Doc): Doc => {
    const query = validateQuery(scopeQuery(SERVICE, call)) as unknown as Doc;
    queries.push(query);
    assertEquals(query.store, `${SERVICE}__orders`);
    switch (query.op) {
      case "insert": {
        // A native insert's documents arrive as their BSON bytes (host/native/session.ts).
        const keys = (query.documents as (Doc | Uint8Array)[]).map((d) => {
          const key = (++next).toString(16).padStart(32, "0");
          orders.set(key, d instanceof Uint8Array ? decodeDocument(d) as Doc : d);
          return key;
        });
        return { ok: true, result: { inserted: keys } };
      }
      case "get":
        return { ok: true, result: orders.has(query.key as string) ? row(query.key as string) : null };
      case "find": {
        const filter = query.filter as { field: string; value: unknown } | undefined;
        const rows = [...orders.keys()].map(row)
          .filter((r) => filter === undefined || (r as Doc)[filter.field] === filter.value);
        return { ok: true, result: rows.slice(0, query.limit as number) };
      }
      default:
        return { ok: false, error: { code: "invalid_argument", message: `op ${query.op}` } };
    }
  };
  return { answer, queries, orders };
}

Deno.test("buildNativeService writes planck.abi and a native manifest with prefixed routes and the index", async () => {
  const { wasm, line } = await buildExample();
  assert(
    /^planck: built "orders_native" 1\.0\.0 → .*orders\.wasm \(\d+ bytes, bundle \d+ bytes, 5 routes, \d+ ms(, [^)]*)?\)$/
      .test(line),
    line,
  );
  const sections = readCustomSections(wasm).filter((s) => s.name.startsWith("planck."));
  assertEquals(sections.map((s) => s.name), [SECTION_ABI, SECTION_MANIFEST]);
  const text = (payload: Uint8Array) => new TextDecoder().decode(payload);
  assertEquals(JSON.parse(text(sections[0].payload)), CORE_ABI);
  const manifest: ServiceManifest = parseManifest(text(sections[1].payload));
  assertEquals(manifest.tier, "native");
  assertEquals(manifest.prefix, "/native");
  assertEquals(manifest.routes, [
    { method: "GET", path: "/native/ping" },
    { method: "GET", path: "/native/api/orders" },
    { method: "GET", path: "/native/api/orders/:id" },
    { method: "POST", path: "/native/api/orders" },
    { method: "GET", path: "/native/orders/:id/card" },
  ]);
  assertEquals(manifest.indexes, [
    { name: "orders_by_status", store: "orders", fields: [{ path: "status", direction: "asc" }] },
  ]);
  const module = await WebAssembly.compile(wasm as Uint8Array<ArrayBuffer>);
  const imports = WebAssembly.Module.imports(module).map((i) => `${i.module}.${i.name}`);
  assert(imports.includes("env.memory"), imports.join());
  assert(imports.every((i) => i.startsWith("env.") || i.startsWith("planck.")), imports.join());
  const exports = WebAssembly.Module.exports(module).map((e) => e.name);
  for (const name of ["planck_alloc", "planck_handle", "planck_describe"]) {
    assert(exports.includes(name), name);
  }
});

Deno.test("native orders service answers JSON, 404/405 and escaped HTML (in-test host)", async () => {
  const { wasm } = await buildExample();
  const host = memoryHost();
  const h = await Harness.create(wasm, host.answer);
  assertEquals(text(h.request("GET", "/native/ping")), "pong");
  const created = h.request(
    "POST",
    "/native/api/orders",
    '{"title":"<script>alert(1)</script>","amount":3.5}',
  );
  assertEquals(created.status, 201);
  assertEquals(header(created, "content-type"), "application/json");
  const { key } = json(created);
  assert(/^[0-9a-f]{32}$/.test(key), key);
  const got = h.request("GET", `/native/api/orders/${key}`);
  assertEquals(got.status, 200);
  const order = json(got);
  assertEquals([order.key, order.title, order.amount, order.status], [
    key,
    "<script>alert(1)</script>",
    3.5,
    "open",
  ]);
  assert(!Number.isNaN(Date.parse(order.created)), order.created);
  const card = h.request("GET", `/native/orders/${key}/card`);
  assertEquals(header(card, "content-type"), "text/html; charset=utf-8");
  assert(
    text(card).includes("<span>&lt;script&gt;alert(1)&lt;/script&gt;</span> <span>3.50</span>"),
    text(card),
  );
  assert(!text(card).includes("<script>"), text(card));
  assertEquals(h.request("GET", "/native/api/orders/nope").status, 404);
  assertEquals(h.request("GET", "/native/nope").status, 404);
  assertEquals(h.request("GET", "/ping").status, 404);
  const wrong = h.request("DELETE", `/native/api/orders/${key}`);
  assertEquals([wrong.status, header(wrong, "allow")], [405, "GET"]);
  const bad = h.request("POST", "/native/api/orders", '{"title":"","amount":1}');
  assertEquals([bad.status, json(bad).issues[0].field], [400, "title"]);
  assertEquals(h.request("POST", "/native/api/orders", '{"title":"x","amount":-1}').status, 400);
  assertEquals(h.request("POST", "/native/api/orders", "{not json").status, 400);
  const list = h.request("GET", "/native/api/orders?status=open");
  assertEquals(json(list).map((o: Doc) => o.key), [key]);
  // A reply larger than the SDK's 16 KiB scratch buffer comes through planck.take.
  const bigKey = "f".repeat(32);
  host.orders.set(bigKey, { title: "big", amount: 1, status: "open", notes: "é".repeat(20_000) });
  assertEquals(json(h.request("GET", `/native/api/orders/${bigKey}`)).notes, "é".repeat(20_000));
  assertEquals(h.takes.count, 1);
  const find = host.queries.find((q) => q.op === "find");
  assertEquals(find, {
    op: "find",
    store: `${SERVICE}__orders`,
    filter: { field: "status", op: "eq", value: "open" },
    limit: 20,
  });
});

Deno.test("native orders service runs its queries in real engine transactions (answerHostCall)", async () => {
  const { wasm } = await buildExample();
  await withTempDatabase(async (db) => {
    await db.createStore(`${SERVICE}__orders`);
    await db.createIndex(`${SERVICE}__orders_by_status`, `${SERVICE}__orders`, [{
      path: "status",
      direction: "asc",
    }]);
    const { request } = await engineClient(db, SERVICE, wasm);
    const keys: string[] = [];
    for (const [title, amount] of [["Tea", 3.5], ["Cake", 4], ["Jam", 2.25]] as const) {
      const created = await request("POST", "/native/api/orders", JSON.stringify({ title, amount }));
      assertEquals(created.status, 201);
      keys.push(json(created).key);
    }
    const got = json(await request("GET", `/native/api/orders/${keys[1]}`));
    assertEquals([got.key, got.title, got.amount, got.status], [keys[1], "Cake", 4, "open"]);
    await transaction(
      db,
      (tx) => tx.query({ op: "update", store: `${SERVICE}__orders`, key: keys[2], set: { status: "paid" } }),
    );
    const paid = json(await request("GET", "/native/api/orders?status=paid"));
    assertEquals(paid.map((o: Doc) => o.title), ["Jam"]);
    const open = json(await request("GET", "/native/api/orders?status=open"));
    assertEquals(open.map((o: Doc) => o.title).sort(), ["Cake", "Tea"]);
    const newest = json(await request("GET", "/native/api/orders"));
    assertEquals(newest.length, 3);
    assertEquals((await request("GET", `/native/api/orders/${"0".repeat(32)}`)).status, 404);
    const card = await request("GET", `/native/orders/${keys[0]}/card`);
    assert(text(card).includes(`<li id="order-${keys[0]}">`), text(card));
    assertEquals((await request("PUT", "/native/ping")).status, 405);
  });
});

Deno.test("the built service passes validateUpload and prepareNative and runs in NativeInstance", async () => {
  const { wasm } = await buildExample();
  const upload = await validateUpload(wasm);
  assertEquals([upload.tier, upload.manifest.name], ["native", SERVICE]);
  const prepared = await prepareNative(wasm);
  const instance = await NativeInstance.create(prepared.module, prepared.shape, {
    memoryBytes: 64 * 1024 * 1024,
  });
  try {
    const host = memoryHost();
    const request = (method: string, path: string, body: string | null = null) =>
      instance.handle(
        {
          id: "r1",
          method,
          path,
          query: "",
          headers: [],
          body: body === null ? null : new TextEncoder().encode(body),
        },
        host.answer,
        Date.now() + 5_000,
      );
    // A string body with a content-type stays UTF-8 bytes (host/native/bson_fast.ts, Utf8Body).
    const text = (body: unknown) =>
      typeof body === "string" ? body : new TextDecoder().decode(body as Uint8Array);
    assertEquals(text((await request("GET", "/native/ping")).body), "pong");
    const created = await request("POST", "/native/api/orders", '{"title":"Tea","amount":3}');
    assertEquals(created.status, 201);
    const { key } = JSON.parse(text(created.body));
    assertEquals(JSON.parse(text((await request("GET", `/native/api/orders/${key}`)).body)).title, "Tea");
    assertEquals(((await instance.describe()).routes as unknown[]).length, 5);
  } finally {
    instance.dispose();
  }
});

Deno.test("buildNativeService names file:line:column of a compile error, and missing ABI exports", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/assembly`);
    await Deno.writeTextFile(`${dir}/planck.json`, '{"name":"broken","tier":"native"}');
    await Deno.writeTextFile(
      `${dir}/assembly/index.ts`,
      'export { planck_alloc, planck_describe, planck_handle } from "planck";\n\nconst n: i32 = "text";\n',
    );
    const error = await assertRejectsCode(() => buildNativeService(dir), "invalid_argument");
    assert(/assembly\/index\.ts:3:16: error: TS2322/.test(error.message), error.message);
    assertEquals([error.location?.line, error.location?.column], [3, 16]);
    assertEquals(error.location?.file, `${await Deno.realPath(dir)}/assembly/index.ts`);

    await Deno.writeTextFile(
      `${dir}/assembly/index.ts`,
      "export function answer(): i32 {\n  return 42;\n}\n",
    );
    const missing = await assertRejectsCode(() => buildNativeService(dir), "invalid_argument");
    assert(
      missing.message.includes("does not export planck_alloc, planck_handle, planck_describe"),
      missing.message,
    );
  });
});

Deno.test("SDK_SOURCES carries every file of sdk/assemblyscript/", () => {
  const files = [...Deno.readDirSync(new URL("../../../sdk/assemblyscript/", import.meta.url))]
    .filter((e) => e.name.endsWith(".ts"))
    .map((e) => e.name)
    .sort();
  assertEquals(Object.keys(SDK_SOURCES).sort(), files);
});
