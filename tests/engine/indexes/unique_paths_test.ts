/**
 * Unique indexes on every engine write path: the Store API, batch, PQL insert and update, query
 * documents through the local transport (client/local_transport.ts), and transactions (store ops and tx.query). On
 * each, a duplicate under a unique index is refused with `conflict` and leaves nothing written.
 * Two interleaved transactions writing the same unique value: one commits, the other fails with
 * `conflict` at commit. Document shape (DOC_DEPTH_MAX, UTF-8 field names, no `__proto__`) holds on every path too.
 */
import { assert, assertEquals, assertRejectsCode } from "../../_util/assert.ts";
import { withDatabase, withTempDir } from "../../_util/temp_db.ts";
import type { Database } from "../../../engine/db/database.ts";
import { batch, Store } from "../../../engine/db/store.ts";
import { transaction } from "../../../engine/tx/transaction.ts";
import { executeQuery } from "../../../engine/exec/executor.ts";
import { local } from "../../../client/local_transport.ts";
import { parsePql } from "../../../engine/pql/mod.ts";
import { where } from "../../../builder/mod.ts";
import { DOC_DEPTH_MAX } from "../../../engine/limits.ts";
import type { Document } from "../../../engine/document.ts";

const CODE = "conflict";

/** A database with store `users`, unique index `by_email`, and ann@x / bob@x in it. */
async function withUsers(body: (db: Database, users: Store) => Promise<void>): Promise<void> {
  await withTempDir((dir) =>
    withDatabase(dir, {}, async (db) => {
      await db.createStore("users");
      await db.createIndex("by_email", "users", [{ path: "email", direction: "asc" }], { unique: true });
      const users = new Store(db, "users");
      await users.insert({ name: "ann", email: "ann@x" }, { key: 1n });
      await users.insert({ name: "bob", email: "bob@x" }, { key: 2n });
      await body(db, users);
    })
  );
}

/** The users as `name=email` lines, in key order: what must not change after a refused write. */
function contents(users: Store): string[] {
  return users.scan().map(({ doc }) => `${doc.name}=${doc.email}`);
}

const BEFORE = ["ann=ann@x", "bob=bob@x"];

function nested(depth: number): Document {
  let doc: Document = { leaf: 1 };
  for (let i = 0; i < depth; i++) doc = { a: doc };
  return doc;
}

Deno.test("unique path Store.insert: a duplicate is refused with conflict, nothing written", async () => {
  await withUsers(async (_db, users) => {
    await assertRejectsCode(() => users.insert({ name: "cat", email: "ann@x" }), CODE, "by_email");
    assertEquals(contents(users), BEFORE);
  });
});

Deno.test("unique path Store.update / put / replace: a duplicate is refused with conflict", async () => {
  await withUsers(async (_db, users) => {
    await assertRejectsCode(() => users.update(2n, { email: "ann@x" }), CODE, "by_email");
    await assertRejectsCode(() => users.put(2n, { name: "bob", email: "ann@x" }), CODE);
    await assertRejectsCode(() => users.replace(2n, { name: "bob", email: "ann@x" }), CODE);
    assertEquals(contents(users), BEFORE);
    await users.update(2n, { email: "bob@y" }); // a fresh value still goes in
    await users.update(1n, { email: "bob@x" }); // bob's old value is free again
  });
});

Deno.test("unique path batch: a duplicate (against the store or inside the batch) writes nothing", async () => {
  await withUsers(async (db, users) => {
    await assertRejectsCode(
      () =>
        batch(db, [
          { op: "insert", store: "users", doc: { name: "cat", email: "cat@x" } },
          { op: "insert", store: "users", doc: { name: "dan", email: "bob@x" } },
        ]),
      CODE,
    );
    await assertRejectsCode(
      () =>
        batch(db, [
          { op: "insert", store: "users", doc: { name: "cat", email: "cat@x" } },
          { op: "insert", store: "users", doc: { name: "dan", email: "cat@x" } },
        ]),
      CODE,
    );
    assertEquals(contents(users), BEFORE);
    // A value moved away inside the batch frees it for a later op of the same batch.
    await batch(db, [
      { op: "insert", store: "users", doc: { name: "cat", email: "cat@x" }, key: 3n },
      { op: "update", store: "users", key: 3n, set: { email: "cat@y" } },
      { op: "insert", store: "users", doc: { name: "dan", email: "cat@x" } },
    ]);
  });
});

