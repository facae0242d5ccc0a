/**
 * compileMatcher (host/live/match.ts) against a model, seeded: random inserts, updates and deletes
 * of documents whose `status` moves in and out of the filter `status = "open"`. Live (events from
 * the memory tail, which carry the previous version), the ops must be exactly what the model says:
 * enter / update / leave / nothing. Read back from the WAL after a reopen (no previous version), a
 * client that adds a key on enter/update and removes it on leave must hold exactly the matching set
 * after every event — no missed leave, whatever the spurious ones.
 */
import { assertEquals } from "../../_util/assert.ts";
import { forEachSeed, seededRandom } from "../../_util/random.ts";
import { withDatabase, withTempDir } from "../../_util/temp_db.ts";
import { Store } from "../../../engine/db/store.ts";
import type { ChangeEvent } from "../../../engine/changes/record.ts";
import { watchStore } from "../../../engine/changes/watch.ts";
import { compileMatcher } from "../../../host/live/match.ts";

const WRITES = 120;
const STATUSES = ["open", "paid", "shipped"];
const FILTER = { field: "status", op: "eq", value: "open" };

interface Step {
  expected: string | null;
  matching: string[];
}

async function take(iterator: AsyncIterableIterator<ChangeEvent>, n: number): Promise<ChangeEvent[]> {
  const out: ChangeEvent[] = [];
  while (out.length < n) out.push((await iterator.next()).value as ChangeEvent);
  await iterator.return?.();
  return out;
}

Deno.test("compileMatcher: exact enter/update/leave live, no missed leave from the WAL", async () => {
  await forEachSeed("match property", async (seed) => {
    const random = seededRandom(seed);
    await withTempDir(async (dir) => {
      const steps: Step[] = [];
      let since = 0;
      await withDatabase(dir, {}, async (db) => {
        await db.createStore("items");
        since = db.lastLsn;
        const store = new Store(db, "items");
        const live = watchStore(db, "items", { since });
        const model = new Map<string, string>();
        for (let i = 0; i < WRITES; i++) {
          const keys = [...model.keys()];
          const roll = random();
          const status = STATUSES[Math.floor(random() * STATUSES.length)];
          let key: string;
          let was = false;
          let now = false;
          if (keys.length === 0 || roll < 0.3) {
            key = await store.insert({ status });
            now = status === "open";
          } else {
            key = keys[Math.floor(random() * keys.length)];
            was = model.get(key) === "open";
            if (roll < 0.8) {
              await store.replace(key, { status });
              now = status === "open";
            } else await store.delete(key);
          }
          if (roll >= 0.8 && keys.length > 0) model.delete(key);
          else model.set(key, status);
          const expected = now ? (was ? "update" : "enter") : was ? "leave" : null;
          const matching = [...model].filter(([, s]) => s === "open").map(([k]) => k).sort();
          steps.push({ expected, matching });
        }
        const matcher = compileMatcher({ filter: FILTER });
        const events = await take(live, WRITES);
        assertEquals(events.map((e) => matcher.match(e)), steps.map((s) => s.expected), `seed ${seed}, live`);
      });
      await withDatabase(dir, {}, async (db) => {
        const matcher = compileMatcher({ filter: FILTER });
        const events = await take(watchStore(db, "items", { since }), WRITES);
        const client = new Set<string>();
        events.forEach((event, i) => {
          const op = matcher.match(event);
          if (op === "enter" || op === "update") client.add(event.key);
          if (op === "leave") client.delete(event.key);
          assertEquals([...client].sort(), steps[i].matching, `seed ${seed}, from the WAL, write ${i}`);
        });
      });
    });
  });
});
