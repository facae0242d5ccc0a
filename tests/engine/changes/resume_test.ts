/**
 * Resuming a watch: after a close and reopen the events come back from the WAL segments kept by
 * the retention window, from exactly the LSN asked for — no gap, no duplicate — across segment
 * rotations and checkpoints; `resume_point_lost` (naming the oldest LSN kept) once retention has
 * removed the segments, and never a silent gap.
 */
import { assert, assertEquals } from "../../_util/assert.ts";
import { walFiles, withDatabase, withTempDir } from "../../_util/temp_db.ts";
import { forEachSeed, seededRandom } from "../../_util/random.ts";
import { Store } from "../../../engine/db/store.ts";
import type { DatabaseOptions } from "../../../engine/db/options.ts";
import type { Database } from "../../../engine/db/database.ts";
import type { ChangeEvent } from "../../../engine/changes/record.ts";
import { PlanckError } from "../../../protocol/errors.ts";
import { assertEventsMatch, type Expected, take } from "./_events.ts";

/** Small segments and checkpoints so a few hundred writes span many segments and flushes. */
const SMALL: DatabaseOptions = {
  walSegmentBytes: 64 * 1024,
  walCheckpointBytes: 32 * 1024,
  memtableBytes: 48 * 1024,
};

function key(n: number): string {
  return n.toString(16).padStart(32, "0");
}

/** Random writes to store "s" (and noise in "t"); returns what a watch of "s" must yield. */
async function randomWrites(
  db: Database,
  random: () => number,
  count: number,
  live: Map<string, unknown>,
): Promise<Expected[]> {
  const s = new Store(db, "s");
  const t = new Store(db, "t");
  const expected: Expected[] = [];
  for (let i = 0; i < count; i++) {
    const k = key(Math.floor(random() * 40));
    const roll = random();
    if (roll < 0.15) {
      await t.put(k, { noise: i });
    } else if (roll < 0.35) {
      if (await s.delete(k)) {
        expected.push({ op: "delete", key: k });
        live.delete(k);
      }
    } else {
      const doc = { i, pad: "x".repeat(Math.floor(random() * 600)) };
      await s.put(k, doc);
      expected.push({ op: live.has(k) ? "update" : "insert", key: k, doc });
      live.set(k, doc);
    }
  }
  return expected;
}

Deno.test("a watch resumed after close and reopen continues from its LSN with no gap and no duplicate", async () => {
  await forEachSeed("resume after reopen", async (seed) => {
    await withTempDir(async (dir) => {
      const random = seededRandom(seed);
      const live = new Map<string, unknown>();
      let expected: Expected[] = [];
      let seen: ChangeEvent[] = [];
      await withDatabase(dir, SMALL, async (db) => {
        await db.createStore("s");
        await db.createStore("t");
        const events = new Store(db, "s").watch({ since: 0 });
        expected = await randomWrites(db, random, 300, live);
        seen = await take(events, Math.floor(expected.length / 2)); // the consumer stops half way
      });
      let resumedFrom = seen[seen.length - 1].lsn;
      await withDatabase(dir, SMALL, async (db) => {
        assert(db.walSegments().length > 3, `several segments kept: ${db.walSegments().length}`);
        const events = new Store(db, "s").watch({ since: resumedFrom });
        const more = await randomWrites(db, random, 100, live);
        expected = [...expected, ...more];
        const rest = await take(events, expected.length - seen.length);
        seen = [...seen, ...rest];
        resumedFrom = seen[seen.length - 1].lsn;
        assertEventsMatch(seen, expected, `seed ${seed}`);
        // A third consumer reads everything from LSN 0 again: the same events.
        const again = await take(new Store(db, "s").watch({ since: 0 }), expected.length);
        assertEquals(again.map((e) => e.lsn), seen.map((e) => e.lsn), "the same LSNs on a re-read");
      });
      assert(walFiles(dir).length > 3, "segments below the checkpoint stayed within the default retention");
    });
  });
});

Deno.test("resume_point_lost names the oldest LSN kept once retention removed older segments", async () => {
  await withTempDir(async (dir) => {
    const options: DatabaseOptions = { ...SMALL, changesRetention: { bytes: 0, ageMs: 0 } };
    let last = 0;
    await withDatabase(dir, options, async (db) => {
      await db.createStore("s");
      const s = new Store(db, "s");
      for (let i = 0; i < 200; i++) await s.put(key(i), { i, pad: "y".repeat(400) });
      await db.flush();
      last = db.lastLsn;
    });
    await withDatabase(dir, options, async (db) => {
      const oldest = db.stats().changesOldestLsn;
      assert(oldest > 1, `segments were removed: the oldest LSN kept is ${oldest}`);
      assertEquals(db.walSegments()[0].firstLsn, oldest);
      const lost = new Store(db, "s").watch({ since: 0 });
      let error: unknown;
      try {
        await lost.next();
      } catch (e) {
        error = e;
      }
      assert(error instanceof PlanckError, `expected a PlanckError, got ${error}`);
      assertEquals(error.code, "resume_point_lost");
      assertEquals(error.location.lsn, BigInt(oldest));
      assert(error.message.includes(String(oldest)), error.message);
      // From the oldest kept LSN on, resuming works and reaches the writes made now.
      const s = new Store(db, "s");
      const ok = s.watch({ since: oldest - 1 });
      await s.put(key(999), { last: true });
      let final: ChangeEvent | undefined;
      for await (const event of ok) {
        assert(event.lsn >= oldest, `event ${event.lsn} is at or after ${oldest}`);
        if (event.key === key(999)) {
          final = event;
          break;
        }
      }
      assert(final !== undefined && final.lsn > last);
    });
  });
});

Deno.test("retention by age keeps young segments and by size removes the oldest first", async () => {
  await withTempDir(async (dir) => {
    const keepAll: DatabaseOptions = { ...SMALL, changesRetention: { bytes: 1 << 30, ageMs: 3_600_000 } };
    await withDatabase(dir, keepAll, async (db) => {
      await db.createStore("s");
      const s = new Store(db, "s");
      for (let i = 0; i < 200; i++) await s.put(key(i), { i, pad: "z".repeat(400) });
      await db.flush();
      assertEquals(db.stats().changesOldestLsn, 1, "nothing removed inside the window");
    });
    const files = walFiles(dir);
    const total = files.reduce((sum, f) => sum + Deno.statSync(f).size, 0);
    const half = Math.floor(total / 2);
    await withDatabase(dir, { ...SMALL, changesRetention: { bytes: half, ageMs: 3_600_000 } }, (db) => {
      const kept = walFiles(dir);
      const keptBytes = kept.reduce((sum, f) => sum + Deno.statSync(f).size, 0);
      assert(kept.length < files.length, `some removed: ${kept.length} of ${files.length}`);
      assert(keptBytes <= half || kept.length === 1, `kept ${keptBytes} <= ${half} bytes`);
      assertEquals(kept, files.slice(files.length - kept.length), "the oldest went first");
      assertEquals(db.walSegments()[0].path, kept[0]);
      // Recovery still works from what is kept: every document is there.
      assertEquals(new Store(db, "s").scan().length, 200);
    });
  });
});