Deno.test("unique path PQL insert and update: a duplicate is refused with conflict", async () => {
  await withUsers(async (db, users) => {
    await assertRejectsCode(
      () => executeQuery(db, parsePql(`users.insert({"name": "cat", "email": "bob@x"})`)),
      CODE,
      "by_email",
    );
    await assertRejectsCode(
      () =>
        executeQuery(
          db,
          parsePql(`users.insert([{"name": "cat", "email": "c@x"}, {"name": "dan", "email": "c@x"}])`),
        ),
      CODE,
    );
    await assertRejectsCode(
      () => executeQuery(db, parsePql(`users.filter(name = "bob").set({"email": "ann@x"})`)),
      CODE,
      "by_email",
    );
    // An update giving two documents one value: refused as a whole.
    await assertRejectsCode(() => executeQuery(db, parsePql(`users.set({"email": "same@x"})`)), CODE);
    assertEquals(contents(users), BEFORE);
  });
});

Deno.test("unique path query document via the local transport (client/local_transport.ts): insert and update refused", async () => {
  await withUsers(async (db, users) => {
    const store = local(db).store<{ name: string; email: string }>("users");
    await assertRejectsCode(() => store.insert({ name: "cat", email: "ann@x" }), CODE);
    await assertRejectsCode(
      () => store.filter(where("name").eq("bob")).update({ set: { email: "ann@x" } }),
      CODE,
    );
    await assertRejectsCode(
      () => store.replace("00000000000000000000000000000002", { name: "b", email: "ann@x" }),
      CODE,
    );
    assertEquals(contents(users), BEFORE);
  });
});

Deno.test("unique path transaction(fn): store ops and tx.query refuse a duplicate; nothing commits", async () => {
  await withUsers(async (db, users) => {
    await assertRejectsCode(
      () => transaction(db, (tx) => void tx.store("users").insert({ name: "cat", email: "bob@x" })),
      CODE,
    );
    await assertRejectsCode(
      () =>
        transaction(db, (tx) => {
          tx.store("users").insert({ name: "cat", email: "cat@x" });
          tx.query({ op: "insert", store: "users", documents: [{ name: "dan", email: "cat@x" }] });
        }),
      CODE,
    );
    await assertRejectsCode(
      () =>
        transaction(db, (tx) => {
          tx.query({ op: "insert", store: "users", documents: [{ name: "cat", email: "cat@x" }] });
          tx.store("users").insert({ name: "dan", email: "cat@x" });
        }),
      CODE,
    );
    await assertRejectsCode(
      () =>
        transaction(
          db,
          (tx) => void tx.query(parsePql(`users.filter(name = "ann").set({"email": "bob@x"})`)),
        ),
      CODE,
    );
    assertEquals(contents(users), BEFORE);
    // A transaction that frees a value and takes it again commits.
    await transaction(db, (tx) => {
      tx.store("users").delete(2n);
      tx.query({ op: "insert", store: "users", documents: [{ name: "bo2", email: "bob@x" }] });
    });
    assertEquals(contents(users), ["ann=ann@x", "bo2=bob@x"]);
  });
});

Deno.test("unique under interleaved transactions: of two writers of one value, the second to commit fails", async () => {
  await withUsers(async (db, users) => {
    // Both stage while neither has committed (each awaits the other's start), then both commit.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let staged = 0;
    const writer = (name: string, via: "store" | "query") =>
      transaction(db, async (tx) => {
        if (via === "store") tx.store("users").insert({ name, email: "same@x" });
        else tx.query({ op: "insert", store: "users", documents: [{ name, email: "same@x" }] });
        if (++staged === 2) release();
        await gate;
      });
    const results = await Promise.allSettled([writer("cat", "store"), writer("dan", "query")]);
    const failed = results.filter((r) => r.status === "rejected") as PromiseRejectedResult[];
    assertEquals(failed.length, 1, JSON.stringify(results.map((r) => r.status)));
    assertEquals((failed[0].reason as { code: string }).code, CODE);
    assertEquals(users.scan().filter(({ doc }) => doc.email === "same@x").length, 1);

    // An update moving onto a value another transaction inserts meanwhile: same outcome.
    let go!: () => void;
    const moved = new Promise<void>((resolve) => (go = resolve));
    const mover = transaction(db, async (tx) => {
      tx.store("users").update(1n, { email: "taken@x" });
      await moved;
    });
    await users.insert({ name: "eve", email: "taken@x" });
    go();
    await assertRejectsCode(() => mover, CODE, "unique index");
    assertEquals(users.get(1n)!.email, "ann@x");
  });
});

