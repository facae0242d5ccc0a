/**
 * Unique indexes and document shape on the server's write paths, through a real server: the wire
 * `insert`, `update` and `transaction` ops, the wire `query` op (query documents and PQL-built
 * ones), and a QuickJS service handler writing through `store(…)`. A duplicate is refused with the
 * same `conflict` code on each and leaves nothing written; a 100,000-deep document sent to the
 * wire `insert` op is refused with `limit_exceeded`, and the server keeps serving.
 */
import { BSON } from "bson";
import { assert, assertEquals, assertRejectsCode } from "../_util/assert.ts";
import { connect, type PlanckClient } from "../../client/mod.ts";
import { buildService } from "../../host/wasm/build.ts";
import { RawWire, withServer } from "../host/test_server.ts";
import { parsePql } from "../../engine/pql/mod.ts";
import { where } from "../../builder/mod.ts";

const CODE = "conflict";

async function setUp(client: PlanckClient, store = "users"): Promise<void> {
  await client.query({ op: "createStore", store });
  await client.query({
    op: "createIndex",
    name: `${store}_by_email`,
    store,
    fields: [{ path: "email", direction: "asc" }],
    unique: true,
  });
  await client.insert(store, { name: "ann", email: "ann@x" }, { key: "00000000000000000000000000000001" });
}

async function emails(client: PlanckClient, store = "users"): Promise<string[]> {
  const rows = await client.query({ op: "find", store }) as { email: string }[];
  return rows.map((row) => row.email).sort();
}

/** A wire `insert` request frame whose `doc` nests `depth` documents deep, built without recursion. */
function deepInsertFrame(depth: number): Uint8Array {
  const head = BSON.serialize({ id: 7, op: "insert", store: "users" });
  const leaf = BSON.serialize({ leaf: 1 });
  const docSize = leaf.length + 8 * depth; // each level: length, type, "a\0", …, terminator
  const size = head.length - 1 + 1 + 4 + docSize + 1; // head without its NUL, type + "doc\0", doc, NUL
  const out = new Uint8Array(4 + size);
  const view = new DataView(out.buffer);
  view.setUint32(0, size, true);
  let at = 4;
  out.set(head.subarray(0, head.length - 1), at);
  view.setInt32(at, size, true);
  at += head.length - 1;
  out.set([0x03, 0x64, 0x6f, 0x63, 0x00], at); // embedded document "doc"
  at += 5;
  for (let level = 0; level < depth; level++) {
    view.setInt32(at, docSize - 8 * level, true);
    out.set([0x03, 0x61, 0x00], at + 4); // embedded document "a"
    at += 7;
  }
  out.set(leaf, at);
  at += leaf.length;
  for (let level = 0; level < depth; level++) out[at++] = 0; // each level's terminator
  out[at++] = 0; // the request's terminator
  assertEquals(at, out.length);
  return out;
}

Deno.test("unique path wire insert, update and transaction ops: a duplicate is refused with conflict", async () => {
  await withServer(async ({ admin }) => {
    const client = await connect(admin);
    try {
      await setUp(client);
      await assertRejectsCode(
        () => client.insert("users", { name: "bob", email: "ann@x" }),
        CODE,
        "by_email",
      );
      const bob = await client.insert("users", { name: "bob", email: "bob@x" });
      await assertRejectsCode(
        () => client.request("update", { store: "users", key: bob, set: { email: "ann@x" } }),
        CODE,
      );
      await assertRejectsCode(
        () =>
          client.batch([
            { op: "insert", store: "users", doc: { name: "cat", email: "cat@x" } },
            { op: "insert", store: "users", doc: { name: "dan", email: "cat@x" } },
          ]),
        CODE,
      );
      assertEquals(await emails(client), ["ann@x", "bob@x"]);
    } finally {
      client.close();
    }
  });
});

