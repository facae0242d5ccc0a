import { assert, assertEquals, assertRejectsCode } from "../../_util/assert.ts";
import { withTempDatabase } from "../../_util/temp_db.ts";
import type { Database } from "../../../engine/database.ts";
import { decodeDocument } from "../../../engine/document.ts";
import { Store } from "../../../engine/store.ts";
import { executeQuery } from "../../../engine/query/executor.ts";
import type { Document, FindQuery, QueryDocument } from "../../../engine/query/query_document.ts";

const k = (n: number): string => n.toString(16).padStart(32, "0");

/** Ten documents with keys k(1)..k(10): ties in `group`, mixed `score`. */
function tenDocs(): Document[] {
  return Array.from({ length: 10 }, (_, i) => ({
    key: k(i + 1),
    group: i % 3,
    score: i % 4 === 0 ? null : i * 10,
    name: `n${i + 1}`,
    nested: { depth: i },
  }));
}

async function withDocs(body: (db: Database) => Promise<void>): Promise<void> {
  await withTempDatabase(async (db) => {
    await db.createStore("docs");
    await executeQuery(db, { op: "insert", store: "docs", documents: tenDocs() });
    await body(db);
  });
}

const run = (db: Database, query: QueryDocument) => executeQuery(db, query);
const keysOf = (rows: unknown) => (rows as { key: string }[]).map((row) => row.key);

Deno.test("executeQuery find returns documents in key order with key first, reversed for key desc", async () => {
  await withDocs(async (db) => {
    const rows = await run(db, { op: "find", store: "docs", limit: 2 }) as Document[];
    assertEquals(rows[0], { key: k(1), group: 0, score: null, name: "n1", nested: { depth: 0 } });
    assertEquals(Object.keys(rows[0])[0], "key");
    assertEquals(keysOf(rows), [k(1), k(2)]);
    const desc = await run(db, { op: "find", store: "docs", orderBy: [{ field: "key", direction: "desc" }], limit: 3 });
    assertEquals(keysOf(desc), [k(10), k(9), k(8)]);
    const skipped = await run(db, { op: "find", store: "docs", skip: 8 });
    assertEquals(keysOf(skipped), [k(9), k(10)]);
    assertEquals(await run(db, { op: "find", store: "docs", limit: 0 }), []);
  });
});

Deno.test("executeQuery find applies range, key predicates and select/exclude", async () => {
  await withDocs(async (db) => {
    const ranged = await run(db, { op: "find", store: "docs", range: { from: k(3), to: k(6) } });
    assertEquals(keysOf(ranged), [k(3), k(4), k(5)]);
    const byKey = await run(db, {
      op: "find",
      store: "docs",
      filter: { or: [{ field: "key", op: "in", values: [k(2), k(7)] }, { field: "name", op: "eq", value: "n9" }] },
    });
    assertEquals(keysOf(byKey), [k(2), k(7), k(9)]);
    const selected = await run(db, {
      op: "find",
      store: "docs",
      filter: { field: "key", op: "between", low: k(4), high: k(5) },
      select: ["name", "nested.depth"],
    });
    assertEquals(selected, [{ key: k(4), name: "n4", nested: { depth: 3 } }, { key: k(5), name: "n5", nested: { depth: 4 } }]);
    const excluded = await run(db, { op: "find", store: "docs", filter: { field: "key", op: "eq", value: "0x1" }, exclude: ["nested", "score"] });
    assertEquals(excluded, [{ key: k(1), group: 0, name: "n1" }]);
  });
});

