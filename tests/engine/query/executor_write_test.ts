import { assert, assertEquals, assertRejectsCode } from "../../_util/assert.ts";
import { withTempDatabase } from "../../_util/temp_db.ts";
import { decodeDocument } from "../../../engine/document.ts";
import { Store } from "../../../engine/db/store.ts";
import { executeQuery } from "../../../engine/exec/executor.ts";
import type { Document, QueryDocument } from "../../../protocol/query_document.ts";
import { k, keysOf, run, withDocs } from "./executor_fixture.ts";

Deno.test("executeQuery update sets dotted paths, unsets, increments and counts matched and modified", async () => {
  await withDocs(async (db) => {
    const result = await run(db, {
      op: "update",
      store: "docs",
      filter: { field: "group", op: "eq", value: 2 },
      set: { "nested.extra.deep": "x", "name": "renamed" },
      unset: ["score"],
      inc: { "nested.depth": 100, "counter": 2 },
    });
    assertEquals(result, { matched: 3, modified: 3 });
    assertEquals(await run(db, { op: "get", store: "docs", key: k(3) }), {
      key: k(3),
      group: 2,
      name: "renamed",
      nested: { depth: 102, extra: { deep: "x" } },
      counter: 2,
    });
    const again = await run(db, {
      op: "update",
      store: "docs",
      filter: { field: "group", op: "eq", value: 2 },
      set: { name: "renamed" },
    });
    assertEquals(again, { matched: 3, modified: 0 }, "unchanged documents are not modified");
    assertEquals(await run(db, { op: "update", store: "docs", key: k(1), set: { flag: true } }), {
      matched: 1,
      modified: 1,
    });
    assertEquals(await run(db, { op: "update", store: "docs", key: k(77), set: { flag: true } }), {
      matched: 0,
      modified: 0,
    });
    const keyAndFilter = await run(db, {
      op: "update",
      store: "docs",
      key: k(2),
      filter: { field: "group", op: "eq", value: 0 },
      set: { flag: true },
    });
    assertEquals(keyAndFilter, { matched: 0, modified: 0 }, "key and filter must both match");
    await run(db, { op: "update", store: "docs", key: k(4), set: { list: [1, 2] } });
    await run(db, { op: "update", store: "docs", key: k(4), set: { "list.2": 3 }, unset: ["list.0"] });
    assertEquals((await run(db, { op: "get", store: "docs", key: k(4) }) as Document).list, [null, 2, 3]);
  });
});

Deno.test("executeQuery update by filter is all or nothing: a bad inc in the middle writes nothing", async () => {
  await withDocs(async (db) => {
    await run(db, { op: "update", store: "docs", key: k(5), set: { score: "text" } });
    const lsn = db.lastLsn;
    const before = await run(db, { op: "find", store: "docs" });
    const error = await assertRejectsCode(
      () =>
        run(db, {
          op: "update",
          store: "docs",
          filter: { field: "score", op: "ne", value: null },
          inc: { score: 1 },
        }),
      "invalid_argument",
      `Cannot increment "score" of document "${k(5)}"`,
    );
    assertEquals(error.location?.field, "score");
    assertEquals(
      await run(db, { op: "find", store: "docs" }),
      before,
      "documents before k(5) were not changed",
    );
    assertEquals(db.lastLsn, lsn, "nothing reached the WAL");
    await assertRejectsCode(
      () => run(db, { op: "update", store: "docs", set: { "name.first": "x" } }),
      "invalid_argument",
      `"name" holds "n1"`,
    );
    await assertRejectsCode(
      () => run(db, { op: "update", store: "docs", set: { "nested.depth.0": 1 } }),
      "invalid_argument",
    );
    assertEquals(db.lastLsn, lsn);
  });
});

Deno.test("executeQuery delete by filter and by key returns deleted counts", async () => {
  await withDocs(async (db) => {
    assertEquals(
      await run(db, { op: "delete", store: "docs", filter: { field: "group", op: "eq", value: 0 } }),
      { deleted: 4 },
    );
    assertEquals(await run(db, { op: "delete", store: "docs", key: k(2) }), { deleted: 1 });
    assertEquals(await run(db, { op: "delete", store: "docs", key: k(2) }), { deleted: 0 });
    assertEquals(await run(db, { op: "count", store: "docs" }), { count: 5 });
    assertEquals(await run(db, { op: "delete", store: "docs" }), { deleted: 5 });
    assertEquals(await run(db, { op: "find", store: "docs" }), []);
  });
});

Deno.test("executeQuery insert uses a document's own key, never stores it, and is atomic on a duplicate", async () => {
  await withTempDatabase(async (db) => {
    await db.createStore("docs");
    const result = await run(db, {
      op: "insert",
      store: "docs",
      documents: [{ key: "0xAB", a: 1 }, { b: 2 }],
    }) as {
      inserted: string[];
    };
    assertEquals(result.inserted[0], k(0xab));
    assert(/^[0-9a-f]{32}$/.test(result.inserted[1]), "a generated key");
    assertEquals(
      decodeDocument(new Store(db, "docs").getRaw(k(0xab))!),
      { a: 1 },
      "the key is not a stored field",
    );
    const lsn = db.lastLsn;
    await assertRejectsCode(
      () =>
        run(db, { op: "insert", store: "docs", documents: [{ key: k(5), c: 1 }, { key: k(0xab), c: 2 }] }),
      "conflict",
    );
    await assertRejectsCode(
      () => run(db, { op: "insert", store: "docs", documents: [{ key: k(6) }, { key: k(6) }] }),
      "conflict",
    );
    assertEquals(db.lastLsn, lsn, "nothing of a failed insert is written");
    assertEquals(await run(db, { op: "get", store: "docs", key: k(5) }), null);
    await new Store(db, "docs").put(k(7), { key: "shadow", v: 1 });
    assertEquals(
      await run(db, { op: "get", store: "docs", key: k(7) }),
      { key: k(7), v: 1 },
      "a stored key field never shadows",
    );
  });
});

