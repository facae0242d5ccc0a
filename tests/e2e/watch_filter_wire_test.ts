/**
 * Seeded property test of the filter watch over the wire: bursts of random writes (more than the
 * client's credit plus the server's buffer, so the server cuts the subscription off with
 * `slow_consumer` and the client resumes with its matching keys) yield exactly the enter / update /
 * leave a model of the writes predicts, and the view they build equals the query recomputed at the end.
 */
import { assert, assertEquals } from "../_util/assert.ts";
import { forEachSeed, seededRandom } from "../_util/random.ts";
import { connect, type WatchEvent, where } from "../../mod.ts";
import { WATCH_BUFFER_EVENTS_MAX } from "../../host/limits.ts";
import { withServer } from "../host/test_server.ts";

const KEYS = 3_000;
const BATCH = 1_000;

Deno.test("filter watch over the wire: enter/update/leave match the model, across slow_consumer resumes", async () => {
  await withServer(async ({ admin }) => {
    const db = await connect(admin);
    try {
      await forEachSeed("filter watch wire", async (seed) => {
        const random = seededRandom(seed);
        const store = `f${seed}`;
        const keyOf = (i: number) => (i + 1).toString(16).padStart(32, "0");
        const state = new Map<string, number>(); // key → v
        for (let i = 0; i < 200; i++) state.set(keyOf(i), Math.floor(random() * 10));
        await db.batch([...state].map(([key, v]) => ({ op: "put" as const, store, key, doc: { v } })));
        const events = db.store<{ v: number }>(store).filter(where("v").gte(5)).watch({ snapshot: true });
        const expected: [string, string][] = [...state].filter(([, v]) => v >= 5).map((
          [k],
        ) => ["snapshot", k]);
        expected.sort((a, b) => (a[1] < b[1] ? -1 : 1));
        const batches = Math.ceil((3 * WATCH_BUFFER_EVENTS_MAX) / BATCH); // ~half are filter events
        for (let b = 0; b < batches; b++) {
          const keys = new Set<number>();
          while (keys.size < BATCH) keys.add(Math.floor(random() * KEYS));
          const ops = [];
          for (const i of keys) {
            const key = keyOf(i);
            const was = (state.get(key) ?? -1) >= 5;
            if (random() < 0.2) {
              if (!state.has(key)) continue; // a delete of nothing writes nothing
              state.delete(key);
              ops.push({ op: "delete" as const, store, key });
              if (was) expected.push(["leave", key]);
            } else {
              const v = Math.floor(random() * 10);
              state.set(key, v);
              ops.push({ op: "put" as const, store, key, doc: { v } });
              if (v >= 5) expected.push([was ? "update" : "enter", key]);
              else if (was) expected.push(["leave", key]);
            }
          }
          await db.batch(ops); // the watch is not read meanwhile: it falls behind
        }
        const got: WatchEvent[] = [];
        while (got.length < expected.length) {
          const next = await events.next();
          assert(next.done !== true, `seed ${seed}: the watch ended after ${got.length} events`);
          got.push(next.value);
        }
        assertEquals(got.map((e) => [e.op, e.key]), expected, `seed ${seed}`);
        const view = new Set<string>();
        for (const e of got) e.op === "leave" ? view.delete(e.key) : view.add(e.key);
        const rows = await db.store<{ v: number }>(store).filter(where("v").gte(5)).limit(100_000).find();
        assertEquals([...view].sort(), rows.map((r) => r.key).sort(), `seed ${seed}: the view is the query`);
        await events.return?.();
      });
    } finally {
      db.close();
    }
  });
});