Deno.test("executeQuery find pages through ties with skip/limit and with after, in top-K and full-sort orders", async () => {
  await withDocs(async (db) => {
    const orderBy: FindQuery["orderBy"] = [{ field: "group", direction: "desc" }, { field: "score", direction: "asc" }];
    const all = keysOf(await run(db, { op: "find", store: "docs", orderBy }));
    assertEquals(all.length, 10);
    // Ties (same group and score null) fall back to key ascending.
    const expected = tenDocs().sort((a, b) =>
      (b.group as number) - (a.group as number) || rank(a.score) - rank(b.score) || (a.key! < b.key! ? -1 : 1)
    ).map((d) => d.key);
    assertEquals(all, expected);
    for (const size of [1, 3, 4]) {
      const bySkip: string[] = [];
      for (let skip = 0; skip < 10; skip += size) {
        bySkip.push(...keysOf(await run(db, { op: "find", store: "docs", orderBy, skip, limit: size })));
      }
      assertEquals(bySkip, all, `skip pages of ${size}`);
      const byAfter: string[] = [];
      let after: string | undefined;
      while (true) {
        const query: FindQuery = { op: "find", store: "docs", orderBy, limit: size };
        if (after !== undefined) query.after = after;
        const page = keysOf(await run(db, query));
        if (page.length === 0) break;
        byAfter.push(...page);
        after = page[page.length - 1];
      }
      assertEquals(byAfter, all, `after pages of ${size}`);
    }
    const unlimited = keysOf(await run(db, { op: "find", store: "docs", orderBy, after: all[6] }));
    assertEquals(unlimited, all.slice(7), "after with a full sort");
    const keyAfter = keysOf(await run(db, { op: "find", store: "docs", after: k(8) }));
    assertEquals(keyAfter, [k(9), k(10)], "after in key order");
    const keyAfterDesc = keysOf(
      await run(db, { op: "find", store: "docs", orderBy: [{ field: "key", direction: "desc" }], after: k(3) }),
    );
    assertEquals(keyAfterDesc, [k(2), k(1)]);
    await assertRejectsCode(() => run(db, { op: "find", store: "docs", orderBy, after: k(99) }), "not_found");
  });
});

function rank(score: unknown): number {
  return score === null ? -1 : score as number;
}

Deno.test("executeQuery get, count and aggregate return their result shapes", async () => {
  await withDocs(async (db) => {
    assertEquals(await run(db, { op: "get", store: "docs", key: "0x2" }), {
      key: k(2),
      group: 1,
      score: 10,
      name: "n2",
      nested: { depth: 1 },
    });
    assertEquals(await run(db, { op: "get", store: "docs", key: k(42) }), null);
    assertEquals(await run(db, { op: "count", store: "docs" }), { count: 10 });
    assertEquals(await run(db, { op: "count", store: "docs", filter: { field: "group", op: "eq", value: 1 } }), {
      count: 3,
    });
    const rows = await run(db, {
      op: "aggregate",
      store: "docs",
      groupBy: ["group"],
      aggregates: { n: { fn: "count" }, total: { fn: "sum", field: "score" }, top: { fn: "max", field: "score" } },
    });
    assertEquals(rows, [
      { group: { group: 0 }, n: 4, total: 180, top: 90 },
      { group: { group: 1 }, n: 3, total: 80, top: 70 },
      { group: { group: 2 }, n: 3, total: 70, top: 50 },
    ]);
    assertEquals(await run(db, { op: "aggregate", store: "docs", filter: { field: "group", op: "eq", value: 7 }, aggregates: { n: { fn: "count" } } }), [{ group: {}, n: 0 }]);
  });
});

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
    const again = await run(db, { op: "update", store: "docs", filter: { field: "group", op: "eq", value: 2 }, set: { name: "renamed" } });
    assertEquals(again, { matched: 3, modified: 0 }, "unchanged documents are not modified");
    assertEquals(await run(db, { op: "update", store: "docs", key: k(1), set: { flag: true } }), { matched: 1, modified: 1 });
    assertEquals(await run(db, { op: "update", store: "docs", key: k(77), set: { flag: true } }), { matched: 0, modified: 0 });
    const keyAndFilter = await run(db, { op: "update", store: "docs", key: k(2), filter: { field: "group", op: "eq", value: 0 }, set: { flag: true } });
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
      () => run(db, { op: "update", store: "docs", filter: { field: "score", op: "ne", value: null }, inc: { score: 1 } }),
      "invalid_argument",
      `Cannot increment "score" of document "${k(5)}"`,
    );
    assertEquals(error.location?.field, "score");
    assertEquals(await run(db, { op: "find", store: "docs" }), before, "documents before k(5) were not changed");
    assertEquals(db.lastLsn, lsn, "nothing reached the WAL");
    await assertRejectsCode(
      () => run(db, { op: "update", store: "docs", set: { "name.first": "x" } }),
      "invalid_argument",
      `"name" holds "n1"`,
    );
    await assertRejectsCode(() => run(db, { op: "update", store: "docs", set: { "nested.depth.0": 1 } }), "invalid_argument");
    assertEquals(db.lastLsn, lsn);
  });
});

