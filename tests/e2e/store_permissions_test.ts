/**
 * Store permissions over real sockets (docs/security.md, "Store permissions"): a service's stores
 * (`orders__orders`) are reachable only by admins and by users granted that app, on every op that
 * names a store (kv ops, transactions, batches, query documents, PQL, shortcuts, watch), and on
 * the workbench API, which runs the same checks; a grant works within the user's role and a revoke
 * takes effect on open sessions.
 */
import { assert, assertEquals } from "../_util/assert.ts";
import { ClientError, connect, type PlanckClient } from "../../client/mod.ts";
import { appOfStore } from "../../host/wire/authorize.ts";
import { withServer } from "../host/test_server.ts";
import { basic, withWorkbench } from "../workbench/workbench_server.ts";

const STORE = "orders__orders";
const KEY = "0".repeat(31) + "1";

/** One request per op that names a store: reads first, then writes. */
const READS: [string, Record<string, unknown>][] = [
  ["get", { store: STORE, key: KEY }],
  ["scan", { store: STORE }],
  ["count", { store: STORE }],
  ["aggregate", { store: STORE, aggregates: { n: { fn: "count" } } }],
  ["listIndexes", { store: STORE }],
  ["query", { query: { op: "find", store: STORE } }],
  ["query", { query: { op: "explain", query: { op: "find", store: STORE } } }],
  ["pql", { text: `${STORE}.filter(amount > 0)` }],
  ["watch", { store: STORE }],
];
const WRITES: [string, Record<string, unknown>][] = [
  ["insert", { store: STORE, doc: { amount: -1 } }],
  ["put", { store: STORE, key: KEY, doc: { amount: -2 } }],
  ["replace", { store: STORE, key: KEY, doc: { amount: -3 } }],
  ["update", { store: STORE, key: KEY, set: { amount: -4 } }],
  ["delete", { store: STORE, key: KEY }],
  ["transaction", {
    ops: [{ op: "insert", store: "mine", doc: {} }, { op: "insert", store: STORE, doc: {} }],
  }],
  ["query", { query: { op: "insert", store: STORE, documents: [{ amount: -5 }] } }],
  ["pql", { text: `${STORE}.insert({"amount": -6})` }],
  ["createIndex", {
    name: "by_amount",
    store: STORE,
    fields: [{ path: "amount", direction: "asc" }],
    unique: false,
  }],
  ["createStore", { store: "orders__extra" }],
];

async function outcome(db: PlanckClient, op: string, fields: Record<string, unknown>): Promise<string> {
  try {
    if (op === "watch") {
      const events = db.store(String(fields.store)).watch({ snapshot: true });
      await events.next();
      await events.return?.();
    } else await db.request(op, fields);
    return "ok";
  } catch (error) {
    return error instanceof ClientError ? error.code : String(error);
  }
}

async function batchOutcome(db: PlanckClient, op: string, fields: Record<string, unknown>): Promise<string> {
  const { results } = await db.request("batch", { requests: [{ op, ...fields }] }) as {
    results: { ok: boolean; error?: { code: string } }[];
  };
  return results[0].ok ? "ok" : results[0].error!.code;
}

function as(admin: string, user: string, key: string): string {
  return admin.replace("uid=admin", `uid=${user}`).replace(/key=[^;]+/, `key=${key}`);
}

Deno.test('the owner of a store: the service before the first "__" that a letter follows', () => {
  assertEquals(appOfStore("orders"), null);
  assertEquals(appOfStore("orders__orders"), "orders");
  assertEquals(appOfStore("a___b"), "a_"); // service "a_", store "b"
  assertEquals(appOfStore("a__b__c"), "a");
  assertEquals(appOfStore("__x"), "");
  assertEquals(appOfStore("x__"), "");
  assertEquals(appOfStore("x__1"), "");
});