Deno.test("unique path wire query op: insert, update and a PQL statement refuse a duplicate with conflict", async () => {
  await withServer(async ({ admin }) => {
    const client = await connect(admin);
    try {
      await setUp(client);
      await assertRejectsCode(
        () => client.query({ op: "insert", store: "users", documents: [{ name: "bob", email: "ann@x" }] }),
        CODE,
        "by_email",
      );
      await client.query({ op: "insert", store: "users", documents: [{ name: "bob", email: "bob@x" }] });
      await assertRejectsCode(
        () => client.query(parsePql(`users.filter(name = "bob").set({"email": "ann@x"})`)),
        CODE,
      );
      await assertRejectsCode(
        () => client.query(parsePql(`users.insert({"name": "cat", "email": "bob@x"})`)),
        CODE,
      );
      // The builder over the wire transport sends the same query documents.
      await assertRejectsCode(() => client.store("users").insert({ name: "dan", email: "ann@x" }), CODE);
      await assertRejectsCode(
        () => client.store("users").filter(where("name").eq("bob")).update({ set: { email: "ann@x" } }),
        CODE,
      );
      assertEquals(await emails(client), ["ann@x", "bob@x"]);
    } finally {
      client.close();
    }
  });
});

Deno.test("wire insert op: a 100,000-deep document is refused with limit_exceeded; the server keeps serving", async () => {
  await withServer(async ({ admin, port }) => {
    const client = await connect(admin);
    const raw = await RawWire.open(port);
    try {
      await setUp(client);
      await raw.authenticate(admin);
      await raw.write(deepInsertFrame(100_000));
      const answer = await raw.read();
      assert(answer !== null, "the server closed the connection");
      assertEquals(answer.ok, false, JSON.stringify(answer));
      const error = answer.error as { code: string; message: string };
      assertEquals(error.code, "limit_exceeded", error.message);
      // A document just past DOC_DEPTH_MAX, sent the ordinary way, is refused the same way.
      await raw.write(deepInsertFrame(101));
      assertEquals(((await raw.read())!.error as { code: string }).code, "limit_exceeded");
      assertEquals(await emails(client), ["ann@x"]);
      assertEquals((await raw.call({ id: 9, op: "ping" })).ok, true);
    } finally {
      raw.close();
      client.close();
    }
  });
});

const SERVICE = `import { createApp, store } from "planck";
const app = createApp();
app.post("/users", async (c) => {
  const body = await c.req.json();
  try {
    const { inserted } = await store("users").insert(body);
    return c.json({ key: inserted[0] }, 201);
  } catch (error) {
    return c.json({ code: error.code ?? "unknown", message: String(error.message) }, 409);
  }
});
export default app;
`;

Deno.test("unique path QuickJS service handler: a duplicate insert is refused with conflict", async () => {
  const serviceDir = await Deno.makeTempDir({ prefix: "planck_unique_service_" });
  try {
    await Deno.writeTextFile(
      `${serviceDir}/planck.json`,
      JSON.stringify({ name: "users", version: "1.0.0" }),
    );
    await Deno.writeTextFile(`${serviceDir}/service.ts`, SERVICE);
    const { wasm } = await buildService(serviceDir);
    await withServer(async ({ server, admin }) => {
      const client = await connect(admin);
      try {
        // A service's stores are scoped to it: its store("users") is the engine store users__users.
        await setUp(client, "users__users");
        await client.request("deploy", { wasm });
        const post = (doc: unknown) =>
          fetch(`http://127.0.0.1:${server.ports.http}/users`, { method: "POST", body: JSON.stringify(doc) });
        const ok = await post({ name: "bob", email: "bob@x" });
        assertEquals(ok.status, 201, await ok.clone().text());
        await ok.body?.cancel();
        const dup = await post({ name: "cat", email: "ann@x" });
        const answer = await dup.json();
        assertEquals([dup.status, answer.code], [409, CODE], JSON.stringify(answer));
        assertEquals(await emails(client, "users__users"), ["ann@x", "bob@x"]);
      } finally {
        client.close();
      }
    });
  } finally {
    await Deno.remove(serviceDir, { recursive: true });
  }
});