Deno.test("executeQuery delete by filter and by key returns deleted counts", async () => {
  await withDocs(async (db) => {
    assertEquals(await run(db, { op: "delete", store: "docs", filter: { field: "group", op: "eq", value: 0 } }), { deleted: 4 });
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
    const result = await run(db, { op: "insert", store: "docs", documents: [{ key: "0xAB", a: 1 }, { b: 2 }] }) as {
      inserted: string[];
    };
    assertEquals(result.inserted[0], k(0xab));
    assert(/^[0-9a-f]{32}$/.test(result.inserted[1]), "a generated key");
    assertEquals(decodeDocument(new Store(db, "docs").getRaw(k(0xab))!), { a: 1 }, "the key is not a stored field");
    const lsn = db.lastLsn;
    await assertRejectsCode(
      () => run(db, { op: "insert", store: "docs", documents: [{ key: k(5), c: 1 }, { key: k(0xab), c: 2 }] }),
      "conflict",
    );
    await assertRejectsCode(
      () => run(db, { op: "insert", store: "docs", documents: [{ key: k(6) }, { key: k(6) }] }),
      "conflict",
    );
    assertEquals(db.lastLsn, lsn, "nothing of a failed insert is written");
    assertEquals(await run(db, { op: "get", store: "docs", key: k(5) }), null);
    await new Store(db, "docs").put(k(7), { key: "shadow", v: 1 });
    assertEquals(await run(db, { op: "get", store: "docs", key: k(7) }), { key: k(7), v: 1 }, "a stored key field never shadows");
  });
});

Deno.test("executeQuery replace returns matched and modified", async () => {
  await withDocs(async (db) => {
    assertEquals(await run(db, { op: "replace", store: "docs", key: k(1), document: { only: 1 } }), { matched: 1, modified: 1 });
    assertEquals(await run(db, { op: "get", store: "docs", key: k(1) }), { key: k(1), only: 1 });
    assertEquals(await run(db, { op: "replace", store: "docs", key: k(1), document: { key: k(1), only: 1 } }), {
      matched: 1,
      modified: 0,
    });
    assertEquals(await run(db, { op: "replace", store: "docs", key: k(50), document: { only: 1 } }), { matched: 0, modified: 0 });
  });
});

