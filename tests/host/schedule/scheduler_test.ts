/**
 * The scheduler on a real database with an injected clock: a schedule fires at its cron instant
 * and not before; history survives a restart; a run missed while down runs once at start; runs of
 * one schedule never overlap; backup keeps its retention; the restore drill records success and
 * catches a damaged backup; the default nightly backup exists after the first open only.
 */
import { openDatabase } from "../../../engine/db/database.ts";
import { Store } from "../../../engine/db/store.ts";
import { DEFAULT_SCHEDULE, Scheduler } from "../../../host/schedule/scheduler.ts";
import { assert, assertEquals, assertRejectsCode } from "../../_util/assert.ts";
import { ManualClock } from "../../_util/manual_clock.ts";
import { withTempDir } from "../../_util/temp_db.ts";

const T0 = Date.UTC(2026, 0, 1, 2, 58); // 02:58 UTC

async function open(dir: string, clock: ManualClock, createDefault = false) {
  const db = await openDatabase(`${dir}/data`, { walPreallocateBytes: 0 });
  const scheduler = await Scheduler.open(db, { dataDir: `${dir}/data`, clock, createDefault });
  return { db, scheduler };
}

Deno.test("schedule: fires at its cron instant under an injected clock, not before", async () => {
  await withTempDir(async (dir) => {
    const clock = new ManualClock(T0);
    const { db, scheduler } = await open(dir, clock);
    try {
      await scheduler.add({ name: "snap", task: "stats-snapshot", cron: "0 3 * * *" });
      await scheduler.start();
      await clock.advance(2 * 60_000 - 1);
      await scheduler.idle();
      assertEquals(scheduler.history("snap").length, 0, "nothing before 03:00");
      await clock.advance(1);
      await scheduler.idle();
      const [run] = scheduler.history("snap");
      assertEquals(run.start, Date.UTC(2026, 0, 1, 3), "started at 03:00:00.000");
      assertEquals([run.result, run.trigger], ["ok", "cron"]);
      assertEquals(new Store(db, "sysstats").scan().length, 1);
      assertEquals(scheduler.list()[0].nextRunAt, Date.UTC(2026, 0, 2, 3));
      await clock.advance(24 * 3_600_000);
      await scheduler.idle();
      assertEquals(scheduler.history("snap").map((r) => r.start), [
        Date.UTC(2026, 0, 2, 3),
        Date.UTC(2026, 0, 1, 3),
      ]);
    } finally {
      await scheduler.close();
      await db.close();
    }
  });
});

Deno.test("schedule: history survives a restart and a run missed while down runs once", async () => {
  await withTempDir(async (dir) => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1, 0, 30));
    let { db, scheduler } = await open(dir, clock);
    await scheduler.add({ name: "hourly", task: "wal-truncate", cron: "0 * * * *" });
    await scheduler.start();
    await clock.advance(30 * 60_000);
    await scheduler.idle();
    assertEquals(scheduler.history("hourly").length, 1);
    await scheduler.close();
    await db.close();

    clock.setTo(Date.UTC(2026, 0, 1, 5, 30)); // down through 02:00, 03:00, 04:00 and 05:00
    ({ db, scheduler } = await open(dir, clock));
    try {
      assertEquals(scheduler.history("hourly").length, 1, "the history came back");
      await scheduler.start();
      await scheduler.idle();
      const runs = scheduler.history("hourly");
      assertEquals(runs.length, 2, "four missed times make one run");
      assertEquals([runs[0].trigger, runs[0].result, runs[0].start], [
        "missed",
        "ok",
        Date.UTC(2026, 0, 1, 5, 30),
      ]);
      assertEquals(scheduler.list()[0].nextRunAt, Date.UTC(2026, 0, 1, 6));
    } finally {
      await scheduler.close();
      await db.close();
    }
  });
});

Deno.test("schedule: no overlapping runs; enable, disable, rm; the default nightly backup", async () => {
  await withTempDir(async (dir) => {
    const clock = new ManualClock(T0);
    let { db, scheduler } = await open(dir, clock, true);
    assertEquals(scheduler.list().map((s) => [s.name, s.task, s.cron]), [[
      DEFAULT_SCHEDULE.name,
      "backup",
      "0 3 * * *",
    ]]);
    await scheduler.close();
    await db.close();
    ({ db, scheduler } = await open(dir, clock, true));
    try {
      await scheduler.remove(DEFAULT_SCHEDULE.name);
      await scheduler.add({ name: "b", task: "backup", cron: "0 0 1 1 *", options: { dir: `${dir}/bk` } });
      const first = scheduler.runNow("b");
      await assertRejectsCode(() => scheduler.runNow("b"), "conflict", "is running");
      assertEquals((await first).result, "ok");
      const disabled = await scheduler.setEnabled("b", false);
      assertEquals([disabled.enabled, disabled.nextRunAt], [false, null]);
      assertEquals((await scheduler.setEnabled("b", true)).nextRunAt, Date.UTC(2027, 0, 1));
      await assertRejectsCode(() => scheduler.add({ name: "b", task: "gc", cron: "* * * * *" }), "conflict");
      await assertRejectsCode(
        () => scheduler.add({ name: "x", task: "nope", cron: "* * * * *" }),
        "invalid_argument",
      );
      await assertRejectsCode(
        () => scheduler.add({ name: "x", task: "gc", cron: "61 * * * *" }),
        "invalid_argument",
      );
    } finally {
      await scheduler.close();
      await db.close();
    }
    // A second open of a used directory does not bring the default back.
    ({ db, scheduler } = await open(dir, clock, true));
    assertEquals(scheduler.list().map((s) => s.name), ["b"]);
    await scheduler.close();
    await db.close();
  });
});

Deno.test("schedule: backup keeps its retention; the restore drill records success and catches damage", async () => {
  await withTempDir(async (dir) => {
    const clock = new ManualClock(T0);
    const { db, scheduler } = await open(dir, clock);
    try {
      const orders = await db.createStore("orders").then(() => new Store(db, "orders"));
      const options = { dir: `${dir}/bk`, retain: 2 };
      await scheduler.add({ name: "backup", task: "backup", cron: "0 3 * * *", options });
      await scheduler.add({
        name: "drill",
        task: "restore-drill",
        cron: "0 4 * * *",
        options: { dir: `${dir}/bk` },
      });
      for (let i = 0; i < 3; i++) {
        await orders.insert({ i });
        const run = await scheduler.runNow("backup");
        assertEquals(run.result, "ok", run.error ?? "");
        assert(run.bytes > 0, "bytes recorded");
        await clock.advance(1_000);
      }
      const files = [...Deno.readDirSync(`${dir}/bk`)].map((e) => e.name).sort();
      assertEquals(files.length, 2, `retain 2: ${files}`);
      const drill = await scheduler.runNow("drill");
      assertEquals(drill.result, "ok", drill.error ?? "");
      assertEquals(
        (drill.details.stores as { name: string; documents: number }[]).find((s) => s.name === "orders")
          ?.documents,
        3,
      );
      const newest = `${dir}/bk/${files.at(-1)}`;
      const bytes = await Deno.readFile(newest);
      bytes[1024 + 100] ^= 0xff; // inside the first file after the manifest's header
      await Deno.writeFile(newest, bytes);
      const damaged = await scheduler.runNow("drill");
      assertEquals(damaged.result, "error");
      assert(/damaged|checksum|not/.test(damaged.error ?? ""), damaged.error ?? "");
      assertEquals(scheduler.history("drill").map((r) => r.result), ["error", "ok"]);
    } finally {
      await scheduler.close();
      await db.close();
    }
  });
});