Deno.test("document shape on every engine path: DOC_DEPTH_MAX and field names", async () => {
  await withUsers(async (db, users) => {
    const deep: Document = { name: "deep", email: "d@x", body: nested(DOC_DEPTH_MAX) };
    await assertRejectsCode(() => users.insert(deep), "limit_exceeded", "DOC_DEPTH_MAX");
    await assertRejectsCode(() => batch(db, [{ op: "insert", store: "users", doc: deep }]), "limit_exceeded");
    await assertRejectsCode(
      () => transaction(db, (tx) => void tx.store("users").insert(deep)),
      "limit_exceeded",
    );
    const badName = new Uint8Array([16, 0, 0, 0, 0x10, 0xc3, 0x28, 0, 1, 0, 0, 0, 0x0a, 0x62, 0, 0]);
    await assertRejectsCode(() => users.insert(badName), "invalid_argument", "UTF-8");
    await assertRejectsCode(
      () =>
        executeQuery(db, {
          op: "update",
          store: "users",
          set: { x: JSON.parse(`{"__proto__": 1}`) },
        }),
      "invalid_argument",
    );
    const proto = JSON.parse(`{"name": "p", "email": "p@x", "__proto__": {"x": 1}}`);
    await assertRejectsCode(() => users.insert(proto), "invalid_argument", "__proto__");
    assertEquals(contents(users), BEFORE);
    await assertRejectsCode(
      () => executeQuery(db, { op: "insert", store: "users", documents: [deep] }),
      "limit_exceeded",
    );
    assertEquals(contents(users), BEFORE);
    // Exactly DOC_DEPTH_MAX levels go in, through the Store API and a query document alike.
    await users.insert({ name: "ok", email: "ok@x", body: nested(DOC_DEPTH_MAX - 1) });
    await executeQuery(db, {
      op: "insert",
      store: "users",
      documents: [{ name: "ok2", email: "ok2@x", body: nested(DOC_DEPTH_MAX - 1) }],
    });
    assert(users.scan().length === 4);
  });
});

Deno.test("unique: a refused write inside a transaction, caught by the caller, leaves the transaction's writes as they were", async () => {
  await withUsers(async (db, users) => {
    await transaction(db, (tx) => {
      const t = tx.store("users");
      t.put(3n, { name: "cy", email: "cy@x" });
      let refused = 0;
      try {
        t.insert({ name: "dup", email: "ann@x" }, { key: 4n }); // a Store op
      } catch (error) {
        assertEquals((error as { code?: string }).code, CODE);
        refused++;
      }
      try {
        // A query: its first document overwrites cy (a slot the transaction wrote before it), its
        // second duplicates bob; all of it is undone, cy's earlier write included as it was.
        tx.query({
          op: "insert",
          store: "users",
          documents: [{ key: "00000000000000000000000000000005", name: "eve", email: "eve@x" }, {
            name: "dup2",
            email: "bob@x",
          }],
        });
      } catch (error) {
        assertEquals((error as { code?: string }).code, CODE);
        refused++;
      }
      assertEquals(refused, 2);
      assertEquals(t.get(4n), undefined);
      assertEquals(t.get(5n), undefined);
      // eve@x and the claims of the refused steps are free again.
      t.put(6n, { name: "eve", email: "eve@x" });
    });
    assertEquals(contents(users), ["ann=ann@x", "bob=bob@x", "cy=cy@x", "eve=eve@x"]);
  });
});

Deno.test("transaction: a failed query undoes its overwrite of a key the transaction wrote before it", async () => {
  await withUsers(async (db, users) => {
    await transaction(db, (tx) => {
      const t = tx.store("users");
      t.put(3n, { name: "cy", email: "cy@x", n: 1 });
      t.put(4n, { name: "dee", email: "dee@x", n: "text" });
      let failed = false;
      try {
        tx.query({ op: "update", store: "users", inc: { n: 1 } }); // ann, bob, cy staged; dee fails
      } catch {
        failed = true;
      }
      assert(failed, "inc on a string fails");
      assertEquals(t.get(3n)?.n, 1, "cy's slot holds the transaction's own write again");
      assertEquals(t.get(1n)?.n, undefined, "ann's staged update is gone");
    });
    assertEquals(users.get(3n)?.n, 1);
    assertEquals(contents(users), ["ann=ann@x", "bob=bob@x", "cy=cy@x", "dee=dee@x"]);
  });
});