Deno.test("executeQuery explain describes the plan and counts examined documents", async () => {
  await withDocs(async (db) => {
    const explain = (query: Extract<QueryDocument, { op: "explain" }>["query"]) => run(db, { op: "explain", query });
    assertEquals(await explain({ op: "find", store: "docs", filter: { field: "group", op: "eq", value: 1 } }), {
      plan: "full_scan",
      store: "docs",
      bounds: { from: null, to: null },
      reverse: false,
      orderBy: "key_order",
      estimatedDocs: 10,
      examinedDocs: 10,
      index: null,
    });
    const ranged = await explain({
      op: "find",
      store: "docs",
      filter: { and: [{ field: "key", op: "gt", value: k(2) }, { field: "key", op: "lte", value: k(8) }] },
      orderBy: [{ field: "key", direction: "desc" }],
      limit: 2,
    }) as Record<string, unknown>;
    assertEquals(ranged.plan, "key_range");
    assertEquals(ranged.bounds, { from: k(3), to: k(9) });
    assertEquals(ranged.reverse, true);
    assertEquals([ranged.estimatedDocs, ranged.examinedDocs], [6, 2], "a key-ordered find stops at its limit");
    const points = await explain({ op: "count", store: "docs", filter: { field: "key", op: "in", values: [k(4), k(2), k(40)] } }) as Record<string, unknown>;
    assertEquals([points.plan, points.bounds, points.estimatedDocs, points.examinedDocs], ["key_range", { from: k(2), to: k(41) }, 2, 2]);
    const topK = await explain({ op: "find", store: "docs", orderBy: [{ field: "score", direction: "asc" }], limit: 1 }) as Record<string, unknown>;
    assertEquals([topK.orderBy, topK.examinedDocs], ["top_k", 10]);
    const sort = await explain({ op: "find", store: "docs", orderBy: [{ field: "score", direction: "asc" }] }) as Record<string, unknown>;
    assertEquals(sort.orderBy, "sort");
    const lsn = db.lastLsn;
    const update = await explain({ op: "update", store: "docs", key: k(3), set: { x: 1 } }) as Record<string, unknown>;
    assertEquals([update.plan, update.examinedDocs], ["key_range", 1]);
    await explain({ op: "delete", store: "docs" });
    assertEquals(db.lastLsn, lsn, "explain never writes");
    assertEquals(await run(db, { op: "count", store: "docs" }), { count: 10 });
  });
});

Deno.test("executeQuery runs store DDL and rejects index ops until indexes exist", async () => {
  await withTempDatabase(async (db) => {
    assertEquals(await run(db, { op: "createStore", store: "b" }), { created: "b" });
    assertEquals(await run(db, { op: "createStore", store: "a" }), { created: "a" });
    assertEquals(await run(db, { op: "showStores" }), [{ name: "a" }, { name: "b" }]);
    assertEquals(await run(db, { op: "dropStore", store: "b" }), { dropped: "b" });
    assertEquals(await run(db, { op: "showStores" }), [{ name: "a" }]);
    await assertRejectsCode(() => run(db, { op: "showIndexes", store: "a" }), "invalid_argument", "Secondary indexes");
    await assertRejectsCode(
      () => run(db, { op: "createIndex", name: "i", store: "a", fields: [{ path: "x", direction: "asc" }], unique: false }),
      "invalid_argument",
      "Secondary indexes",
    );
    await assertRejectsCode(() => run(db, { op: "find", store: "missing" }), "not_found");
  });
});

Deno.test("executeQuery validates untrusted documents before running them", async () => {
  await withDocs(async (db) => {
    const bad = [
      [{ op: "find", store: "docs", limit: -1 }, "limit"],
      [{ op: "find", store: "docs", filter: { field: "a", op: "like", value: 1 } }, "filter.op"],
      [{ op: "update", store: "docs", set: { key: k(1) } }, "set.key"],
      [{ op: "nope" }, "op"],
    ] as const;
    for (const [query, field] of bad) {
      const error = await assertRejectsCode(() => run(db, query as unknown as QueryDocument), "invalid_argument");
      assertEquals(error.location?.field, field);
    }
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
    await executeQuery(counted, { op: "delete", store: "docs", filter: { field: "group", op: "eq", value: 1 } });
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
    await run(db, { op: "update", store: "docs", filter: { field: "i", op: "gte", value: 290 }, inc: { i: 1000 } });
    assertEquals(await run(db, { op: "count", store: "docs" }), { count: 290 });
    const top = await run(db, { op: "find", store: "docs", orderBy: [{ field: "i", direction: "desc" }], limit: 2, select: ["i"] });
    assertEquals(top, [{ key: k(300), i: 1299 }, { key: k(299), i: 1298 }]);
    const middle = await run(db, { op: "find", store: "docs", range: { from: k(148), to: k(153) }, select: ["i"] });
    assertEquals(keysOf(middle), [k(148), k(149), k(150), k(151), k(152)]);
  }, { memtableBytes: 64 * 1024 });
});
