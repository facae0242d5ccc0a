import { assert, assertEquals, assertRejectsCode } from "../../_util/assert.ts";
import { crashImage, withDatabase, withTempDatabase, withTempDir } from "../../_util/temp_db.ts";
import type { Database } from "../../../engine/db/database.ts";
import { decodeDocument } from "../../../engine/document.ts";
import { parseKey } from "../../../engine/key.ts";
import { batch, Store } from "../../../engine/db/store.ts";

async function storeIn(db: Database, name = "docs"): Promise<Store> {
  await db.createStore(name);
  return new Store(db, name);
}

const k = (n: number): string => parseKey(BigInt(n));

Deno.test("Store.insert generates increasing keys and Store.get returns the document", async () => {
  await withTempDatabase(async (db) => {
    const store = await storeIn(db);
    const first = await store.insert({ name: "a", n: 1 });
    const second = await store.insert({ name: "b", n: 2 });
    assert(second > first, "generated keys are time-ordered");
    assertEquals(store.get(first), { name: "a", n: 1 });
    assertEquals(store.get(second.toUpperCase()), { name: "b", n: 2 }, "any key form finds it");
    assertEquals(store.get(k(99)), undefined);
    assertEquals(decodeDocument(store.getRaw(first)!), { name: "a", n: 1 });
    const chosen = await store.insert({ own: true }, { key: 0x42n });
    assertEquals(chosen, k(0x42));
    assertEquals(store.get("0x42"), { own: true });
  });
});

Deno.test("Store.put overwrites, Store.replace replaces and Store.update merges top-level fields", async () => {
  await withTempDatabase(async (db) => {
    const store = await storeIn(db);
    assertEquals(await store.put(1n, { a: 1, b: 1 }), k(1));
    await store.put(1n, { a: 2 });
    assertEquals(store.get(1n), { a: 2 }, "put overwrites the whole document");
    await store.replace(1n, { c: 3 });
    assertEquals(store.get(1n), { c: 3 });
    await store.update(1n, { d: 4, c: 30 });
    assertEquals(store.get(1n), { c: 30, d: 4 }, "update merges top-level fields");
    await store.update(1n, { nested: { x: 1 } });
    await store.update(1n, { nested: { y: 2 } });
    assertEquals(store.get(1n)?.nested, { y: 2 }, "update replaces a nested object whole");
  });
});

Deno.test("Store.delete removes a document and reports whether there was one", async () => {
  await withTempDatabase(async (db) => {
    const store = await storeIn(db);
    await store.put(5n, { v: 5 });
    assertEquals(await store.delete(5n), true);
    assertEquals(store.get(5n), undefined);
    assertEquals(await store.delete(5n), false);
    assertEquals(await store.delete(6n), false);
    await store.insert({ v: "again" }, { key: 5n }); // a deleted key can be inserted again
    assertEquals(store.get(5n), { v: "again" });
  });
});

Deno.test("Store.scan returns documents in key order with from, to, limit and reverse", async () => {
  await withTempDatabase(async (db) => {
    const store = await storeIn(db);
    for (const n of [7, 3, 9, 1, 5]) await store.put(BigInt(n), { n });
    await store.delete(9n);
    const ns = (rows: { doc: { n?: unknown } }[]) => rows.map((r) => r.doc.n);
    assertEquals(ns(store.scan()), [1, 3, 5, 7]);
    assertEquals(ns(store.scan({ reverse: true })), [7, 5, 3, 1]);
    assertEquals(ns(store.scan({ from: k(3), to: k(7) })), [3, 5], "from inclusive, to exclusive");
    assertEquals(ns(store.scan({ from: k(3), to: k(7), reverse: true })), [5, 3]);
    assertEquals(ns(store.scan({ from: k(4) })), [5, 7]);
    assertEquals(ns(store.scan({ to: k(4), reverse: true })), [3, 1]);
    assertEquals(ns(store.scan({ limit: 2 })), [1, 3]);
    assertEquals(ns(store.scan({ limit: 2, reverse: true })), [7, 5]);
    assertEquals(ns(store.scan({ limit: 0 })), []);
    assertEquals(store.scan({ from: k(2), limit: 1 }).map((r) => r.key), [k(3)]);
    assertEquals(store.scanRaw({ limit: 1 })[0][0], k(1));
    await assertRejectsCode(() => store.scan({ limit: -1 }), "invalid_argument", "limit");
    await assertRejectsCode(() => store.scan({ limit: 1.5 }), "invalid_argument", "limit");
    await assertRejectsCode(() => store.scan({ from: "nope" }), "invalid_argument", '"nope"');
  });
});

