import { assertEquals, assertRejectsCode } from "../../_util/assert.ts";
import { withTempDatabase } from "../../_util/temp_db.ts";
import type { Document, FindQuery, QueryDocument } from "../../../protocol/query_document.ts";
import { k, keysOf, run, tenDocs, withDocs } from "./executor_fixture.ts";

Deno.test("executeQuery find returns documents in key order with key first, reversed for key desc", async () => {
  await withDocs(async (db) => {
    const rows = await run(db, { op: "find", store: "docs", limit: 2 }) as Document[];
    assertEquals(rows[0], { key: k(1), group: 0, score: null, name: "n1", nested: { depth: 0 } });
    assertEquals(Object.keys(rows[0])[0], "key");
    assertEquals(keysOf(rows), [k(1), k(2)]);
    const desc = await run(db, {
      op: "find",
      store: "docs",
      orderBy: [{ field: "key", direction: "desc" }],
      limit: 3,
    });
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
      filter: {
        or: [{ field: "key", op: "in", values: [k(2), k(7)] }, { field: "name", op: "eq", value: "n9" }],
      },
    });
    assertEquals(keysOf(byKey), [k(2), k(7), k(9)]);
    const selected = await run(db, {
      op: "find",
      store: "docs",
      filter: { field: "key", op: "between", low: k(4), high: k(5) },
      select: ["name", "nested.depth"],
    });
    assertEquals(selected, [{ key: k(4), name: "n4", nested: { depth: 3 } }, {
      key: k(5),
      name: "n5",
      nested: { depth: 4 },
    }]);
    const excluded = await run(db, {
      op: "find",
      store: "docs",
      filter: { field: "key", op: "eq", value: "0x1" },
      exclude: ["nested", "score"],
    });
    assertEquals(excluded, [{ key: k(1), group: 0, name: "n1" }]);
  });
});

Deno.test("executeQuery find pages through ties with skip/limit and with after, in top-K and full-sort orders", async () => {
  await withDocs(async (db) => {
    const orderBy: FindQuery["orderBy"] = [{ field: "group", direction: "desc" }, {
      field: "score",
      direction: "asc",
    }];
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
      await run(db, {
        op: "find",
        store: "docs",
        orderBy: [{ field: "key", direction: "desc" }],
        after: k(3),
      }),
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
    assertEquals(
      await run(db, { op: "count", store: "docs", filter: { field: "group", op: "eq", value: 1 } }),
      {
        count: 3,
      },
    );
    const rows = await run(db, {
      op: "aggregate",
      store: "docs",
      groupBy: ["group"],
      aggregates: {
        n: { fn: "count" },
        total: { fn: "sum", field: "score" },
        top: { fn: "max", field: "score" },
      },
    });
    assertEquals(rows, [
      { group: { group: 0 }, n: 4, total: 180, top: 90 },
      { group: { group: 1 }, n: 3, total: 80, top: 70 },
      { group: { group: 2 }, n: 3, total: 70, top: 50 },
    ]);
    assertEquals(
      await run(db, {
        op: "aggregate",
        store: "docs",
        filter: { field: "group", op: "eq", value: 7 },
        aggregates: { n: { fn: "count" } },
      }),
      [{ group: {}, n: 0 }],
    );
  });
});

Deno.test("executeQuery explain describes the plan and counts examined documents", async () => {
  await withDocs(async (db) => {
    const explain = (query: Extract<QueryDocument, { op: "explain" }>["query"]) =>
      run(db, { op: "explain", query });
    assertEquals(
      await explain({ op: "find", store: "docs", filter: { field: "group", op: "eq", value: 1 } }),
      {
        plan: "full_scan",
        store: "docs",
        bounds: { from: null, to: null },
        reverse: false,
        orderBy: "key_order",
        estimatedDocs: 10,
        examinedDocs: 10,
        index: null,
      },
    );
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
    assertEquals(
      [ranged.estimatedDocs, ranged.examinedDocs],
      [6, 2],
      "a key-ordered find stops at its limit",
    );
    const points = await explain({
      op: "count",
      store: "docs",
      filter: { field: "key", op: "in", values: [k(4), k(2), k(40)] },
    }) as Record<string, unknown>;
    assertEquals([points.plan, points.bounds, points.estimatedDocs, points.examinedDocs], [
      "key_range",
      { from: k(2), to: k(41) },
      2,
      2,
    ]);
    const topK = await explain({
      op: "find",
      store: "docs",
      orderBy: [{ field: "score", direction: "asc" }],
      limit: 1,
    }) as Record<string, unknown>;
    assertEquals([topK.orderBy, topK.examinedDocs], ["top_k", 10]);
    const sort = await explain({
      op: "find",
      store: "docs",
      orderBy: [{ field: "score", direction: "asc" }],
    }) as Record<string, unknown>;
    assertEquals(sort.orderBy, "sort");
    const lsn = db.lastLsn;
    const update = await explain({ op: "update", store: "docs", key: k(3), set: { x: 1 } }) as Record<
      string,
      unknown
    >;
    assertEquals([update.plan, update.examinedDocs], ["key_range", 1]);
    await explain({ op: "delete", store: "docs" });
    assertEquals(db.lastLsn, lsn, "explain never writes");
    assertEquals(await run(db, { op: "count", store: "docs" }), { count: 10 });
  });
});

Deno.test("executeQuery runs store and index DDL", async () => {
  await withTempDatabase(async (db) => {
    assertEquals(await run(db, { op: "createStore", store: "b" }), { created: "b" });
    assertEquals(await run(db, { op: "createStore", store: "a" }), { created: "a" });
    assertEquals(await run(db, { op: "showStores" }), [{ name: "a" }, { name: "b" }]);
    assertEquals(await run(db, { op: "dropStore", store: "b" }), { dropped: "b" });
    assertEquals(await run(db, { op: "showStores" }), [{ name: "a" }]);
    assertEquals(await run(db, { op: "showIndexes", store: "a" }), []);
    const createIndex: QueryDocument = {
      op: "createIndex",
      name: "i",
      store: "a",
      fields: [{ path: "x", direction: "asc" }],
      unique: false,
    };
    assertEquals(await run(db, createIndex), { created: "i" });
    assertEquals(await run(db, { op: "showIndexes", store: "a" }), [{
      name: "i",
      store: "a",
      fields: [{ path: "x", direction: "asc" }],
      unique: false,
      state: "ready",
      multikey: false,
    }]);
    await assertRejectsCode(() => run(db, createIndex), "conflict", '"i" already exists');
    assertEquals(await run(db, { op: "dropIndex", name: "i" }), { dropped: "i" });
    await assertRejectsCode(() => run(db, { op: "dropIndex", name: "i" }), "not_found", '"i"');
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
      const error = await assertRejectsCode(
        () => run(db, query as unknown as QueryDocument),
        "invalid_argument",
      );
      assertEquals(error.location?.field, field);
    }
  });
});
