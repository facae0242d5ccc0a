/** `planck schedule` against a running server (the wire's `schedule` op) and on a stopped directory. */
import { assert, assertEquals } from "../_util/assert.ts";
import { runPlanck, spawnServer } from "../host/test_server.ts";

Deno.test("cli: planck schedule add, list, run, history, disable, rm over the wire; history survives a restart", async () => {
  const root = await Deno.makeTempDir({ prefix: "planck_cli_schedule_" });
  const data = `${root}/data`;
  let server = await spawnServer(data);
  try {
    const list = await runPlanck(["schedule", "list", "--connect", server.admin]);
    assertEquals(list.code, 0, list.stderr);
    const defaults = JSON.parse(list.stdout).schedules;
    assertEquals(
      defaults.map((s: { name: string }) => s.name),
      ["nightly-backup"],
      "the default on first start",
    );
    const added = await runPlanck([
      "schedule",
      "add",
      "drill",
      "--task",
      "restore-drill",
      "--cron",
      "0 5 * * *",
      "--data",
      data,
    ]);
    assertEquals(added.code, 0, added.stderr);
    const backup = await runPlanck(["schedule", "run", "nightly-backup", "--data", data]);
    assertEquals(backup.code, 0, backup.stderr);
    assertEquals(JSON.parse(backup.stdout).result, "ok");
    const drill = await runPlanck(["schedule", "run", "drill", "--data", data]);
    assertEquals(JSON.parse(drill.stdout).result, "ok", drill.stdout);
    assertEquals((await runPlanck(["schedule", "disable", "drill", "--data", data])).code, 0);
    await server.stop();
    server = await spawnServer(data);
    const history = await runPlanck(["schedule", "history", "--data", data]);
    const runs = JSON.parse(history.stdout).runs;
    assertEquals(runs.map((r: { schedule: string }) => r.schedule), ["drill", "nightly-backup"]);
    assert(runs.every((r: { end: number; bytes: number }) => r.end > 0 && r.bytes > 0), history.stdout);
    const listed = JSON.parse((await runPlanck(["schedule", "list", "--data", data])).stdout).schedules;
    assertEquals(listed.find((s: { name: string }) => s.name === "drill").enabled, false);
    assertEquals((await runPlanck(["schedule", "rm", "drill", "--data", data])).code, 0);
    const missing = await runPlanck(["schedule", "run", "drill", "--data", data]);
    assertEquals(missing.code, 1);
    assert(missing.stderr.includes('No schedule "drill"'), missing.stderr);
  } finally {
    await server.stop();
    await Deno.remove(root, { recursive: true });
    await Deno.remove(`${root}/data-backups`, { recursive: true }).catch(() => {});
    await Deno.remove(`${data}-backups`, { recursive: true }).catch(() => {});
  }
});