Deno.test("Database.createStore, listStores and dropStore manage the catalog", async () => {
  await withTempDatabase(async (db) => {
    assertEquals(db.listStores(), []);
    assertEquals(await db.createStore("b_store"), true);
    assertEquals(await db.createStore("a_store"), true);
    assertEquals(db.listStores().map((s) => s.name), ["a_store", "b_store"]);
    assertEquals(await db.createStore("a_store", { ifNotExists: true }), false);
    await assertRejectsCode(() => db.createStore("a_store"), "conflict", '"a_store"');
    assertEquals(db.hasStore("a_store"), true);
    assertEquals(await db.dropStore("a_store"), true);
    assertEquals(db.hasStore("a_store"), false);
    assertEquals(await db.dropStore("a_store", { ifExists: true }), false);
    await assertRejectsCode(() => db.dropStore("a_store"), "not_found", '"a_store"');
    assertEquals(db.listStores().map((s) => s.name), ["b_store"]);
    assertEquals(db.stats().stores, 1);
  });
});

/** Puts three docs into "docs", drops the store, re-creates it with one new doc. */
async function dropAndRecreate(db: Database, flushBeforeDrop: boolean): Promise<void> {
  const old = await storeIn(db);
  for (const n of [1, 2, 3]) await old.put(BigInt(n), { old: n });
  if (flushBeforeDrop) await db.flush();
  const oldId = db.storeInfo("docs").id;
  await db.dropStore("docs");
  await assertRejectsCode(() => old.get(1n), "not_found", '"docs"');
  const fresh = await storeIn(db);
  assert(db.storeInfo("docs").id !== oldId, "a re-created store gets a new id");
  assertEquals(fresh.scan(), [], "no old data in the re-created store");
  await fresh.put(2n, { fresh: true });
  assertEquals(fresh.scan().map((r) => r.doc), [{ fresh: true }]);
}

Deno.test("Database.dropStore then createStore of the same name shows no old data, also after reopen", async () => {
  for (const flushBeforeDrop of [false, true]) {
    await withTempDir(async (dir) => {
      await withDatabase(`${dir}/db`, {}, async (db) => {
        await dropAndRecreate(db, flushBeforeDrop);
        await crashImage(db, `${dir}/image`); // replays the drop from the WAL
      });
      for (const path of [`${dir}/db`, `${dir}/image`]) {
        await withDatabase(path, {}, (db) => {
          const rows = new Store(db, "docs").scan().map((r) => [r.key, r.doc]);
          assertEquals(rows, [[k(2), { fresh: true }]], `${path} (flush before drop: ${flushBeforeDrop})`);
        });
      }
    });
  }
});

Deno.test("Store data and the catalog survive close and reopen", async () => {
  await withTempDir(async (dir) => {
    await withDatabase(dir, {}, async (db) => {
      const a = await storeIn(db, "alpha");
      const b = await storeIn(db, "beta");
      await a.put(1n, { s: "one", big: 2n ** 40n, nested: { list: [1, "x"] } });
      await b.put(1n, { s: "other store" });
      await a.put(2n, { s: "two" });
      await a.delete(2n);
    });
    await withDatabase(dir, {}, (db) => {
      assertEquals(db.listStores().map((s) => s.name), ["alpha", "beta"]);
      assertEquals(new Store(db, "alpha").scan().map((r) => r.doc), [
        { s: "one", big: 2n ** 40n, nested: { list: [1, "x"] } },
      ]);
      assertEquals(new Store(db, "beta").get(1n), { s: "other store" });
    });
  });
});

Deno.test("batch writes all its operations as one group with read-your-writes", async () => {
  await withTempDatabase(async (db) => {
    await storeIn(db);
    await storeIn(db, "other");
    const before = db.lastLsn;
    const result = await batch(db, [
      { op: "insert", store: "docs", key: 1n, doc: { v: 1 } },
      { op: "update", store: "docs", key: 1n, set: { w: 2 } }, // sees the insert above
      { op: "put", store: "other", key: 1n, doc: { o: true } },
      { op: "delete", store: "docs", key: 99n },
      { op: "insert", store: "docs", doc: { generated: true } },
    ]);
    assertEquals(result.keys.slice(0, 4), [k(1), k(1), k(1), null]);
    assertEquals(result.lsn, before + 4, "three distinct keys written plus one commit marker");
    assertEquals(new Store(db, "docs").get(1n), { v: 1, w: 2 });
    assertEquals(new Store(db, "docs").get(result.keys[4]!), { generated: true });
    assertEquals(new Store(db, "other").get(1n), { o: true });
  });
});