Deno.test("executeQuery replace returns matched and modified", async () => {
  await withDocs(async (db) => {
    assertEquals(await run(db, { op: "replace", store: "docs", key: k(1), document: { only: 1 } }), {
      matched: 1,
      modified: 1,
    });
    assertEquals(await run(db, { op: "get", store: "docs", key: k(1) }), { key: k(1), only: 1 });
    assertEquals(
      await run(db, { op: "replace", store: "docs", key: k(1), document: { key: k(1), only: 1 } }),
      {
        matched: 1,
        modified: 0,
      },
    );
    assertEquals(await run(db, { op: "replace", store: "docs", key: k(50), document: { only: 1 } }), {
      matched: 0,
      modified: 0,
    });
  });
});

Deno.test("executeQuery allocates no write set for read-only queries and one for writes", async () => {
  await withDocs(async (db) => {
    let writeSets = 0;
    const counted = new Proxy(db, {
      get(target, name) {
        if (name === "writeSet") writeSets++;
        const value = Reflect.get(target, name, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    for (
      const query of [
        { op: "find", store: "docs" },
        { op: "get", store: "docs", key: k(1) },
        { op: "count", store: "docs" },
        { op: "aggregate", store: "docs", aggregates: { n: { fn: "count" } } },
        { op: "explain", query: { op: "delete", store: "docs" } },
      ] as QueryDocument[]
    ) {
      await executeQuery(counted, query);
    }
    assertEquals(writeSets, 0);
    await executeQuery(counted, {
      op: "delete",
      store: "docs",
      filter: { field: "group", op: "eq", value: 1 },
    });
    assertEquals(writeSets, 1, "a multi-document delete stages into one write set");
  });
});

Deno.test("executeQuery reads documents across memtables and flushed tiers", async () => {
  await withTempDatabase(async (db) => {
    await db.createStore("docs");
    const docs = Array.from({ length: 300 }, (_, i) => ({ key: k(i + 1), i, pad: "x".repeat(200) }));
    await run(db, { op: "insert", store: "docs", documents: docs.slice(0, 150) });
    await db.flush();
    await run(db, { op: "insert", store: "docs", documents: docs.slice(150) });
    await run(db, { op: "delete", store: "docs", filter: { field: "i", op: "lt", value: 10 } });
    await run(db, {
      op: "update",
      store: "docs",
      filter: { field: "i", op: "gte", value: 290 },
      inc: { i: 1000 },
    });
    assertEquals(await run(db, { op: "count", store: "docs" }), { count: 290 });
    const top = await run(db, {
      op: "find",
      store: "docs",
      orderBy: [{ field: "i", direction: "desc" }],
      limit: 2,
      select: ["i"],
    });
    assertEquals(top, [{ key: k(300), i: 1299 }, { key: k(299), i: 1298 }]);
    const middle = await run(db, {
      op: "find",
      store: "docs",
      range: { from: k(148), to: k(153) },
      select: ["i"],
    });
    assertEquals(keysOf(middle), [k(148), k(149), k(150), k(151), k(152)]);
  }, { memtableBytes: 64 * 1024 });
});

Deno.test("executeQuery insert takes a document as BSON bytes: stored unchanged, or decoded when it has a key field", async () => {
  const { BSON } = await import("bson");
  await withTempDatabase(async (db) => {
    await db.createStore("raw");
    const plain = BSON.serialize({ name: "a", n: 1 });
    const withKey = BSON.serialize({ key: k(7), name: "b" });
    const result = await executeQuery(db, { op: "insert", store: "raw", documents: [plain, withKey] }) as {
      inserted: string[];
    };
    assertEquals(result.inserted[1], k(7));
    const stored = db.read(db.storeInfo("raw").id, result.inserted[0])!;
    assertEquals(Array.from(stored), Array.from(plain), "the bytes are stored as they came");
    assertEquals(
      decodeDocument(db.read(db.storeInfo("raw").id, k(7))!),
      { name: "b" },
      "the key is no field",
    );
    // Checked like any caller-supplied BSON: malformed bytes and too deep a nesting are refused.
    const malformed = plain.slice();
    malformed[malformed.length - 1] = 1;
    await assertRejectsCode(
      () => executeQuery(db, { op: "insert", store: "raw", documents: [malformed] }),
      "invalid_argument",
    );
    let deep: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < 120; i++) deep = { d: deep };
    const lsn = db.lastLsn;
    await assertRejectsCode(
      () => executeQuery(db, { op: "insert", store: "raw", documents: [BSON.serialize(deep)] }),
      "limit_exceeded",
    );
    assertEquals(db.lastLsn, lsn, "nothing written");
  });
});