Deno.test("a service's stores: admins and granted users only, on every op, revoked at once", async () => {
  await withServer(async ({ admin }) => {
    const root = await connect(admin);
    const writer = await connect(as(admin, "writer", await root.users.create("writer", "read_write")));
    const reader = await connect(as(admin, "reader", await root.users.create("reader", "read_only")));
    try {
      await root.put(STORE, KEY, { amount: 1 });
      const before = await root.request("count", { store: STORE });
      for (const [op, fields] of [...READS, ...WRITES]) {
        assertEquals(
          await outcome(writer, op, fields),
          "forbidden",
          `ungranted ${op} ${JSON.stringify(fields)}`,
        );
        assertEquals(await outcome(reader, op, fields), "forbidden", `ungranted reader ${op}`);
        if (op !== "watch") assertEquals(await batchOutcome(writer, op, fields), "forbidden", `batch ${op}`);
      }
      assertEquals(await root.request("count", { store: STORE }), before, "refused writes changed nothing");
      assertEquals(
        await outcome(writer, "insert", { store: "X__y", doc: {} }),
        "forbidden",
        "no app: admins",
      );
      const listed = (await writer.request("listStores") as { name: string }[]).map((s) => s.name);
      assert(!listed.includes(STORE), `an ungranted store is not listed: ${listed}`);

      assertEquals(await root.users.grant("writer", "orders"), ["orders"]);
      assertEquals(await root.users.grant("reader", "orders"), ["orders"]);
      for (const [op, fields] of [...READS, ...WRITES]) {
        assertEquals(await outcome(writer, op, fields), "ok", `granted ${op} ${JSON.stringify(fields)}`);
      }
      for (const [op, fields] of READS) assertEquals(await outcome(reader, op, fields), "ok", `reader ${op}`);
      for (const [op, fields] of WRITES) {
        assertEquals(await outcome(reader, op, fields), "forbidden", `a grant stays within the role: ${op}`);
      }
      assertEquals(
        await outcome(writer, "insert", { store: "billing__x", doc: {} }),
        "forbidden",
        "other app",
      );
      const users = await root.users.list();
      assertEquals(users.find((u) => u.name === "writer")?.apps, ["orders"]);

      assertEquals(await root.users.revoke("writer", "orders"), []);
      for (const [op, fields] of [...READS, ...WRITES]) {
        assertEquals(await outcome(writer, op, fields), "forbidden", `revoked ${op}`);
      }
      for (const [op, fields] of [...READS, ...WRITES]) {
        assert((await outcome(root, op, fields)) !== "forbidden", `admin ${op}`);
      }
      assertEquals(await outcome(root, "grant", { user: "writer", app: "Bad__app" }), "invalid_argument");
      assertEquals(await outcome(root, "grant", { user: "nobody", app: "orders" }), "not_found");
    } finally {
      root.close();
      writer.close();
      reader.close();
    }
  });
});

Deno.test("the workbench API runs the same store permissions", async () => {
  await withWorkbench(async ({ base, adminKey }) => {
    const root = basic("admin", adminKey);
    const call = async (method: string, path: string, headers: Record<string, string>, body?: unknown) => {
      const response = await fetch(`${base}${path}`, {
        method,
        headers: { ...headers, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      await response.body?.cancel();
      return response.status;
    };
    const made = await fetch(`${base}/api/users`, {
      method: "POST",
      headers: { ...root, "content-type": "application/json" },
      body: JSON.stringify({ user: "writer", role: "read_write" }),
    });
    const { key } = await made.json() as { key: string };
    const writer = basic("writer", key);
    assertEquals(await call("POST", `/api/stores/${STORE}/documents`, root, { amount: 1 }), 201);
    assertEquals(await call("POST", `/api/stores/${STORE}/documents`, writer, { amount: 2 }), 403);
    assertEquals(await call("GET", `/api/stores/${STORE}/documents`, writer), 403);
    assertEquals(await call("POST", "/api/pql", writer, { statement: `${STORE}.insert({"a": 1})` }), 403);
    const stores = await fetch(`${base}/api/stores`, { headers: writer });
    const names = ((await stores.json()) as { stores: { name: string }[] }).stores.map((s) => s.name);
    assert(!names.includes(STORE), `not listed to the writer: ${names}`);
    assertEquals(await call("GET", `/api/stores/${STORE}/documents`, root), 200);
  });
});
