/**
 * Filter watches: enter / update / leave checked against the query recomputed (executeQuery find)
 * after every write, over seeded random writes — a write that moves a document out of the filter
 * is a leave, one that moves it in is an enter, writes outside the filter are silent.
 */
import { assert, assertEquals } from "../../_util/assert.ts";
import { withTempDatabase } from "../../_util/temp_db.ts";
import { forEachSeed, seededRandom } from "../../_util/random.ts";
import { Store } from "../../../engine/db/store.ts";
import { executeQuery } from "../../../engine/exec/executor.ts";
import type { FilterEvent } from "../../../engine/changes/filter_watch.ts";

const FILTER = { field: "v", op: "gte" as const, value: 5 };

async function matchingKeys(db: Parameters<typeof executeQuery>[0]): Promise<Set<string>> {
  const rows = await executeQuery(db, { op: "find", store: "s", filter: FILTER }) as { key: string }[];
  return new Set(rows.map((r) => r.key));
}

Deno.test("a filter watch yields enter, update and leave exactly as the recomputed query changes", async () => {
  await forEachSeed("filter watch", async (seed) => {
    await withTempDatabase(async (db) => {
      const random = seededRandom(seed);
      await db.createStore("s");
      const s = new Store(db, "s");
      for (let i = 0; i < 10; i++) await s.put(BigInt(i), { v: i }); // state before the watch starts
      const watch = s.watchFilter(FILTER);
      const expected: { op: FilterEvent["op"]; key: string; v?: number }[] = [];
      let before = await matchingKeys(db);
      for (let n = 0; n < 200; n++) {
        const key = BigInt(Math.floor(random() * 15)).toString(16).padStart(32, "0");
        let v: number | undefined;
        if (random() < 0.25) await s.delete(key);
        else {
          v = Math.floor(random() * 10);
          await s.put(key, { v });
        }
        const after = await matchingKeys(db);
        if (after.has(key)) expected.push({ op: before.has(key) ? "update" : "enter", key, v });
        else if (before.has(key)) expected.push({ op: "leave", key });
        before = after;
      }
      const got: FilterEvent[] = [];
      while (got.length < expected.length) {
        const next = await watch.next();
        assert(next.done !== true, "the watch ended early");
        got.push(next.value);
      }
      assertEquals(
        got.map((e) => ({ op: e.op, key: e.key, ...(e.doc === undefined ? {} : { v: e.doc.v as number }) })),
        expected.map((e) => ({ op: e.op, key: e.key, ...(e.v === undefined ? {} : { v: e.v }) })),
      );
      assert(
        expected.some((e) => e.op === "leave") && expected.some((e) => e.op === "enter"),
        "both happened",
      );
      // Nothing more is pending: the next event is the one for a write made now.
      await s.put(BigInt(100), { v: 9 });
      assertEquals((await watch.next()).value?.op, "enter");
    });
  });
});

Deno.test("a filter watch rejects a bad filter with invalid_argument", async () => {
  await withTempDatabase(async (db) => {
    await db.createStore("s");
    try {
      new Store(db, "s").watchFilter({ field: "v", op: "nope", value: 1 });
      throw new Error("expected invalid_argument");
    } catch (error) {
      assertEquals((error as { code?: string }).code, "invalid_argument");
    }
  });
});
