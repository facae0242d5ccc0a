/**
 * The engine's backfill progress (engine/indexes/backfill.ts `backfillProgress`), which the
 * workbench shows while an index builds: null total while counting, then documents indexed of the
 * store's documents, rising to the total; nothing once the index is ready.
 */
import { setImmediate } from "node:timers";
import { assert, assertEquals } from "../_util/assert.ts";
import { openDatabase } from "../../engine/db/database.ts";
import { Store } from "../../engine/db/store.ts";
import { backfillProgress } from "../../engine/indexes/backfill.ts";

Deno.test("backfill progress: documents indexed of total, rising to the total, gone when ready", async () => {
  const dir = await Deno.makeTempDir({ prefix: "planck_backfill_" });
  const db = await openDatabase(dir);
  try {
    await db.createStore("items");
    const store = new Store(db, "items");
    const total = 4_500;
    for (let i = 0; i < total; i += 500) {
      await Promise.all(Array.from({ length: 500 }, (_, n) => store.insert({ n: i + n })));
    }
    let ready = false;
    const creating = db.createIndex("by_n", "items", [{ path: "n", direction: "asc" }]).then(() =>
      ready = true
    );
    const seen: { done: number; total: number | null }[] = [];
    while (!ready) {
      const def = db.indexInfo("by_n");
      const p = def === undefined ? undefined : backfillProgress(def);
      if (p !== undefined) seen.push(p);
      await new Promise((resolve) => setImmediate(resolve));
    }
    await creating;
    assert(seen.length > 2, `progress seen ${seen.length} times`);
    const counted = seen.filter((p) => p.total !== null);
    assert(
      counted.length > 0 && counted.every((p) => p.total === total),
      JSON.stringify(counted.slice(0, 3)),
    );
    for (let i = 1; i < counted.length; i++) assert(counted[i].done >= counted[i - 1].done);
    assert(counted.some((p) => p.done > 0 && p.done < total), "a figure between 0 and the total");
    assertEquals(backfillProgress(db.indexInfo("by_n")!), undefined);
    assertEquals(db.indexInfo("by_n")!.state, "ready");
  } finally {
    await db.close();
    await Deno.remove(dir, { recursive: true });
  }
});
