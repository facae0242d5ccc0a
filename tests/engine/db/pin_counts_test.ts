/**
 * File pin counts (engine/db/pin_counts.ts): the documents of every store as of the pin's LSN,
 * counted from the pinned tree and the memtables frozen at the pin, equal a scan at that moment —
 * with documents spread over the tree, frozen memtables and the active one, updates and deletes
 * of keys in every tier — and stay those of the pin while writes go on before release.
 */
import { BSON } from "bson";
import { openDatabase } from "../../../engine/db/database.ts";
import { batch } from "../../../engine/db/store.ts";
import { assertEquals, assertRejectsCode } from "../../_util/assert.ts";
import { forEachSeed, seededRandom } from "../../_util/random.ts";
import { withTempDir } from "../../_util/temp_db.ts";

const STORES = ["a", "b", "c"];
const KEYS = 400;

function scanCounts(db: Awaited<ReturnType<typeof openDatabase>>): { name: string; documents: number }[] {
  return db.listStores().map((store) => {
    let documents = 0;
    for (const _ of db.scan(store.id)) documents++;
    return { name: store.name, documents };
  });
}

async function randomWrites(
  db: Awaited<ReturnType<typeof openDatabase>>,
  random: () => number,
  n: number,
  flushes = true,
) {
  for (let i = 0; i < n; i++) {
    const store = STORES[Math.floor(random() * STORES.length)];
    const key = (Math.floor(random() * KEYS) + 1).toString(16).padStart(32, "0");
    if (random() < 0.3) await batch(db, [{ op: "delete", store, key }]);
    else await batch(db, [{ op: "put", store, key, doc: BSON.serialize({ i, pad: "x".repeat(200) }) }]);
    if (flushes && random() < 0.01) await db.flush();
  }
}

Deno.test("engine: a file pin counts every store as of its LSN while writes go on", async () => {
  await forEachSeed("pin counts", (seed) =>
    withTempDir(async (root) => {
      const random = seededRandom(seed);
      // Small memtables: documents end up in the tree, in frozen memtables and in the active one.
      const db = await openDatabase(`${root}/data`, { memtableBytes: 32 * 1024, walPreallocateBytes: 0 });
      try {
        for (const store of STORES) await db.createStore(store);
        await randomWrites(db, random, 1500);
        for (let round = 0; round < 3; round++) {
          const expected = scanCounts(db);
          const pin = await db.pinFiles();
          const counting = pin.counts();
          // After the pin: not counted. Few (a pin holds flushes; past the frozen-memtable budget writers
          // would wait for its release) and no flush (it would wait for the release too).
          await randomWrites(db, random, 30, false);
          assertEquals(await counting, expected, `seed ${seed} round ${round}`);
          assertEquals(await pin.counts(), expected);
          pin.release();
          await assertRejectsCode(() => pin.counts(), "conflict");
          await randomWrites(db, random, 300);
        }
      } finally {
        await db.close();
      }
    }));
});
