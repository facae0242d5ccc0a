/**
 * Run history is bounded: after each run a schedule keeps its newest `keepRuns` runs (default
 * RUNS_KEPT_DEFAULT); the runs of a removed schedule are pruned at the next start; `keepRuns` is
 * validated.
 */
import { openDatabase } from "../../../engine/db/database.ts";
import { Scheduler } from "../../../host/schedule/scheduler.ts";
import { RUNS_KEPT_DEFAULT, RUNS_STORE } from "../../../host/schedule/schedules.ts";
import { Store } from "../../../engine/db/store.ts";
import { assertEquals, assertRejectsCode } from "../../_util/assert.ts";
import { ManualClock } from "../../_util/manual_clock.ts";
import { withTempDir } from "../../_util/temp_db.ts";

const T0 = Date.UTC(2026, 0, 1, 0, 0, 30);

Deno.test("schedule: history keeps the newest keepRuns runs of each schedule", async () => {
  await withTempDir(async (dir) => {
    const clock = new ManualClock(T0);
    let db = await openDatabase(`${dir}/data`, { walPreallocateBytes: 0 });
    let scheduler = await Scheduler.open(db, { dataDir: `${dir}/data`, clock, createDefault: false });
    await scheduler.add({ name: "kept3", task: "wal-truncate", cron: "* * * * *", options: { keepRuns: 3 } });
    await scheduler.add({ name: "other", task: "wal-truncate", cron: "0 0 1 1 *", enabled: false });
    await assertRejectsCode(
      () => scheduler.add({ name: "bad", task: "gc", cron: "* * * * *", options: { keepRuns: 0 } }),
      "invalid_argument",
    );
    await scheduler.start();
    for (let minute = 0; minute < 6; minute++) {
      await clock.advance(60_000);
      await scheduler.idle();
    }
    for (let i = 0; i < 4; i++) await scheduler.runNow("other");
    const kept = scheduler.history("kept3");
    assertEquals(kept.length, 3, "three of six runs kept");
    assertEquals(kept.map((r) => r.start), [6, 5, 4].map((m) => T0 - 30_000 + m * 60_000));
    assertEquals(scheduler.history("other").length, 4, "well under the default bound");
    await scheduler.remove("kept3");
    await scheduler.edit("other", { options: { keepRuns: 2 } });
    await scheduler.runNow("other");
    assertEquals(scheduler.history("other").length, 2, "an edited bound applies at the next run");
    await scheduler.close();
    await db.close();

    db = await openDatabase(`${dir}/data`, { walPreallocateBytes: 0 });
    scheduler = await Scheduler.open(db, { dataDir: `${dir}/data`, clock, createDefault: false });
    try {
      assertEquals(scheduler.history("kept3").length, 3, "a removed schedule's history stays");
      await scheduler.start();
      assertEquals(scheduler.history("kept3").length, 3, `at most RUNS_KEPT_DEFAULT (${RUNS_KEPT_DEFAULT})`);
      assertEquals(new Store(db, RUNS_STORE).scan().length, 5);
    } finally {
      await scheduler.close();
      await db.close();
    }
  });
});
